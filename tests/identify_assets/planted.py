"""A corpus with planted secrets and personal data, generated with random values at test time.

Nothing here is a real secret; the values are drawn fresh from a seeded generator so no
real-looking credential is committed. Each file mixes ordinary code with planted values and
random identifiers, so files differ enough not to be near-duplicates of each other.
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tests.support import pem_block

ALNUM = string.ascii_letters + string.digits
BASE64 = ALNUM + "+/"


@dataclass
class Corpus:
    files: dict[str, str] = field(default_factory=dict)  # relative path -> text
    secrets: list[tuple[str, str]] = field(default_factory=list)  # (kind, value)
    paths: list[str] = field(default_factory=list)  # the file each secret is planted in

    def write(self, root: Path) -> Path:
        for path, text in self.files.items():
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            (root / path).write_text(text, encoding="utf-8")
        return root

    @property
    def values(self) -> list[str]:
        return [value for _, value in self.secrets]


def _text(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def _mixed(rng: random.Random, alphabet: str, n: int) -> str:
    """Random text with a digit and three different letters, as any real key has."""
    while True:
        value = _text(rng, alphabet, n)
        if any(c.isdigit() for c in value) and len({c for c in value if c.isalpha()}) >= 3:
            return value


def _b64url(rng: random.Random, n: int) -> str:
    return _mixed(rng, ALNUM + "-_", n)


# kind -> (value maker, [(format, line template with {v} and {name} for a random identifier)])
_Maker = Callable[[random.Random], str]
KINDS: dict[str, tuple[_Maker, list[tuple[str, str]]]] = {
    "AWS_KEY": (
        lambda r: "AKIA" + _mixed(r, string.ascii_uppercase + string.digits, 16),
        [("java", 'String {name} = "{v}";'), ("py", '{name} = "{v}"'), ("yaml", "{name}: {v}")],
    ),
    "AWS_SECRET_KEY": (
        lambda r: _mixed(r, BASE64, 40),
        [("properties", "aws_secret_access_key={v}"), ("py", 'aws_secret_access_key = "{v}"')],
    ),
    "GITHUB_TOKEN": (
        lambda r: "ghp_" + _mixed(r, ALNUM, 36),
        [("md", "Use `{v}` to push."), ("py", 'headers = {{"X-Token": "{v}"}}')],
    ),
    "GITLAB_TOKEN": (lambda r: "glpat-" + _mixed(r, ALNUM, 20), [("yaml", "ci_job: {v}")]),
    "SLACK_TOKEN": (
        lambda r: f"xoxb-{_text(r, string.digits, 12)}-{_mixed(r, ALNUM, 24)}",
        [("dotenv", "SLACK_BOT={v}"), ("java", 'client.post("{v}");')],
    ),
    "STRIPE_KEY": (lambda r: "sk_live_" + _mixed(r, ALNUM, 24), [("py", 'stripe.key("{v}")')]),
    "GOOGLE_API_KEY": (lambda r: "AIza" + _b64url(r, 35), [("json", '"{name}": "{v}",')]),
    "SENDGRID_API_KEY": (
        lambda r: f"SG.{_b64url(r, 22)}.{_b64url(r, 43)}",
        [("py", "mail_client({v!r})")],
    ),
    "JWT": (
        lambda r: f"eyJ{_b64url(r, 20)}.eyJ{_b64url(r, 40)}.{_b64url(r, 43)}",
        [("java", 'request.header("Cookie", "session={v}");')],
    ),
    "BEARER_TOKEN": (
        lambda r: _mixed(r, ALNUM, 32),
        [
            ("md", "    curl -H 'Authorization: Bearer {v}'"),
            ("py", 'auth = {{"Authorization": "Bearer {v}"}}'),
        ],
    ),
    "PASSWORD": (
        lambda r: _mixed(r, ALNUM + "!#%&*", 14),
        [
            ("dotenv", "DB_PASSWORD={v}"),
            ("java", 'private static final String PASSWORD = "{v}";'),
            ("properties", "spring.datasource.password={v}"),
            ("py", 'db_password = "{v}"'),
            ("xml", "<password>{v}</password>"),
            ("yaml", "  password: {v}"),
            # issue 16: missed before
            ("java", "// admin console login: admin / password: {v}"),
            ("yaml", "# staging admin password: {v}"),
            ("java", 'dataSource.setPassword("{v}");'),
            ("java", 'props.put("password", "{v}");'),
            ("js", 'const pass = "{v}";'),
        ],
    ),
    "API_KEY": (
        lambda r: _mixed(r, ALNUM, 32),
        [
            ("java", 'String apiKey = "{v}";'),
            ("json", '"api_key": "{v}",'),
            ("py", 'api_key = "{v}"'),
            ("java", 'headers.put("X-Api-Key", "{v}");'),
        ],
    ),
    "CONNECTION_STRING": (
        lambda r: _mixed(r, ALNUM, 16),
        [
            ("properties", "jdbc.url=jdbc:mysql://db:3306/pay?user=app&password={v}"),
            ("py", 'DSN = "postgresql://app:{v}@db.internal:5432/ledger"'),
            ("yaml", "  url: mongodb://svc:{v}@mongo:27017/orders"),
        ],
    ),
    "HIGH_ENTROPY_STRING": (
        lambda r: _mixed(r, BASE64, 44),
        [("java", 'byte[] {name} = decode("{v}");'), ("py", '{name} = "{v}"')],
    ),
    "PRIVATE_KEY": (
        lambda r: "\n".join(_mixed(r, BASE64, 64) for _ in range(4)),
        [("pem", pem_block("{v}"))],
    ),
    "EMAIL": (
        lambda r: (
            f"{_text(r, string.ascii_lowercase, 8)}.{_text(r, string.ascii_lowercase, 6)}"
            f"@{_text(r, string.ascii_lowercase, 7)}.example.com"
        ),
        [
            ("java", "// owner {v}"),
            ("md", "Contact {v} for access."),
            ("py", "# maintainer: {v}"),
            # issue 16: after `=` / `:` and in `mailto:` they were skipped
            ("properties", "support.email={v}"),
            ("md", "[Write to support](mailto:{v})"),
            ("yaml", "  contact: {v}"),
        ],
    ),
    "IP": (
        lambda r: ".".join(str(r.randint(11, 99)) for _ in range(4)),
        [("py", 'HOST = "{v}"'), ("yaml", "  host: {v}")],
    ),
    "PHONE": (
        lambda r: f"+44 20 {r.randint(1000, 9999)} {r.randint(1000, 9999)}",
        [("java", "// escalation: {v}"), ("md", "Call the on-call phone {v} at night.")],
    ),
}
SUFFIX = {
    "py": "py", "java": "java", "yaml": "yaml", "properties": "properties", "dotenv": "env",
    "json": "json", "md": "md", "xml": "xml", "pem": "pem", "js": "js",
}  # fmt: skip


def _filler(rng: random.Random, fmt: str) -> list[str]:
    """Ordinary lines with random names, so files are not near-duplicates after scrubbing."""
    names = [_text(rng, string.ascii_lowercase, 9) for _ in range(8)]
    if fmt == "py":
        return [f"def {n}(value):\n    return value + {rng.randint(1, 999)}\n" for n in names]
    if fmt == "java":
        return [f"int {n}(int v) {{ return v * {rng.randint(1, 999)}; }}" for n in names]
    if fmt == "js":
        return [f"const {n} = (v) => v * {rng.randint(1, 999)};" for n in names]
    if fmt == "json":
        return [f'"{n}": {rng.randint(1, 999)},' for n in names]
    if fmt == "xml":
        return [f"<{n}>{rng.randint(1, 999)}</{n}>" for n in names]
    if fmt == "md":
        return [f"The {n} service answers {rng.randint(1, 999)} requests." for n in names]
    if fmt == "pem":
        return []
    separator = ": " if fmt == "yaml" else "="
    return [f"{n}{separator}{rng.randint(1, 999)}" for n in names]


def _wrap(fmt: str, lines: list[str]) -> str:
    body = "\n".join(lines)
    if fmt == "java":
        return f"class Planted {{\n{body}\n}}\n"
    if fmt == "json":
        return "{\n" + body + '\n"end": 0\n}\n'
    if fmt == "xml":
        return f"<config>\n{body}\n</config>\n"
    return body + "\n"


def planted_corpus(seed: int = 7, per_kind: int = 6) -> Corpus:
    """At least per_kind planted values of every kind in KINDS (every template at least once),
    spread over many files."""
    rng = random.Random(seed)
    corpus = Corpus()
    for kind, (make, templates) in KINDS.items():
        for n in range(max(per_kind, len(templates))):
            fmt, template = templates[n % len(templates)]
            value = make(rng)
            name = "cfg_" + _text(rng, string.ascii_lowercase, 8)
            line = template.format(v=value, name=name)
            lines = _filler(rng, fmt)
            lines.insert(rng.randint(0, len(lines)), line)
            folder = "config" if fmt in {"yaml", "properties", "dotenv", "xml", "json"} else "src"
            path = f"{folder}/{kind.lower()}_{n}.{SUFFIX[fmt]}"
            if fmt == "dotenv":
                path = f"{folder}/{kind.lower()}_{n}/.env"
            corpus.files[path] = _wrap(fmt, lines)
            corpus.secrets.append((kind, value))
            corpus.paths.append(path)
    return corpus
