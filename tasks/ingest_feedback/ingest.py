"""Turn batches of raw lines into ledger rows: parse, validate, de-duplicate, scrub."""

from __future__ import annotations

import gc
import sqlite3
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field

import orjson
import pyarrow as pa

from tasks.ingest_feedback import ledger
from tasks.ingest_feedback.events import event_problems, valid_mask
from tasks.ingest_feedback.scrubbing import scrub_events
from tasks.ingest_feedback.sources import Chunk

Where = tuple[str, str, int]  # source, file (or object key), line number


@dataclass
class Tally:
    """What one run did."""

    lines: int = 0
    events: int = 0
    rejects: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    earlier_rows: int = 0  # the ledger's last event rowid before this run
    new_events: list[pa.RecordBatch] = field(default_factory=list)  # as committed, in order


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for the block (reference counting still frees).

    A batch allocates millions of small dicts, lists and tuples, none in a cycle; the collector
    would scan the ever larger heap again and again for nothing (about a third of the time).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _parse(line: bytes) -> object:
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        return ParseError(str(exc).split(":")[0])


@dataclass(frozen=True)
class ParseError:
    message: str


def process_chunk(chunk: Chunk, seen: dict[str, Where]) -> tuple[list[tuple], list[tuple]]:
    """Ledger rows for a batch: valid first-seen events (scrubbed) and rejects with reasons.

    `seen` maps every event id already ingested to where (source, file, line); it is updated
    in place.
    """
    numbered = [
        (n, line)
        for n, line in enumerate(chunk.lines, chunk.first_line)
        if line and not line.isspace()  # blank lines are not events (strip() would copy)
    ]
    parsed = [_parse(line) for _, line in numbered]
    ok = valid_mask(parsed).tolist()
    kept, rejects = [], []
    for (number, _), event, fast_ok in zip(numbered, parsed, ok, strict=True):
        where = (chunk.source, chunk.piece, number)
        # The column-wise check is the fast path; the per-record one names every problem.
        if not fast_ok:
            if isinstance(event, ParseError):
                rejects.append((*where, None, f"invalid JSON: {event.message}"))
                continue
            if problems := event_problems(event):
                event_id = event.get("event_id") if isinstance(event, dict) else None
                event_id = event_id if isinstance(event_id, str) else None
                rejects.append((*where, event_id, "; ".join(problems)))
                continue
        event_id = event["event_id"]
        if event_id in seen:
            source, piece, line = seen[event_id]
            reason = f"duplicate event_id (already ingested from {source}/{piece}:{line})"
            rejects.append((*where, event_id, reason))
            continue
        seen[event_id] = where
        kept.append((event, where))
    events = [
        (
            event["event_id"], event["schema_version"], event["timestamp"],
            event["model_version"], event["task"], prompt, completion, event["action"], edited,
            float(event["latency_ms"]), event["client"], event["user"], *where, redactions,
        )
        for (event, where), (prompt, completion, edited, redactions) in zip(
            kept, scrub_events([event for event, _ in kept]), strict=True
        )
    ]  # fmt: skip
    return events, rejects


def reject_kind(reason: str) -> str:
    """The kind of a reject reason, for counts: invalid_json, duplicate or invalid_event."""
    if reason.startswith("invalid JSON"):
        return "invalid_json"
    return "duplicate" if reason.startswith("duplicate event_id") else "invalid_event"


def ingest(
    connection: sqlite3.Connection, chunks: Iterable[Chunk], seen: dict[str, Where]
) -> Tally:
    """Process and commit each batch in turn; return what was ingested and rejected.

    Batch n is committed on a second thread while batch n + 1 is processed (SQLite runs
    without the GIL): one committer, in order, at most one batch behind, so a kill still leaves
    the ledger at the end of a whole batch.
    """
    tally = Tally()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ledger") as committer:
        committed: Future | None = None
        for chunk in chunks:
            events, rejects = process_chunk(chunk, seen)
            if committed is not None:
                committed.result()  # raises what went wrong in the previous commit
            committed = committer.submit(ledger.commit_batch, connection, chunk, events, rejects)
            tally.new_events.append(ledger.as_batch(events))
            tally.lines += len(chunk.lines)
            tally.events += len(events)
            tally.rejects += len(rejects)
            for reject in rejects:
                kind = reject_kind(reject[-1])
                tally.reasons[kind] = tally.reasons.get(kind, 0) + 1
        if committed is not None:
            committed.result()
    return tally
