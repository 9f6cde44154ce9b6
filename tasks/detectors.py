"""The scrubber's detectors besides its rule table: detect-secrets' plugins and personal data.

detect-secrets runs on the candidate lines the scrubber picks: its vendor-token detectors,
keyword detector (config files only: in code our name-anchored rules keep code intact) and
high-entropy string detectors, with its own false-positive filters plus two of ours: a
high-entropy value must look random (digits and several letters), so number literals and
alphabets stay, and in code about hashing hex is a digest or a piece of one (hash test suites
keep their expected values, split over lines or not; a hex value assigned to a secret-named
variable is still caught by name). No
verification call ever leaves the machine: plugins are used through `analyze_string`, which
never verifies.

Personal data: e-mail addresses (not URL user names, not `Icon@2x.png`), IPv4 addresses (not
reserved ones, not dependency versions like `3.36.0.3`, not in code about addresses such as an
ipaddress test suite) and phone numbers.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import cache

from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
from detect_secrets.filters import heuristic
from detect_secrets.plugins import keyword
from detect_secrets.plugins.high_entropy_strings import HighEntropyStringsPlugin
from detect_secrets.plugins.keyword import KeywordDetector

# Vendor token prefixes (lower-case) that send a line to detect-secrets' plugins, besides long
# quoted tokens (code) or long tokens (config files, where values come unquoted).
PLUGIN_NEEDLES = (
    "accountkey=", "cloudant", "gldt-", "glrt-", "glcbt-", "glptt-", "gloas-", "gr1348941",
    "t3blbkfj", "pypi-ag", "sg.", "softlayer", "sq0", "npm_", "_authtoken",
)  # fmt: skip
# Our rules cover these better (whole key blocks, private IPs, URL passwords).
_SKIPPED_PLUGINS = {"PrivateKeyDetector", "IPPublicDetector", "BasicAuthDetector"}
_HEX = re.compile(r"[0-9a-fA-F]+")
_HASH_NEEDLES = ("hashlib", "digest", "md5", "sha1", "sha-1", "sha224", "sha256", "sha-256",
                 "sha384", "sha512", "sha3", "blake2", "checksum")  # fmt: skip
_PLUGIN_KINDS = {
    "Secret Keyword": ("PASSWORD", "<PASSWORD>"),
    "Base64 High Entropy String": ("HIGH_ENTROPY_STRING", "<KEY>"),
    "Hex High Entropy String": ("HIGH_ENTROPY_STRING", "<KEY>"),
    "JSON Web Token": ("JWT", "<JWT>"),
}


@cache
def _plugins() -> tuple:
    classes = get_mapping_from_secret_type_to_class().values()
    return tuple(cls() for cls in classes if cls.__name__ not in _SKIPPED_PLUGINS)


def _random_like(plugin, value: str) -> bool:
    """High entropy and mixed: digits and several letters (not a number, not an alphabet)."""
    letters = {c for c in value if c.isalpha()}
    return (
        len(letters) >= 3
        and any(c.isdigit() for c in value)
        and plugin.calculate_shannon_entropy(value) > plugin.entropy_limit
    )


def about_hashing(lower: str) -> bool:
    """Whether (lower-case) code computes or checks hashes, so hex digests are expected."""
    return any(needle in lower for needle in _HASH_NEEDLES)


def plugin_findings(line: str, config: bool, digests: bool = False) -> list[tuple[str, str, str]]:
    """(kind, placeholder, secret) that detect-secrets finds in one line, after its filters;
    `digests`: hex digests are expected here (code about hashing), not secrets."""
    found = []
    for plugin in _plugins():
        if isinstance(plugin, KeywordDetector):
            # In code our name-anchored rules do this job and keep code intact.
            if not config:
                continue
            values = list(plugin.analyze_string(line, keyword.CONFIG_DENYLIST_REGEX_TO_GROUP))
            if values and heuristic.is_indirect_reference(line):  # costly: only when needed
                continue
        else:
            values = plugin.analyze_string(line)
        for value in values:
            if (
                len(value) < 4
                or heuristic.is_templated_secret(value)
                or heuristic.is_prefixed_with_dollar_sign(value)
                or heuristic.is_sequential_string(value)
                or heuristic.is_potential_uuid(value)
                or heuristic.is_not_alphanumeric_string(value)
                or heuristic.is_likely_id_string(value, line, plugin)
                or (
                    isinstance(plugin, HighEntropyStringsPlugin)
                    and (not _random_like(plugin, value) or (digests and _HEX.fullmatch(value)))
                )
            ):
                continue
            kind, placeholder = _PLUGIN_KINDS.get(
                plugin.secret_type, (re.sub(r"\W+", "_", plugin.secret_type).upper(), "<KEY>")
            )
            found.append((kind, placeholder, value))
    return found


_EMAIL_DOMAIN = re.compile(r"@(?:[A-Za-z0-9-]+\.)+(?P<tld>[A-Za-z]{2,24})\b")
_EMAIL_LOCAL = re.compile(r"[\w+-][\w.+-]{0,63}\Z")
# `Icon-App-20x20@2x.png` names a file: these endings are file types, none a top-level domain.
_FILE_TYPES = frozenset({
    "png", "jpg", "jpeg", "gif", "svg", "webp", "ico", "bmp", "tif", "tiff", "pdf", "css",
    "scss", "js", "mjs", "jsx", "ts", "tsx", "json", "yaml", "yml", "xml", "html", "htm", "txt",
    "java", "kt", "class", "jar", "woff", "woff2", "ttf", "otf", "eot", "mp3", "mp4", "wav", "gz",
})  # fmt: skip
# URL credentials are accounts, not people: `https://git@host/`, `://ci:$TOKEN@host`, and a
# netloc's `user:pass@host` (a local part right after `/`, `\\` or `:`). But `mailto:` and
# `email=` or `email: ` are followed by an address.
_URL_USER = re.compile(r"://[^\s/@'\"<>]*\Z")
_MAILTO = re.compile(r"(?i)mailto:\Z")
# Digit runs that may be an IPv4 address or a phone number; the strict forms decide.
_NUMBER_RUN = re.compile(r"[+(\d][\d .()-]{6,}")
_IP = re.compile(
    r"(?<![\w.])((?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d))"
    r"(?![\w.]|\.\d)"
)
# What precedes a dependency version shaped like an address (`3.36.0.3`): a version key or
# tag, a Maven / Gradle coordinate (`group:artifact:`), a version operator or an npm `@`.
_VERSION_BEFORE = re.compile(r"(?i)(?:version[\s\"'=:>]{0,4}|[\w.-]+:[\w.-]+:|[=<>~!]=|[\^~@])\Z")
# International numbers need separators (`+4294967296` in code is an integer, not a phone).
_PHONE = re.compile(
    r"(?<![\w+.-])(\+\d{1,3}(?:[ .-]\(?\d{1,4}\)?)?(?:[ .-]\d{2,10}){1,4}"
    r"|(?:\(\d{3}\) ?|\d{3}[-.])\d{3}[-.]\d{4})(?![\w-]|\.\d)"
)
# Addresses that say nothing about anyone: 0.x, loopback, netmasks, RFC 5737 documentation.
_KEPT_IPS = ("0.", "127.", "255.", "192.0.2.", "198.51.100.", "203.0.113.")
_ADDRESS_NEEDLES = ("ipaddress", "ipv4", "ipv6", "inetaddress", "inet_", "parseip", "ip_address",
                    "ip_network", "ip_interface", "ipnetwork")  # fmt: skip


def splice(text: str, spans: list[tuple[int, int, str]]) -> str:
    """Replace non-overlapping (start, end, replacement) spans, in order."""
    pieces, done = [], 0
    for start, end, replacement in spans:
        if start >= done:
            pieces += [text[done:start], replacement]
            done = end
    return "".join(pieces) + text[done:]


def about_addresses(lower: str) -> bool:
    """Whether (lower-case) code handles IP addresses, so the addresses in it are test data."""
    return any(needle in lower for needle in _ADDRESS_NEEDLES)


def _email_start(text: str, at: int, tld: str) -> int | None:
    """Start of the e-mail address whose `@` is at `at`, None when it is not one."""
    local = _EMAIL_LOCAL.search(text, max(0, at - 64), at)
    if local is None or tld.lower() in _FILE_TYPES:
        return None
    start = local.start()
    if not start or _MAILTO.search(text, max(0, start - 7), start):
        return start
    if text[start - 1] in "\\/:" or _URL_USER.search(text, max(0, start - 256), start):
        return None
    return start


def scrub_emails(text: str, counts: Counter[str]) -> str:
    """E-mail addresses replaced by <EMAIL>."""
    spans = []
    for match in _EMAIL_DOMAIN.finditer(text):
        start = _email_start(text, match.start(), match.group("tld"))
        if start is not None:
            spans.append((start, match.end(), "<EMAIL>"))
    counts["EMAIL"] += len(spans)
    return splice(text, spans) if spans else text


def _personal_ip(text: str, start: int, value: str) -> bool:
    if value.startswith(_KEPT_IPS):
        return False
    line_start = text.rfind("\n", max(0, start - 80), start) + 1
    return _VERSION_BEFORE.search(text, max(line_start, start - 80), start) is None


def scrub_numbers(text: str, counts: Counter[str], keep_ips: bool = False) -> str:
    """IPv4 addresses (unless `keep_ips`) and phone numbers (8 to 15 digits) replaced."""
    spans = []
    for run in _NUMBER_RUN.finditer(text):
        value = run.group()
        ip, phone = value.count(".") >= 3 and not keep_ips, len(value) >= 9
        if not (ip or phone):
            continue
        base = max(0, run.start() - 1)
        window = text[base : run.end() + 1]
        for match in _IP.finditer(window) if ip else ():
            if _personal_ip(text, base + match.start(1), match.group(1)):
                spans.append((base + match.start(1), base + match.end(1), "<IP>", "IP"))
        for match in _PHONE.finditer(window) if phone else ():
            if 8 <= sum(c.isdigit() for c in match.group(1)) <= 15:
                spans.append((base + match.start(1), base + match.end(1), "<PHONE>", "PHONE"))
    kept, done = [], 0
    for start, end, placeholder, kind in sorted(set(spans)):
        if start >= done:
            kept.append((start, end, placeholder))
            counts[kind] += 1
            done = end
    return splice(text, kept) if kept else text
