"""The durable record of ingestion: every event once, every rejected line, every watermark.

One SQLite file. `event_id` is the events table's primary key, so no event can be stored
twice, and each batch commits its events, its rejects and its watermark in one transaction:
a run killed at any point leaves the ledger at the end of the last whole batch, and the next
run starts exactly there. Everything the stage outputs is regenerated from this file.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd

from tasks.ingest_feedback.sources import Chunk, Watermark

LEDGER_FILE = "ledger.sqlite"
STORED_COLUMNS = [
    "event_id", "schema_version", "timestamp", "model_version", "task", "prompt", "completion",
    "action", "edited_completion", "latency_ms", "client", "user", "source", "source_file",
    "line", "redactions",
]  # fmt: skip
REJECT_COLUMNS = ["source", "source_file", "line", "event_id", "reason"]

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
"""


def open_ledger(ledger_dir: str | Path) -> sqlite3.Connection:
    """Open (creating if needed) the ledger in `ledger_dir`."""
    Path(ledger_dir).mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(Path(ledger_dir) / LEDGER_FILE)
    connection.execute("PRAGMA synchronous = FULL")  # a commit survives a power cut too
    connection.executescript(_SCHEMA)
    return connection


def watermarks(connection: sqlite3.Connection, source: str) -> dict[str, Watermark]:
    """The committed watermark of each piece (file or object) of a source."""
    rows = connection.execute(
        "SELECT piece, offset, lines, etag FROM watermarks WHERE source = ?", (source,)
    )
    return {piece: Watermark(offset, lines, etag) for piece, offset, lines, etag in rows}


def known_event_ids(connection: sqlite3.Connection) -> dict[str, str]:
    """Every ingested event id -> where it was first read (`source/file:line`)."""
    rows = connection.execute("SELECT event_id, source, source_file, line FROM events")
    return {event_id: f"{src}/{name}:{line}" for event_id, src, name, line in rows}


def commit_batch(
    connection: sqlite3.Connection, chunk: Chunk, events: list[tuple], rejects: list[tuple]
) -> None:
    """Store a batch's events and rejects and advance its watermark, all or nothing."""
    with connection:
        connection.executemany(
            f"INSERT INTO events VALUES ({', '.join('?' * len(STORED_COLUMNS))})", events
        )
        connection.executemany("INSERT INTO rejects VALUES (?, ?, ?, ?, ?)", rejects)
        connection.execute(
            "INSERT OR REPLACE INTO watermarks VALUES (?, ?, ?, ?, ?)",
            (chunk.source, chunk.piece, chunk.end.offset, chunk.end.lines, chunk.end.etag),
        )


def all_events(connection: sqlite3.Connection) -> pd.DataFrame:
    """Every ingested event in ingestion order."""
    query = f"SELECT {', '.join(STORED_COLUMNS)} FROM events ORDER BY rowid"
    return pd.read_sql_query(query, connection)


def all_rejects(connection: sqlite3.Connection) -> pd.DataFrame:
    """Every rejected line in ingestion order."""
    query = f"SELECT {', '.join(REJECT_COLUMNS)} FROM rejects ORDER BY rowid"
    return pd.read_sql_query(query, connection)
