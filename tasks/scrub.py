"""Replace secrets and personal data with typed placeholders before anything is stored.

Two layers. Our own rules: exact formats (private key blocks, JWTs, cloud and vendor tokens),
credentials in URLs and connection strings, secret-named variables, setters, map entries and
config keys, unquoted passwords in comments, and personal data (e-mails, IPv4 addresses, phone
numbers: `detectors`). Then detect-secrets' plugins (vendor token formats, secret keywords,
high-entropy quoted strings). Regex passes over every
character cost about as much as parsing the code, so only a few cheap passes run over the
whole text (patterns that start with a literal or a rare character); everything else runs on
candidate lines found by fast substring search (a secret-sounding word, a vendor prefix, a long
quoted token). Only the secret part of a match is replaced, so code keeps its shape:
`password = "<PASSWORD>"`. Counts per kind go into the inventory; the matched text never
leaves this module (no logging, no exception carries it).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from tasks.detectors import (
    PLUGIN_NEEDLES,
    about_addresses,
    about_hashing,
    plugin_findings,
    scrub_emails,
    scrub_numbers,
    splice,
)
from tasks.languages import CODE_LANGUAGES

CONFIG_LANGUAGES = frozenset(
    {"yaml", "toml", "ini", "properties", "dotenv", "shell", "text", "unknown", "xml"}
)
# Only a literal is a secret: ${VAR}, $VAR, {{ var }}, {name}, %(name)s, %VAR%, <PLACEHOLDER>,
# a format template (`'%s:%s' % (user, pw)`) and YAML's ~ / null / booleans reference or
# stand for no value.
_LITERAL = (
    r"(?!\$\{|\$[A-Za-z_]|\{\{|\{[\w.]*\}|%\(|%[A-Za-z_]+%|<[A-Z_]+>|~)"
    r"(?!(?:null|none|true|false)\b)(?!(?:%[sdr]|[^\w\s\"'`%])+(?:[\"'`\s]|$))"
)
_ASSIGN = r"[\"'\]]?[ \t]*(?::=|=>|[:=])[ \t]*"
# An identifier must END with one of these names (`db_password`, `apiKey`, `AUTH_TOKEN`),
# so `token_type = "bearer"` or `password_prompt = "Password:"` are left alone; `pass` must be
# a word of it (`pass`, `DB_PASS`, `userPass`, not `bypass` or `compass`).
_PASSWORD_NAME = (
    r"(?:password|passwd|passphrase|pwd|secret|secret[_-]?key|client[_-]?secret"
    r"|(?<![A-Za-z])pass|(?-i:(?<=[a-z])Pass))\d*"
)
_PASSWORD_NEEDLES = ("pass", "pwd", "secret")
_KEY_NAME = (
    r"(?:api[_-]?key|apikey|access[_-]?key|private[_-]?key|auth[_-]?key|token|credentials?)\d*"
)


@dataclass(frozen=True)
class Rule:
    """A pattern whose named group `s` is the secret; the rest of the match is kept."""

    kind: str
    placeholder: str
    pattern: re.Pattern[str]
    needles: tuple[str, ...]  # lower-case literals; a text or line without any is skipped
    keep: Callable[[re.Match[str]], bool] | None = None  # True: not a secret after all


# Whole-text rules: multi-line, or cheap because the pattern starts with a literal.
TEXT_RULES: tuple[Rule, ...] = (
    Rule("PRIVATE_KEY", "<PRIVATE_KEY>", re.compile(
        r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----(?!<PRIVATE_KEY>)(?P<s>.*?)"
        r"(?=-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|\Z)", re.S), ("private key",)),
    Rule("JWT", "<JWT>", re.compile(r"(?P<s>eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]{8,})"), ("eyj",)),
    Rule("CONNECTION_STRING", "<PASSWORD>", re.compile(
        r"://[^\s:/@'\"]+:" + _LITERAL + r"(?P<s>[^\s@'\"/]+)@"), ("://",)),
    Rule("SLACK_WEBHOOK", "<KEY>", re.compile(
        r"hooks\.slack\.com/services/(?P<s>T\w+/B\w+/\w+)"), ("hooks.slack.com",)),
)  # fmt: skip

# Line rules run on candidate lines only (a line holding one of their needles).
LINE_RULES: tuple[Rule, ...] = (
    Rule("AWS_KEY", "<KEY>", re.compile(
        r"\b(?P<s>(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16})\b"),
        ("akia", "asia", "abia", "acca", "a3t")),
    Rule("AWS_SECRET_KEY", "<KEY>", re.compile(
        r"(?i)aws_?secret_?(?:access_?)?key\w*" + _ASSIGN + r"[\"']?(?P<s>[A-Za-z0-9/+]{40})\b"),
        ("aws",)),
    Rule("GITHUB_TOKEN", "<KEY>", re.compile(
        r"\b(?P<s>gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})"),
        ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_")),
    Rule("GITLAB_TOKEN", "<KEY>", re.compile(r"\b(?P<s>glpat-[A-Za-z0-9_-]{20,})"), ("glpat-",)),
    Rule("SLACK_TOKEN", "<KEY>", re.compile(r"\b(?P<s>xox[abposr]-[A-Za-z0-9-]{10,})"), ("xox",)),
    Rule("STRIPE_KEY", "<KEY>", re.compile(r"\b(?P<s>[sr]k_(?:live|test)_[A-Za-z0-9]{16,})"),
         ("k_live_", "k_test_")),
    Rule("GOOGLE_API_KEY", "<KEY>", re.compile(r"\b(?P<s>AIza[0-9A-Za-z_-]{35})"), ("aiza",)),
    Rule("BEARER_TOKEN", "<KEY>", re.compile(
        r"\b(?:Bearer|Basic)[ \t]+(?P<s>(?=[A-Za-z0-9._~+/-]*\d)[A-Za-z0-9._~+/-]{16,}=*)"),
        ("bearer", "basic")),
    Rule("CONNECTION_STRING", "<PASSWORD>", re.compile(
        r"(?i)[?&;][ \t]*(?:password|passwd|pwd)[ \t]*=[ \t]*" + _LITERAL + r"(?P<s>[^&;'\"\s]+)"),
        ("passw", "pwd")),
    Rule("PASSWORD", "<PASSWORD>", re.compile(
        r"(?i)" + _PASSWORD_NAME + r"(?![\w-])" + _ASSIGN + r"(?P<q>[\"'`])" + _LITERAL
        + r"(?P<s>[^\"'`\s]{4,})(?P=q)"), _PASSWORD_NEEDLES),
    # Setters and builders: `setPassword("...")`, `withDbPassword("...")`, `.password("...")`.
    Rule("PASSWORD", "<PASSWORD>", re.compile(
        r"(?i)(?:\b(?:set|with)\w*?|\.)" + _PASSWORD_NAME + r"(?![\w-])[ \t]*\([ \t]*"
        + r"(?P<q>[\"'`])" + _LITERAL + r"(?P<s>[^\"'`\s]{4,})(?P=q)"), _PASSWORD_NEEDLES),
    # A secret-named key and its value as call arguments: `props.put("password", "...")`.
    Rule("PASSWORD", "<PASSWORD>", re.compile(
        r"(?i)\([ \t]*(?P<k>[\"'`])[\w.-]*?" + _PASSWORD_NAME + r"(?P=k)[ \t]*,[ \t]*"
        + r"(?P<q>[\"'`])" + _LITERAL + r"(?P<s>[^\"'`\s]{4,})(?P=q)"), _PASSWORD_NEEDLES),
    # In a comment, unquoted: `// admin console login: admin / password: hunter2`. The value
    # must hold a digit or an inner symbol: `# password: the user's` or `password: str` stay.
    Rule("PASSWORD", "<PASSWORD>", re.compile(
        r"(?i)(?:^|\s)(?://+|#+|/?\*+|--|<!--|;+)[^\n]*?" + _PASSWORD_NAME
        + r"(?![\w-])[ \t]*(?:[:=]|[ \t]is[ \t])[ \t]*" + _LITERAL
        + r"(?P<s>(?=[^\s\"'`]*?(?:\d|[!#$%&*+?@^~][^\s\"'`,;)]))[^\s\"'`,;)]{4,})"),
        _PASSWORD_NEEDLES),
    # Key- and token-named values must look like a token, not a word: `token = "NAME"` stays.
    Rule("API_KEY", "<KEY>", re.compile(
        r"(?i)" + _KEY_NAME + r"(?![\w-])" + _ASSIGN + r"(?P<q>[\"'`])" + _LITERAL
        + r"(?P<s>(?=[^\"'`\s]*\d)[^\"'`\s]{8,})(?P=q)"),
        ("key", "token", "credential")),
    Rule("API_KEY", "<KEY>", re.compile(
        r"(?i)\([ \t]*(?P<k>[\"'`])[\w.-]*?" + _KEY_NAME + r"(?P=k)[ \t]*,[ \t]*"
        + r"(?P<q>[\"'`])" + _LITERAL + r"(?P<s>(?=[^\"'`\s]*\d)[^\"'`\s]{8,})(?P=q)"),
        ("key", "token", "credential")),
)  # fmt: skip

# Config files hold secrets unquoted: `password: hunter2`, `DB_PASSWORD=hunter2`,
# `spring.datasource.password=hunter2`, `<password>hunter2</password>`. The key is matched
# whole (no backtracking on long lines) and its name checked afterwards: any value of a
# password-named key, a token-like value (a digit, or 20 characters) of a key- or token-named
# one, so GitHub Actions' `id-token: write` stays.
_PASSWORD_KEY = re.compile(r"(?i)" + _PASSWORD_NAME + r"$")
_TOKEN_KEY = re.compile(r"(?i)" + _KEY_NAME + r"$")
_TOKEN_LIKE = re.compile(r"(?=.*\d).{8,}|.{20,}")


def _not_a_config_secret(match: re.Match[str]) -> bool:
    key = match.group("k")
    if _PASSWORD_KEY.search(key):
        return False
    return not (_TOKEN_KEY.search(key) and _TOKEN_LIKE.fullmatch(match.group("s")))


_CONFIG_NEEDLES = (*_PASSWORD_NEEDLES, "key", "token", "credential")
CONFIG_RULES: tuple[Rule, ...] = (
    Rule("PASSWORD", "<PASSWORD>", re.compile(
        r"(?m)^[ \t]*(?:export[ \t]+)?(?P<k>[\w.-]++)[\"']?[ \t]*[:=][ \t]*" + _LITERAL
        + r"(?P<s>[^\s\"']{4,})(?:[ \t]+#.*)?[ \t]*$"), _CONFIG_NEEDLES, keep=_not_a_config_secret),
    Rule("PASSWORD", "<PASSWORD>", re.compile(
        r"<(?P<k>[\w.-]++)>[ \t]*" + _LITERAL + r"(?P<s>[^<\s]{4,})[ \t]*</(?P=k)>"),
        _CONFIG_NEEDLES, keep=_not_a_config_secret),
)  # fmt: skip

_QUOTED_TOKEN = re.compile(r"""["'`][A-Za-z0-9+/=_-]{20,}["'`]""")
_LONG_TOKEN = re.compile(r"[A-Za-z0-9+/=_-]{20,}")  # config files: secrets come unquoted
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _replace_group(rule: Rule, text: str, counts: Counter[str]) -> str:
    def replace(match: re.Match[str]) -> str:
        if rule.keep and rule.keep(match):
            return match.group(0)
        counts[rule.kind] += 1
        offset, whole = match.start(), match.group(0)
        start, end = match.span("s")
        return whole[: start - offset] + rule.placeholder + whole[end - offset :]

    return rule.pattern.sub(replace, text)


@lru_cache(maxsize=8)
def _minimal(rules: tuple[Rule, ...]) -> tuple[str, ...]:
    """The rules' needles less those that contain another needle (a line holding one holds the
    other too). Cached: the pairwise test was most of the cost of scrubbing a short text."""
    needles = {needle for rule in rules for needle in rule.needles}
    return tuple(sorted(n for n in needles if not any(m != n and m in n for m in needles)))


def _candidate_lines(text: str, rules: tuple[Rule, ...], config: bool) -> dict[int, bool]:
    """Start offset of each candidate line -> whether detect-secrets should see it too."""
    lower = text.lower()
    if len(lower) != len(text):  # a few characters lower-case to two: keep offsets aligned
        lower = text.translate(_ASCII_LOWER)
    lines: dict[int, bool] = {}

    def mark(needles: tuple[str, ...], plugins: bool) -> None:
        for needle in needles:
            at = lower.find(needle)
            while at >= 0:
                start = text.rfind("\n", 0, at) + 1
                lines[start] = lines.get(start, False) or plugins
                end = text.find("\n", at)
                at = -1 if end < 0 else lower.find(needle, end)

    mark(_minimal(rules), plugins=config)
    mark(PLUGIN_NEEDLES, plugins=True)
    for match in (_LONG_TOKEN if config else _QUOTED_TOKEN).finditer(text):
        lines[text.rfind("\n", 0, match.start()) + 1] = True
    return lines


def _scrub_line(
    line: str, rules: tuple[Rule, ...], plugins: bool, mode: tuple[bool, bool], counts: Counter[str]
) -> str:
    """Scrub one candidate line; `mode`: (config file, code about hashing)."""
    lower = line.lower()
    for rule in rules:
        if any(needle in lower for needle in rule.needles):
            line = _replace_group(rule, line, counts)
    findings = plugin_findings(line, *mode) if plugins else []
    for kind, placeholder, secret in findings:
        counts[kind] += line.count(secret)
        line = line.replace(secret, placeholder)
    return line


def scrub(text: str, language: str = "unknown") -> tuple[str, dict[str, int]]:
    """Return the text with every secret and personal datum replaced, and counts per kind."""
    counts: Counter[str] = Counter()
    config, code = language in CONFIG_LANGUAGES, language in CODE_LANGUAGES
    lower = text.lower()
    for rule in TEXT_RULES:
        if any(needle in lower for needle in rule.needles):
            text = _replace_group(rule, text, counts)
    if "@" in text:
        text = scrub_emails(text, counts)
    text = scrub_numbers(text, counts, keep_ips=code and about_addresses(lower))
    rules = LINE_RULES + CONFIG_RULES if config else LINE_RULES
    mode = (config, code and about_hashing(lower))
    spans = []
    candidates = _candidate_lines(text, rules, config)
    for start, plugins in sorted(candidates.items()):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        spans.append((start, end, _scrub_line(text[start:end], rules, plugins, mode, counts)))
    return splice(text, spans), {kind: n for kind, n in sorted(counts.items()) if n}


def find_secrets(text: str, language: str = "unknown") -> list[str]:
    """Kinds of secret or personal data still present in already-scrubbed text (for the gate)."""
    return sorted(scrub(text, language)[1])
