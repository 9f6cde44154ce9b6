"""Replace secrets and personal data with typed placeholders before anything is stored.

Patterns run in order, most specific first, so a private key block is one <PRIVATE_KEY> and
not a dozen <KEY>s. The counts per placeholder go into the inventory; the matched text never
leaves this module.
"""

from __future__ import annotations

import re
from collections import Counter

_PATTERNS: list[tuple[str, re.Pattern[str], str]] = [
    (
        "PRIVATE_KEY",
        re.compile(
            r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----.*?-----END (?:[A-Z]+ )?PRIVATE KEY-----",
            re.S,
        ),
        "<PRIVATE_KEY>",
    ),
    ("JWT", re.compile(r"\beyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]{8,}"), "<JWT>"),
    ("AWS_KEY", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"), "<KEY>"),
    ("GITHUB_TOKEN", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"), "<KEY>"),
    ("SLACK_TOKEN", re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}\b"), "<KEY>"),
    (
        "CONNECTION_STRING",
        re.compile(r"\b([a-z][a-z0-9+.-]*://[^\s:/@'\"]+:)(?!<PASSWORD>@)[^\s@'\"]+(@)", re.I),
        r"\1<PASSWORD>\2",
    ),
    (
        # In code only a quoted literal is a secret: `this.token = token` is not.
        "PASSWORD",
        re.compile(
            r"""(?ix)
            ((?:password|passwd|pwd|secret|api[_-]?key|access[_-]?key|auth[_-]?token|token
               |client[_-]?secret)\w*["']?\s*[:=]\s*)
            (["'])(?!<[A-Z_]+>)(?![$%{])([^"'\s]{4,})\2
            """
        ),
        r"\1\2<PASSWORD>\2",
    ),
    ("EMAIL", re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}\b"), "<EMAIL>"),
    (
        "IP",
        re.compile(
            r"(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)(?![\w.])"
        ),
        "<IP>",
    ),
]


_CONFIG_PASSWORD = re.compile(
    r"""(?imx)
    ^(\s*[\w.-]*(?:password|passwd|pwd|secret|api[_-]?key|access[_-]?key|token)[\w.-]*\s*[:=]\s*)
    (?!<[A-Z_]+>)(?![$%{"'])(\S{4,})\s*$
    """
)
CONFIG_LANGUAGES = {"yaml", "toml", "text", "unknown", "properties", "shell"}


def _patterns(language: str) -> list[tuple[str, re.Pattern[str], str]]:
    if language in CONFIG_LANGUAGES:
        return [*_PATTERNS, ("PASSWORD", _CONFIG_PASSWORD, r"\1<PASSWORD>")]
    return _PATTERNS


def scrub(text: str, language: str = "unknown") -> tuple[str, dict[str, int]]:
    """Return the text with every secret and personal datum replaced, and counts per kind."""
    counts: Counter[str] = Counter()
    for kind, pattern, replacement in _patterns(language):
        text, n = pattern.subn(replacement, text)
        if n:
            counts[kind] += n
    return text, dict(counts)


def find_secrets(text: str, language: str = "unknown") -> list[str]:
    """Kinds of secret patterns still present in already-scrubbed text (for the gate)."""
    return sorted({kind for kind, pattern, _ in _patterns(language) if pattern.search(text)})
