"""Turn batches of raw lines into ledger rows: parse, validate, de-duplicate, scrub."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field

import orjson

from tasks.ingest_feedback import ledger
from tasks.ingest_feedback.events import event_problems, valid_mask
from tasks.ingest_feedback.scrubbing import scrub_events
from tasks.ingest_feedback.sources import Chunk


@dataclass
class Tally:
    """What one run did."""

    lines: int = 0
    events: int = 0
    rejects: int = 0
    reasons: dict[str, int] = field(default_factory=dict)


def _parse(line: bytes) -> object:
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        return ParseError(str(exc).split(":")[0])


@dataclass(frozen=True)
class ParseError:
    message: str


def process_chunk(chunk: Chunk, seen: dict[str, str]) -> tuple[list[tuple], list[tuple]]:
    """Ledger rows for a batch: valid first-seen events (scrubbed) and rejects with reasons.

    `seen` maps every event id already ingested to where; it is updated in place.
    """
    numbered = [(n, line) for n, line in enumerate(chunk.lines, chunk.first_line) if line.strip()]
    parsed = [_parse(line) for _, line in numbered]
    ok = valid_mask(parsed)
    kept, rejects = [], []
    for (number, _), event, fast_ok in zip(numbered, parsed, ok, strict=True):
        where = (chunk.source, chunk.piece, number)
        if isinstance(event, ParseError):
            rejects.append((*where, None, f"invalid JSON: {event.message}"))
            continue
        event_id = event.get("event_id") if isinstance(event, dict) else None
        event_id = event_id if isinstance(event_id, str) else None
        # The column-wise check is the fast path; the per-record one names every problem.
        problems = [] if fast_ok else event_problems(event)
        if not problems and event_id in seen:
            problems = [f"duplicate event_id (already ingested from {seen[event_id]})"]
        if problems:
            rejects.append((*where, event_id, "; ".join(problems)))
            continue
        seen[event_id] = f"{chunk.source}/{chunk.piece}:{number}"
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


def ingest(connection: sqlite3.Connection, chunks: Iterable[Chunk], seen: dict[str, str]) -> Tally:
    """Process and commit each batch in turn; return what was ingested and rejected."""
    tally = Tally()
    for chunk in chunks:
        events, rejects = process_chunk(chunk, seen)
        ledger.commit_batch(connection, chunk, events, rejects)
        tally.lines += len(chunk.lines)
        tally.events += len(events)
        tally.rejects += len(rejects)
        for reject in rejects:
            kind = reject_kind(reject[-1])
            tally.reasons[kind] = tally.reasons.get(kind, 0) + 1
    return tally
