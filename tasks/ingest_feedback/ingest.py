"""Turn batches of raw lines into ledger rows: parse, validate, de-duplicate, scrub."""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from operator import attrgetter, itemgetter
from typing import TYPE_CHECKING

import msgspec
import numpy as np
import pyarrow as pa

from tasks.feedback_events import SCHEMA_VERSION, Event, line_problems, valid_events
from tasks.feedback_scrubbing import scrub_events
from tasks.ingest_feedback.ide import NOT_FEEDBACK
from tasks.ingest_feedback.sources import Chunk

if TYPE_CHECKING:
    from tasks.ingest_feedback.writer import LedgerWriter

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


@dataclass
class Prepared:
    """A batch's valid first-seen events, scrubbed, with their line numbers and redaction counts
    (JSON): what the ledger writer turns into rows (`ledger_columns`)."""

    events: list[Event]
    lines: list[int]
    redactions: list[str]


def process_chunk(chunk: Chunk, seen: dict[str, Where]) -> tuple[Prepared, list[tuple]]:
    """A batch's valid first-seen events (scrubbed), and its rejects with reasons.

    `seen` maps every event id already ingested to where (source, file, line); it is updated
    in place.
    """
    numbered = [
        (n, line)
        for n, line in enumerate(chunk.lines, chunk.first_line)
        if line and not line.isspace()  # blank lines are not events (strip() would copy)
    ]
    lines = [line for _, line in numbered]
    valid_at, valid = valid_events(lines)
    refused = np.ones(len(lines), dtype=bool)
    refused[valid_at] = False
    # Lines a foreign source (continue, tabby) could not map onto an event, with its reasons.
    rejects = [(chunk.source, chunk.piece, n, eid, reason) for n, eid, reason in chunk.rejects]
    for index in np.flatnonzero(refused).tolist():  # the few lines the fast path refused
        event_id, problems = line_problems(lines[index])
        rejects.append(
            (chunk.source, chunk.piece, numbered[index][0], event_id, "; ".join(problems))
        )
    kept, numbers = [], []
    for index, event in zip(valid_at, valid, strict=True):
        number, event_id = numbered[index][0], event.event_id
        if event_id in seen:
            source, piece, line = seen[event_id]
            reason = f"duplicate event_id (already ingested from {source}/{piece}:{line})"
            rejects.append((chunk.source, chunk.piece, number, event_id, reason))
            continue
        seen[event_id] = (chunk.source, chunk.piece, number)
        kept.append(event)
        numbers.append(number)
    rejects.sort(key=itemgetter(2))  # in line order, as they were read
    scrubbed, redactions = scrub_events(kept)
    return Prepared(scrubbed, numbers, redactions), rejects


def ledger_columns(prepared: Prepared, source: str, piece: str) -> list[Sequence]:
    """The events as ledger columns (`ledger.STORED_COLUMNS`): one sequence per column, so
    they become SQLite rows and Arrow arrays without a pass per event and column."""
    events, n = prepared.events, len(prepared.events)
    ids, stamps, models, tasks, actions, latencies, clients, users, prompts, completions, edits = (
        zip(*map(_FIELDS, events), strict=True) if events else [()] * 11
    )
    prompts_json = [text.decode() for text in map(_encode, prompts)]
    edits = [edit or None for edit in edits]
    return [
        ids, [SCHEMA_VERSION] * n, stamps, models, tasks, prompts_json, completions, actions,
        edits, latencies, clients, users, [source] * n, [piece] * n, prepared.lines,
        prepared.redactions,
    ]  # fmt: skip


# Every field of an event, in one pass over the events (each is touched once).
_FIELDS = attrgetter(
    "event_id",
    "timestamp",
    "model_version",
    "task",
    "action",
    "latency_ms",
    "client",
    "user",
    "prompt",
    "completion",
    "edited_completion",
)
_encode = msgspec.json.Encoder().encode


def reject_kind(reason: str) -> str:
    """The kind of a reject reason, for counts: invalid_json, duplicate, not_feedback (an IDE
    tool's line with no verdict in it) or invalid_event."""
    if reason.startswith("invalid JSON"):
        return "invalid_json"
    if reason.startswith(NOT_FEEDBACK):
        return "not_feedback"
    return "duplicate" if reason.startswith("duplicate event_id") else "invalid_event"


def ingest(writer: LedgerWriter, chunks: Iterable[Chunk], seen: dict[str, Where]) -> Tally:
    """Process each batch and hand it to the ledger writer; return what was ingested and
    rejected.

    The writer commits batch n in its own process while batch n + 1 is processed, in order
    and at most one batch behind, so a kill still leaves the ledger at the end of a whole
    batch. Returns once every batch is committed.
    """
    tally = Tally()
    for chunk in chunks:
        prepared, rejects = process_chunk(chunk, seen)
        writer.submit(chunk, prepared, rejects)
        tally.lines += len(chunk.lines)
        tally.events += len(prepared.events)
        tally.rejects += len(rejects)
        for reject in rejects:
            kind = reject_kind(reject[-1])
            tally.reasons[kind] = tally.reasons.get(kind, 0) + 1
    writer.wait()
    tally.new_events = writer.committed()
    return tally
