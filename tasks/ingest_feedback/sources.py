"""Feedback sources (local folders of *.jsonl, S3 prefixes) read from their watermarks on.

A piece of a source is a file (dir, continue, tabby) or an object (S3). Each is read from
the byte offset the ledger last committed for it, up to its last complete line, so a file the
server is still appending to is never read half-way through a line. S3 objects are immutable:
a changed ETag means a rewritten object, read again from the start (event ids keep that
idempotent).

The IDE-tool sources (`continue`, `tabby`) read their files the same way and map each line
onto a schema-v1 event (tasks/ingest_feedback/continue_dev.py, tabby.py): a chunk's lines are
then the events' JSON, line for line (b"" where a line is no event), with the rejects found
while mapping and, for Tabby, the completions that wait for their verdict in the ledger.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import orjson

from tasks.ingest_feedback.ide import expand, mapped_lines
from tasks.params import (
    FeedbackContinueSource,
    FeedbackDirSource,
    FeedbackS3Source,
    FeedbackSourceParams,
    FeedbackTabbySource,
    Params,
)
from tasks.s3 import s3_client


@dataclass(frozen=True)
class Watermark:
    """How far one piece of a source has been ingested."""

    offset: int = 0  # bytes consumed: the end of the last complete line
    lines: int = 0  # lines consumed, so rejects can name the line number
    etag: str = ""  # S3 only: the object version the offset belongs to


@dataclass(frozen=True)
class Chunk:
    """Complete lines of one piece, from its watermark up to `end`."""

    source: str
    piece: str  # file name (dir) or object key (S3)
    lines: list[bytes]
    first_line: int  # 1-based number of lines[0] in the piece
    end: Watermark  # the watermark once these lines are committed
    # Found while mapping a foreign line (continue, tabby): (line number, event id, reason).
    rejects: tuple[tuple[int, str | None, str], ...] = ()
    # Tabby: completions read, waiting for their select / dismiss in the ledger:
    # (completion_id, piece, byte offset, length, ts in ms); committed with the batch.
    pending: tuple[tuple[str, str, int, int, int], ...] = ()
    prune_before: int = 0  # Tabby: pending completions older than this (ms) are let go

    def without_lines(self) -> Chunk:
        """The chunk's place, without its lines (all a commit needs of it)."""
        return replace(self, lines=[], rejects=())


def _is_json_object(data: bytes) -> bool:
    try:
        return isinstance(orjson.loads(data), dict)
    except orjson.JSONDecodeError:
        return False


def chunks(
    source: str, piece: str, data: bytes, start: Watermark, etag: str, final: bool, size: int
) -> Iterator[Chunk]:
    """Batches of the complete lines in `data` (read from `start`), each with its watermark.

    A file still being written may end in a partial line: it is left for the next run unless
    it is already a whole JSON object (the writer's newline not written yet) or `final`.
    """
    tail_at = data.rfind(b"\n") + 1
    tail = data[tail_at:]
    if final or (tail.strip() and _is_json_object(tail)):
        tail_at = len(data)
    lines = data[:tail_at].split(b"\n")
    if lines[-1] == b"":
        lines.pop()  # what follows the last terminator
    offset, number = start.offset, start.lines
    for at in range(0, len(lines), size):
        batch = lines[at : at + size]
        offset = min(offset + sum(map(len, batch)) + len(batch), start.offset + tail_at)
        number += len(batch)
        end = Watermark(offset, number, etag)
        yield Chunk(source, piece, batch, number - len(batch) + 1, end)


def read_dir(
    name: str, source: FeedbackDirSource, marks: dict[str, Watermark], size: int
) -> Iterator[Chunk]:
    """New complete lines of every *.jsonl file in the folder, files in name order."""
    root = Path(source.path)
    if not root.is_dir():
        if source.optional:
            return
        raise SystemExit(f"feedback source {name!r}: folder {source.path!r} does not exist")
    for path in sorted(root.glob("*.jsonl")):
        start, data = new_bytes(path, marks.get(path.name, Watermark()))
        yield from chunks(name, path.name, data, start, "", final=False, size=size)


def new_bytes(path: Path, start: Watermark) -> tuple[Watermark, bytes]:
    """The file's bytes from its watermark on (from the start when it shrank: rewritten)."""
    if path.stat().st_size < start.offset:
        start = Watermark()  # the file was rewritten: read it again, event ids dedupe
    with path.open("rb") as fh:
        fh.seek(start.offset)
        return start, fh.read()


def _folder(name: str, path: str, optional: bool) -> Path | None:
    root = expand(path)
    if root.is_dir():
        return root
    if optional:
        return None
    raise SystemExit(f"feedback source {name!r}: folder {path!r} does not exist")


def read_continue(
    name: str, source: FeedbackContinueSource, marks: dict[str, Watermark], size: int
) -> Iterator[Chunk]:
    """Continue's dev data: every `<version>/<eventName>.jsonl` (piece: that relative path),
    each line mapped onto a v1 event or a reject. Files outside a version folder are read
    too, and each of their lines rejected as of no schema version we know."""
    from tasks.ingest_feedback.continue_dev import Answers, map_line, piece_place

    root = _folder(name, source.path, source.optional)
    if root is None:
        return
    answers = Answers(source.answers)
    for path in sorted([*root.glob("*.jsonl"), *root.glob("*/*.jsonl")]):
        piece = path.relative_to(root).as_posix()
        version, event = piece_place(piece)
        start, data = new_bytes(path, marks.get(piece, Watermark()))
        for raw in chunks(name, piece, data, start, "", final=False, size=size):
            results = [map_line(line, version, event, answers) for line in raw.lines]
            lines, rejects = mapped_lines(results, raw.first_line)
            yield replace(raw, lines=lines, rejects=rejects)


def read_tabby(
    name: str, source: FeedbackTabbySource, marks: dict[str, Watermark], size: int,
    pending: dict[str, tuple[str, int, int, int]],
) -> Iterator[Chunk]:  # fmt: skip
    """Tabby's event logs (`YYYY-MM-DD.json`, in name order = time order): completions wait
    (in the ledger) for the select or dismiss that makes them an event."""
    from tasks.ingest_feedback.tabby import TabbyMapper

    root = _folder(name, source.path, source.optional)
    if root is None:
        return
    mapper = TabbyMapper(root, source, pending)
    files = sorted(p for p in root.iterdir() if p.suffix in (".json", ".jsonl") and p.is_file())
    for path in files:
        start, data = new_bytes(path, marks.get(path.name, Watermark()))
        at = start.offset
        for raw in chunks(name, path.name, data, start, "", final=False, size=size):
            results = []
            for line in raw.lines:
                results.append(mapper.map_line(line, path.name, at))
                at += len(line) + 1
            lines, rejects = mapped_lines(results, raw.first_line)
            yield replace(raw, lines=lines, rejects=rejects, pending=mapper.take_pending(),
                          prune_before=mapper.prune_before())  # fmt: skip


def read_s3(
    name: str, source: FeedbackS3Source, marks: dict[str, Watermark], size: int
) -> Iterator[Chunk]:
    """Every object under the prefix not yet ingested at its current ETag, in key order."""
    client = s3_client(source.endpoint_url, source.region)
    pages = client.get_paginator("list_objects_v2").paginate(
        Bucket=source.bucket, Prefix=source.prefix
    )
    for obj in (o for page in pages for o in page.get("Contents", [])):
        key, etag = obj["Key"], obj["ETag"].strip('"')
        start = marks.get(key, Watermark())
        if start.etag != etag:
            start = Watermark()  # new or rewritten object: from the start, event ids dedupe
        if start.offset >= obj["Size"]:
            continue
        data = client.get_object(Bucket=source.bucket, Key=key)["Body"].read()[start.offset :]
        yield from chunks(name, key, data, start, etag, final=True, size=size)


def read_source(
    name: str, source: FeedbackSourceParams, marks: dict[str, Watermark], size: int,
    pending: dict[str, tuple[str, int, int, int]] | None = None,
) -> Iterator[Chunk]:  # fmt: skip
    """New lines of one source, in batches of at most `size` lines (`pending`: a Tabby
    source's completions still waiting in the ledger)."""
    if isinstance(source, FeedbackS3Source):
        return read_s3(name, source, marks, size)
    if isinstance(source, FeedbackContinueSource):
        return read_continue(name, source, marks, size)
    if isinstance(source, FeedbackTabbySource):
        return read_tabby(name, source, marks, size, pending or {})
    return read_dir(name, source, marks, size)


def skipped_sources(params: Params) -> dict[str, str]:
    """Feedback sources left out, with why: those `only_with_source` ties to an asset source
    that identify_assets.sources does not list (the demo's inbox in a copy pointed elsewhere)."""
    assets = params.identify_assets.sources
    return {
        name: f"only with identify_assets source '{source.only_with_source}', which is not listed"
        for name, source in params.ingest_feedback.sources.items()
        if source.only_with_source is not None and source.only_with_source not in assets
    }
