"""Junk filters with the StarCoder / CodeParrot defaults; each returns a reason or None.

A reason starts with a short category (`binary:`, `too_large:`, ...) that summaries group by,
then says what was measured against which threshold from params.yaml.
"""

from __future__ import annotations

import re

from tasks.identify_assets.classify import WEB_LANGUAGES
from tasks.params import FilterParams

_SPACE = re.compile(r"\s+")
_NOT_ALNUM = re.compile(r"[\W_]+")
_ASCII_SPACE = b" \t\n\r\x0b\x0c"
_ASCII_ALNUM = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def alnum_fraction(text: str) -> float:
    """Share of letters and digits among the non-space characters."""
    if text.isascii():  # bytes.translate deletes in C, ten times faster than a regex
        raw = text.encode("ascii")
        visible = len(raw.translate(None, _ASCII_SPACE))
        alnum = len(raw) - len(raw.translate(None, _ASCII_ALNUM))
    else:
        visible = len(_SPACE.sub("", text))
        alnum = len(_NOT_ALNUM.sub("", text))
    return alnum / max(visible, 1)


def excluded_dir(name: str, params: FilterParams) -> str | None:
    """Reason when a directory is vendored or a build output (never descended into)."""
    if name in params.excluded_dirs:
        return f"excluded_dir: {name}/ is vendored or build output"
    return None


def excluded_path(path: str, params: FilterParams) -> str | None:
    """Reason when any folder on a file's path is excluded (git and S3 list files, not dirs)."""
    for folder in path.split("/")[:-1]:
        reason = excluded_dir(folder, params)
        if reason:
            return reason
    return None


def size_reason(size: int, params: FilterParams) -> str | None:
    """Reason when a file is empty or larger than the maximum (checked before reading it)."""
    if size == 0:
        return "empty: 0 bytes"
    if size > params.max_file_bytes:
        return f"too_large: {size} bytes > max_file_bytes {params.max_file_bytes}"
    return None


def binary_reason(data: bytes) -> str | None:
    """Reason when the bytes look binary (a NUL byte in the first 8 KiB)."""
    return "binary: NUL byte in the first 8 KiB" if b"\x00" in data[:8192] else None


def minified_name_reason(path: str) -> str | None:
    """Reason when the file name says it is minified (`app.min.js`)."""
    return "minified: .min. in the file name" if ".min." in path.rsplit("/", 1)[-1] else None


def minified_reason(language: str, lines: list[str], params: FilterParams) -> str | None:
    """Reason when a web asset has very long lines on average (minified or bundled)."""
    if language in WEB_LANGUAGES and lines:
        mean = sum(map(len, lines)) / len(lines)
        if mean > params.max_mean_line_length:
            return f"minified: {language} with {mean:.0f} chars per line on average"
    return None


def text_reason(text: str, lines: list[str], params: FilterParams) -> str | None:
    """Reason when decoded text is generated or not code-like (line lengths, alnum share)."""
    head = "\n".join(lines[: params.generated_marker_lines]).lower()
    for marker in params.generated_markers:
        if marker.lower() in head:
            return (
                f"generated: marker '{marker}' in the first {params.generated_marker_lines} lines"
            )
    lengths = list(map(len, lines)) or [0]
    longest = max(lengths)
    if longest > params.max_line_length:
        return f"long_line: {longest} chars > max_line_length {params.max_line_length}"
    mean = sum(lengths) / len(lengths)
    if mean > params.max_mean_line_length:
        return f"mean_line_length: {mean:.0f} > {params.max_mean_line_length}"
    alnum = alnum_fraction(text)
    if alnum < params.min_alnum_fraction:
        return f"alnum_fraction: {alnum:.2f} < {params.min_alnum_fraction}"
    return None
