"""Junk filters with the StarCoder / CodeParrot defaults; each returns a reason or None."""

from __future__ import annotations

from pathlib import PurePosixPath

from tasks.params import FilterParams


def excluded_dir(rel_dir: str, params: FilterParams) -> str | None:
    """Reason when a directory is vendored or a build output (never descended into)."""
    name = PurePosixPath(rel_dir).name
    return (
        f"excluded_dir: {name}/ is vendored or build output"
        if name in params.excluded_dirs
        else None
    )


def binary_reason(data: bytes) -> str | None:
    """Reason when the bytes look binary (a NUL byte in the first 8 KiB)."""
    return "binary: NUL byte in the first 8 KiB" if b"\x00" in data[:8192] else None


def size_reason(size: int, params: FilterParams) -> str | None:
    """Reason when a file is empty or larger than the configured maximum."""
    if size == 0:
        return "empty: 0 bytes"
    if size > params.max_file_bytes:
        return f"too_large: {size} bytes > max_file_bytes {params.max_file_bytes}"
    return None


def text_reason(path: str, text: str, params: FilterParams) -> str | None:
    """Reason when decoded text is generated, minified or not code-like."""
    if ".min." in PurePosixPath(path).name:
        return "minified: .min. file name"
    head = "\n".join(text.splitlines()[: params.generated_marker_lines]).lower()
    for marker in params.generated_markers:
        if marker.lower() in head:
            return (
                f"generated: marker '{marker}' in the first {params.generated_marker_lines} lines"
            )
    lines = text.splitlines() or [""]
    longest = max(len(line) for line in lines)
    if longest > params.max_line_length:
        return f"long_line: {longest} chars > max_line_length {params.max_line_length}"
    mean = sum(len(line) for line in lines) / len(lines)
    if mean > params.max_mean_line_length:
        return f"mean_line_length: {mean:.0f} > {params.max_mean_line_length}"
    visible = [c for c in text if not c.isspace()]
    alnum = sum(c.isalnum() for c in visible) / max(len(visible), 1)
    if alnum < params.min_alnum_fraction:
        return f"alnum_fraction: {alnum:.2f} < {params.min_alnum_fraction}"
    return None
