"""Scan one configured source: every file becomes a kept asset or a reject with a reason.

Runs as the DVC stage `scan_source@<name>` (one per source in params.yaml), so DVC tracks each
source's content and only a changed source is rescanned.
"""

from __future__ import annotations

import fnmatch
import json
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from tasks.identify_assets import classify, filters
from tasks.identify_assets.scrub import scrub
from tasks.io import sha256_bytes, write_parquet
from tasks.params import FilterParams, SourceParams, load_params, step_parser

INVENTORY_COLUMNS = [
    "asset_id", "source", "path", "commit", "kind", "language", "bytes", "lines", "sha256",
    "content_sha256", "status", "reason", "redactions", "duplicate_of",
]  # fmt: skip


CONTENT_COLUMNS = ["asset_id", "source", "path", "kind", "language", "text"]


class SourceError(RuntimeError):
    """A configured source cannot be scanned (for example, it does not exist)."""


@dataclass
class ScannedFile:
    row: dict
    text: str | None  # scrubbed text of a kept file, None for a reject


def _row(source: str, path: str, **fields) -> dict:
    row = dict.fromkeys(INVENTORY_COLUMNS)
    row.update(asset_id=f"{source}:{path}", source=source, path=path, bytes=0, lines=0)
    row.update(redactions="{}", language="unknown", kind="other")
    row.update(fields)
    return row


def _rejected(source: str, path: str, reason: str, **fields) -> ScannedFile:
    return ScannedFile(_row(source, path, status="rejected", reason=reason, **fields), None)


def normalised(text: str) -> str:
    """Content used for exact de-duplication: line endings and trailing spaces ignored."""
    return "\n".join(line.rstrip() for line in text.splitlines()).strip()


def scan_file(source: str, root: Path, rel: str, params: FilterParams) -> ScannedFile:
    """Read, classify, filter and scrub one file."""
    full = root / rel
    if full.is_symlink():
        return _rejected(source, rel, "symlink: not followed")
    try:
        data = full.read_bytes()
    except OSError as exc:
        return _rejected(source, rel, f"unreadable: {exc.strerror or exc}")
    base = {"bytes": len(data), "sha256": sha256_bytes(data)}
    reason = filters.size_reason(len(data), params) or filters.binary_reason(data)
    if reason:
        return _rejected(source, rel, reason, **base)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return _rejected(source, rel, f"encoding: not UTF-8 at byte {exc.start}", **base)
    language = classify.language_of(rel, text[:200])
    kind = classify.kind_of(rel, language, text)
    base.update(language=language, kind=kind, lines=text.count("\n") + 1)
    reason = filters.text_reason(rel, text, params)
    if reason:
        return _rejected(source, rel, reason, **base)
    clean, counts = scrub(text, language)
    row = _row(
        source,
        rel,
        **base,
        status="kept",
        content_sha256=sha256_bytes(normalised(clean).encode()),
        redactions=json.dumps(counts, sort_keys=True),
    )
    return ScannedFile(row, clean)


def _excluded(rel: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatch(rel, pattern) for pattern in patterns)


def scan_directory(name: str, source: SourceParams, params: FilterParams) -> list[ScannedFile]:
    """Walk a directory source (symlinks are recorded, never followed)."""
    root = Path(source.path)
    if not root.is_dir():
        raise SourceError(f"source '{name}': directory {source.path!r} does not exist")
    scanned: list[ScannedFile] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        rel_dir = Path(dirpath).relative_to(root).as_posix()
        kept_dirs = []
        for dirname in sorted(dirnames):
            rel = dirname if rel_dir == "." else f"{rel_dir}/{dirname}"
            reason = filters.excluded_dir(rel, params)
            if _excluded(rel + "/", source.exclude):
                continue
            if reason:
                scanned.append(_rejected(name, rel + "/", reason))
            elif (Path(dirpath) / dirname).is_symlink():
                scanned.append(_rejected(name, rel + "/", "symlink: not followed"))
            else:
                kept_dirs.append(dirname)
        dirnames[:] = kept_dirs
        for filename in sorted(filenames):
            rel = filename if rel_dir == "." else f"{rel_dir}/{filename}"
            if not _excluded(rel, source.exclude):
                scanned.append(scan_file(name, root, rel, params))
    return scanned


def to_frames(scanned: list[ScannedFile]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Inventory (every file) and contents (kept files' scrubbed text) frames."""
    inventory = pd.DataFrame([s.row for s in scanned], columns=INVENTORY_COLUMNS)
    contents = pd.DataFrame(
        [{k: s.row[k] for k in CONTENT_COLUMNS[:-1]} | {"text": s.text} for s in scanned if s.text],
        columns=CONTENT_COLUMNS,
    )
    return inventory, contents


def main(argv: list[str] | None = None) -> None:
    parser = step_parser("Scan one asset source into a per-source inventory.")
    parser.add_argument("source", help="a key of identify_assets.sources in params")
    args = parser.parse_args(argv)
    params = load_params(args.params).identify_assets
    if args.source not in params.sources:
        parser.error(f"unknown source {args.source!r}; params list {sorted(params.sources)}")
    scanned = scan_directory(args.source, params.sources[args.source], params.filters)
    inventory, contents = to_frames(scanned)
    out = Path(params.scan_dir) / args.source
    write_parquet(out / "inventory.parquet", inventory)
    write_parquet(out / "contents.parquet", contents)
    kept = int((inventory["status"] == "kept").sum())
    rejected = len(inventory) - kept
    print(f"source '{args.source}': {len(inventory)} scanned, {kept} kept, {rejected} rejected")


if __name__ == "__main__":
    main()
