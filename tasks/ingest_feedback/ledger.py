"""The durable record of ingestion: every event once, every rejected line, every watermark.

One SQLite file by default (`ingest_feedback.ledger: sqlite`). `event_id` is the events table's
primary key, so no event can be stored twice, and each batch commits its events, its rejects
and its watermark in one transaction: a run killed at any point leaves the ledger at the end of
the last whole batch, and the next run starts exactly there. Everything the stage outputs is
regenerated from this file (a run's own new events straight from memory, the rows it has just
committed). One writer at a time holds it (tasks/ingest_feedback/writer.py: writer.lock).

`ledger: postgresql://...` keeps the ledger in PostgreSQL instead, with the same guarantees
for several writers at once (tasks/ingest_feedback/ledger_postgres.py). Every function here
takes either kind of connection, from `open_ledger`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import pyarrow as pa

from tasks.ingest_feedback.sources import Chunk, Watermark

LEDGER_FILE = "ledger.sqlite"
STORED_COLUMNS = [
    "event_id", "schema_version", "timestamp", "model_version", "task", "prompt", "completion",
    "action", "edited_completion", "latency_ms", "client", "user", "source", "source_file",
    "line", "redactions",
]  # fmt: skip
REJECT_COLUMNS = ["source", "source_file", "line", "event_id", "reason"]
_TYPES = {"schema_version": pa.int64(), "latency_ms": pa.float64(), "line": pa.int64()}
EVENTS_SCHEMA = pa.schema([(name, _TYPES.get(name, pa.string())) for name in STORED_COLUMNS])
REJECTS_SCHEMA = pa.schema([(name, _TYPES.get(name, pa.string())) for name in REJECT_COLUMNS])
_FETCH_ROWS = 100_000  # rows turned into Arrow columns at a time: bounded Python objects

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    event_id TEXT PRIMARY KEY, schema_version INTEGER, timestamp TEXT, model_version TEXT,
    task TEXT, prompt TEXT, completion TEXT, action TEXT, edited_completion TEXT,
    latency_ms REAL, client TEXT, user TEXT, source TEXT, source_file TEXT, line INTEGER,
    redactions TEXT
);
CREATE TABLE IF NOT EXISTS rejects (
    source TEXT, source_file TEXT, line INTEGER, event_id TEXT, reason TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS watermarks (
    source TEXT, piece TEXT, offset INTEGER, lines INTEGER, etag TEXT,
    PRIMARY KEY (source, piece)
);
CREATE TABLE IF NOT EXISTS pending (
    source TEXT, completion_id TEXT, piece TEXT, offset INTEGER, length INTEGER, ts INTEGER,
    PRIMARY KEY (source, completion_id)
);
"""


SQLITE = "sqlite"


def open_ledger(ledger_dir: str | Path, location: str = SQLITE, *, writing: bool = False) -> Any:
    """Open (creating if needed) the ledger: the SQLite file in `ledger_dir`, or the PostgreSQL
    database `location` names (`ingest_feedback.ledger`); `writing`: the writer's connection."""
    if location != SQLITE:
        from tasks.ingest_feedback import ledger_postgres

        return ledger_postgres.open_ledger(location, writing=writing)
    Path(ledger_dir).mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(Path(ledger_dir) / LEDGER_FILE)
    connection.execute("PRAGMA synchronous = FULL")  # a commit survives a power cut too
    connection.execute("PRAGMA page_size = 16384")  # rows of ~1 KB: fewer splits (new files)
    # event_id's index takes ids in no particular order: with SQLite's default 2 MB page cache
    # a large batch keeps evicting and re-reading index pages. 256 MB at most, only as used.
    connection.execute("PRAGMA cache_size = -262144")
    connection.executescript(_SCHEMA)
    return connection


def _postgres(connection: Any) -> ModuleType | None:
    """The PostgreSQL ledger's module when `connection` is one of its connections."""
    if isinstance(connection, sqlite3.Connection):
        return None
    from tasks.ingest_feedback import ledger_postgres

    return ledger_postgres


def claim_sources(connection: Any, sources: Sequence[str]) -> None:
    """Make the writer's connection the only writer of these sources until it closes: a no-op
    for SQLite, whose writer holds the whole ledger (writer.lock); in PostgreSQL, wait while
    another writer holds one of them."""
    if backend := _postgres(connection):
        backend.claim_sources(connection, sources)


def watermarks(connection: Any, source: str) -> dict[str, Watermark]:
    """The committed watermark of each piece (file or object) of a source."""
    if backend := _postgres(connection):
        return backend.watermarks(connection, source)
    rows = connection.execute(
        "SELECT piece, offset, lines, etag FROM watermarks WHERE source = ?", (source,)
    )
    return {piece: Watermark(offset, lines, etag) for piece, offset, lines, etag in rows}


def pending_completions(connection: Any, source: str) -> dict[str, tuple[str, int, int, int]]:
    """A Tabby source's completions waiting for their verdict: id -> (file, offset, length,
    ts). Only where they are: their text stays in Tabby's log until it is an event."""
    if backend := _postgres(connection):
        return backend.pending_completions(connection, source)
    rows = connection.execute(
        "SELECT completion_id, piece, offset, length, ts FROM pending WHERE source = ?", (source,)
    )
    return {cid: (piece, offset, length, ts) for cid, piece, offset, length, ts in rows}


def known_event_ids(connection: Any) -> dict[str, tuple[str, str, int]]:
    """Every ingested event id -> where it was first read: (source, file, line)."""
    if backend := _postgres(connection):
        return backend.known_event_ids(connection)
    rows = connection.execute("SELECT event_id, source, source_file, line FROM events")
    return {event_id: (src, name, line) for event_id, src, name, line in rows}


def commit_batch(
    connection: Any, chunk: Chunk, events: list[Sequence], rejects: list[tuple]
) -> list[Sequence]:
    """Store a batch's events (one list per column) and rejects and advance its watermark,
    all or nothing; return the events stored (all of them, but for PostgreSQL's events that
    another writer stored first: those are stored as duplicate rejects instead)."""
    if backend := _postgres(connection):
        return backend.commit_batch(connection, chunk, events, rejects)
    with connection:
        connection.executemany(
            f"INSERT INTO events VALUES ({', '.join('?' * len(STORED_COLUMNS))})",
            zip(*events, strict=True),
        )
        connection.executemany("INSERT INTO rejects VALUES (?, ?, ?, ?, ?)", rejects)
        if chunk.pending:
            connection.executemany(
                "INSERT OR REPLACE INTO pending VALUES (?, ?, ?, ?, ?, ?)",
                [(chunk.source, *row) for row in chunk.pending],
            )
        if chunk.prune_before:
            connection.execute(
                "DELETE FROM pending WHERE source = ? AND ts < ?",
                (chunk.source, chunk.prune_before),
            )
        connection.execute(
            "INSERT OR REPLACE INTO watermarks VALUES (?, ?, ?, ?, ?)",
            (chunk.source, chunk.piece, chunk.end.offset, chunk.end.lines, chunk.end.etag),
        )
    return events


def as_batch(columns: list, schema: pa.Schema = EVENTS_SCHEMA) -> pa.RecordBatch:
    """Ledger columns (sequences in the table's column order) as an Arrow record batch."""
    arrays = [pa.array(column, type=f.type) for column, f in zip(columns, schema, strict=True)]
    return pa.record_batch(arrays, schema=schema)


def _table(connection: Any, query: str, schema: pa.Schema) -> pa.Table:
    cursor = connection.execute(query)
    batches = []
    while rows := cursor.fetchmany(_FETCH_ROWS):
        batches.append(as_batch(list(zip(*rows, strict=True)), schema))
    return pa.Table.from_batches(batches, schema=schema)


def last_event_row(connection: Any) -> int:
    """The rowid of the latest ingested event (0 when there is none)."""
    if backend := _postgres(connection):
        return backend.last_event_row(connection)
    return connection.execute("SELECT coalesce(max(rowid), 0) FROM events").fetchone()[0]


def all_events(connection: Any, up_to_row: int | None = None) -> pa.Table:
    """Every ingested event (up to rowid `up_to_row`, when given) in ingestion order."""
    if backend := _postgres(connection):
        return backend.all_events(connection, up_to_row)
    where = "" if up_to_row is None else f" WHERE rowid <= {int(up_to_row)}"
    query = f"SELECT {', '.join(STORED_COLUMNS)} FROM events{where} ORDER BY rowid"
    return _table(connection, query, EVENTS_SCHEMA)


def all_rejects(connection: Any) -> pa.Table:
    """Every rejected line in ingestion order."""
    if backend := _postgres(connection):
        return backend.all_rejects(connection)
    query = f"SELECT {', '.join(REJECT_COLUMNS)} FROM rejects ORDER BY rowid"
    return _table(connection, query, REJECTS_SCHEMA)
