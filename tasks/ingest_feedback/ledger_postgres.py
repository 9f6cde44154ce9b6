"""The feedback ledger in PostgreSQL (`ingest_feedback.ledger: postgresql://...`), for several
ingestion workers (on one machine or many) writing to it at once.

The guarantees are the SQLite ledger's (tasks/ingest_feedback/ledger.py), kept with several
writers:
- `event_id` is the events table's primary key. A batch inserts its events with ON CONFLICT DO
  NOTHING, in event_id order, so two batches inserting the same ids wait for each other and
  never deadlock. An event another worker committed after this run read the ledger becomes a
  duplicate reject of this batch, and every duplicate reject names the row the ledger holds.
- A batch's events, rejects, Tabby pending completions and watermark commit in one
  transaction: a worker killed at any point leaves the ledger at the end of a whole batch.
- A source's watermarks and pending completions have one writer at a time: the writer holds a
  session advisory lock per source (`claim_sources`) from before its run reads the ledger until
  it exits (when a writer dies its session ends, and its locks with it). Workers with different
  sources ingest at once; one whose source another is ingesting waits for it.
- Rows are ordered by `seq`: a batch number from a sequence, shifted, plus the row's place in
  the batch (line order within a batch, as SQLite's rowid).

PostgreSQL's text cannot hold U+0000 (SQLite's can, and JSON may spell it "\\u0000"): text is
stored with U+0001 doubled and U+0000 as U+0001 U+0002, and read back exactly; text without
either is stored as it is. The tables live in their own schema, `feedback_ledger`. Bulk rows
travel as CSV built and parsed by Arrow (COPY), not row by row through Python.
"""

from __future__ import annotations

import hashlib
import io
import re
import sys
from collections.abc import Sequence
from itertools import compress
from urllib.parse import urlsplit

import psycopg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from psycopg import errors

from tasks.ingest_feedback.ingest import reject_kind
from tasks.ingest_feedback.ledger import (
    EVENTS_SCHEMA,
    REJECT_COLUMNS,
    REJECTS_SCHEMA,
    STORED_COLUMNS,
    as_batch,
)
from tasks.ingest_feedback.sources import Chunk, Watermark

SCHEMA = "feedback_ledger"
SEQ_SHIFT = 32  # seq = batch << 32 | place in the batch
# As tasks/ingest_feedback/ingest.py words it (its reject_kind reads the start).
DUPLICATE = "duplicate event_id (already ingested from {}/{}:{})"
RETRIES = 5  # a batch's transaction again after a deadlock or serialization failure
_LOCK_SPACE = "llmops-flywheel feedback ledger"
_KEEPALIVES = {"keepalives": "1", "keepalives_idle": "30", "keepalives_interval": "10",
               "keepalives_count": "3"}  # fmt: skip  # a vanished writer's locks go in ~1 min


def _quoted(columns: Sequence[str]) -> str:
    return ", ".join(f'"{name}"' for name in columns)  # "user" and "offset" are keywords


_EVENTS = _quoted(STORED_COLUMNS)
_REJECTS = _quoted(REJECT_COLUMNS)
_TYPES = {"schema_version": "BIGINT", "latency_ms": "DOUBLE PRECISION", "line": "BIGINT"}
_DDL = f"""
CREATE SCHEMA IF NOT EXISTS {SCHEMA};
CREATE SEQUENCE IF NOT EXISTS {SCHEMA}.batches;
CREATE TABLE IF NOT EXISTS {SCHEMA}.events (
    seq BIGINT NOT NULL UNIQUE,
    {", ".join(f'"{n}" {_TYPES.get(n, "TEXT")}' for n in STORED_COLUMNS)},
    PRIMARY KEY (event_id)
);
CREATE TABLE IF NOT EXISTS {SCHEMA}.rejects (
    seq BIGINT NOT NULL UNIQUE, source TEXT, source_file TEXT, line BIGINT, event_id TEXT,
    reason TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS {SCHEMA}.watermarks (
    source TEXT, piece TEXT, "offset" BIGINT, lines BIGINT, etag TEXT, PRIMARY KEY (source, piece)
);
CREATE TABLE IF NOT EXISTS {SCHEMA}.pending (
    source TEXT, completion_id TEXT, piece TEXT, "offset" BIGINT, length BIGINT, ts BIGINT,
    PRIMARY KEY (source, completion_id)
);
"""
_STAGED = (
    f"CREATE TEMP TABLE IF NOT EXISTS staged_events (LIKE {SCHEMA}.events) ON COMMIT DELETE ROWS"
)
_CSV_READ = pacsv.ParseOptions(newlines_in_values=True)
_CSV_WRITE = pacsv.WriteOptions(include_header=False)  # every string quoted: "" is not NULL


def is_url(location: str) -> bool:
    """Whether a ledger location names a PostgreSQL database."""
    return urlsplit(location).scheme in ("postgresql", "postgres")


def open_ledger(url: str, *, writing: bool = False) -> psycopg.Connection:
    """Connect to the ledger at `url` (creating its tables if needed).

    A writer's connection commits each batch in its own transaction (`commit_batch`); any other
    reads in one repeatable-read, read-only transaction, so everything it reads (events and
    rejects, ids and watermarks) is one state of the ledger.
    """
    given = psycopg.conninfo.conninfo_to_dict(url)
    extra = {k: v for k, v in _KEEPALIVES.items() if k not in given}
    role = "writer" if writing else "reader"
    extra.setdefault("application_name", f"llmops-flywheel ingest_feedback {role}")
    connection = psycopg.connect(url, autocommit=True, **extra)
    try:
        encoding = connection.execute("SHOW server_encoding").fetchone()[0]
        if encoding != "UTF8":
            raise RuntimeError(f"the feedback ledger needs a UTF8 database, not {encoding}")
        with connection.transaction():  # two workers creating the tables at once take turns
            connection.execute("SELECT pg_advisory_xact_lock(%s)", (_lock_key("schema", SCHEMA),))
            connection.execute(_DDL)
        connection.execute(f"SET search_path TO {SCHEMA}")
        if writing:
            connection.execute(_STAGED)
        else:
            connection.autocommit = False
            connection.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            connection.read_only = True
    except BaseException:
        connection.close()
        raise
    return connection


def _lock_key(kind: str, name: str) -> int:
    digest = hashlib.blake2b(f"{_LOCK_SPACE}\0{kind}\0{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def claim_sources(connection: psycopg.Connection, sources: Sequence[str]) -> None:
    """Hold each source for this session: wait while another writer holds one (in name order,
    so two writers never wait for each other)."""
    for name in sorted(set(sources)):
        key = _lock_key("source", name)
        if not connection.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()[0]:
            print(f"feedback ledger: source {name!r} is being ingested by another worker;"
                  " waiting for it", file=sys.stderr, flush=True)  # fmt: skip
            connection.execute("SELECT pg_advisory_lock(%s)", (key,))


# Text as stored: U+0001 doubled, U+0000 as U+0001 U+0002 (PostgreSQL text holds no U+0000).
_ESCAPED = re.compile("\x01(.)", re.DOTALL)


def _store(text: str | None) -> str | None:
    if text is None or ("\x00" not in text and "\x01" not in text):
        return text
    return text.replace("\x01", "\x01\x01").replace("\x00", "\x01\x02")


def _load(text: str | None) -> str | None:
    if text is None or "\x01" not in text:
        return text
    return _ESCAPED.sub(lambda m: "\x00" if m[1] == "\x02" else m[1], text)


def _stored_column(column: pa.Array) -> pa.Array:
    if not pc.any(pc.match_substring_regex(column, "[\x00\x01]")).as_py():
        return column
    return pc.replace_substring(
        pc.replace_substring(column, "\x01", "\x01\x01"), "\x00", "\x01\x02"
    )


def _loaded_column(column: pa.ChunkedArray) -> pa.ChunkedArray:
    if not pc.any(pc.match_substring(column, "\x01")).as_py():
        return column
    return pa.chunked_array([pa.array(list(map(_load, column.to_pylist())), pa.string())])


def watermarks(connection: psycopg.Connection, source: str) -> dict[str, Watermark]:
    rows = connection.execute(
        'SELECT piece, "offset", lines, etag FROM watermarks WHERE source = %s', (_store(source),)
    )
    return {
        _load(piece): Watermark(offset, lines, _load(etag)) for piece, offset, lines, etag in rows
    }


def pending_completions(
    connection: psycopg.Connection, source: str
) -> dict[str, tuple[str, int, int, int]]:
    rows = connection.execute(
        'SELECT completion_id, piece, "offset", length, ts FROM pending WHERE source = %s',
        (_store(source),),
    )
    return {
        _load(cid): (_load(piece), offset, length, ts) for cid, piece, offset, length, ts in rows
    }


def known_event_ids(connection: psycopg.Connection) -> dict[str, tuple[str, str, int]]:
    names = ("event_id", "source", "source_file", "line")
    schema = pa.schema([EVENTS_SCHEMA.field(name) for name in names])
    table = _copy_out(connection, f"SELECT {', '.join(names)} FROM events", schema)
    ids, sources, files, lines = (table[name].to_pylist() for name in table.column_names)
    return dict(zip(ids, zip(sources, files, lines, strict=True), strict=True))


def last_event_row(connection: psycopg.Connection) -> int:
    return connection.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0]


def all_events(connection: psycopg.Connection, up_to_row: int | None = None) -> pa.Table:
    where = "" if up_to_row is None else f" WHERE seq <= {int(up_to_row)}"
    return _copy_out(connection, f"SELECT {_EVENTS} FROM events{where} ORDER BY seq", EVENTS_SCHEMA)


def all_rejects(connection: psycopg.Connection) -> pa.Table:
    return _copy_out(connection, f"SELECT {_REJECTS} FROM rejects ORDER BY seq", REJECTS_SCHEMA)


def _copy_out(connection: psycopg.Connection, query: str, schema: pa.Schema) -> pa.Table:
    with (
        connection.cursor() as cursor,
        cursor.copy(f"COPY ({query}) TO STDOUT (FORMAT csv)") as copy,
    ):
        data = b"".join(map(bytes, copy))
    if not data:
        return schema.empty_table()
    table = pacsv.read_csv(
        io.BytesIO(data),
        pacsv.ReadOptions(column_names=schema.names),
        _CSV_READ,
        pacsv.ConvertOptions(
            column_types=schema, strings_can_be_null=True, quoted_strings_can_be_null=False
        ),  # fmt: skip
    )
    for at, field in enumerate(schema):
        if field.type == pa.string():
            table = table.set_column(at, field, _loaded_column(table[field.name]))
    return table.cast(schema)


def commit_batch(
    connection: psycopg.Connection, chunk: Chunk, events: list[Sequence], rejects: list[tuple]
) -> list[Sequence]:
    """Store a batch's events and rejects and advance its watermark, all or nothing; return the
    events stored (those another worker stored first are rejects instead)."""
    for attempt in range(RETRIES):
        try:
            with connection.transaction():
                return _commit(connection, chunk, events, rejects)
        except (errors.DeadlockDetected, errors.SerializationFailure):
            if attempt == RETRIES - 1:
                raise
    raise AssertionError("unreachable")


def _commit(
    connection: psycopg.Connection, chunk: Chunk, events: list[Sequence], rejects: list[tuple]
) -> list[Sequence]:
    batch = connection.execute("SELECT nextval('batches')").fetchone()[0] << SEQ_SHIFT
    ids = list(events[0])
    stored = set(ids)
    if ids:
        columns = as_batch(events).columns
        table = pa.record_batch(
            [pa.array(range(batch, batch + len(ids)), pa.int64()),
             *(_stored_column(c) if c.type == pa.string() else c for c in columns)],
            names=["seq", *STORED_COLUMNS],
        )  # fmt: skip
        sink = io.BytesIO()
        pacsv.write_csv(table, sink, _CSV_WRITE)
        with connection.cursor() as cursor:
            with cursor.copy(
                f"COPY staged_events (seq, {_EVENTS}) FROM STDIN (FORMAT csv)"
            ) as copy:
                copy.write(sink.getvalue())
            cursor.execute(
                f"INSERT INTO events (seq, {_EVENTS}) SELECT seq, {_EVENTS} FROM staged_events"
                " ORDER BY event_id ON CONFLICT (event_id) DO NOTHING RETURNING event_id"
            )
            stored = {_load(row[0]) for row in cursor.fetchall()}
    rejects = _with_duplicates(connection, chunk, events, ids, stored, rejects)
    with connection.cursor() as cursor:
        if rejects:
            with cursor.copy(f"COPY rejects (seq, {_REJECTS}) FROM STDIN") as copy:
                for at, (source, piece, line, event_id, reason) in enumerate(rejects):
                    copy.write_row((batch + at, _store(source), _store(piece), line,
                                    _store(event_id), _store(reason)))  # fmt: skip
        if chunk.pending:
            cursor.executemany(
                "INSERT INTO pending VALUES (%s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (source, completion_id) DO UPDATE SET piece = EXCLUDED.piece,"
                ' "offset" = EXCLUDED."offset", length = EXCLUDED.length, ts = EXCLUDED.ts',
                [(_store(chunk.source), _store(cid), _store(piece), offset, length, ts)
                 for cid, piece, offset, length, ts in chunk.pending],
            )  # fmt: skip
        if chunk.prune_before:
            cursor.execute(
                "DELETE FROM pending WHERE source = %s AND ts < %s",
                (_store(chunk.source), chunk.prune_before),
            )
        cursor.execute(
            'INSERT INTO watermarks VALUES (%s, %s, %s, %s, %s) ON CONFLICT (source, piece)'
            ' DO UPDATE SET "offset" = EXCLUDED."offset", lines = EXCLUDED.lines,'
            " etag = EXCLUDED.etag",
            (_store(chunk.source), _store(chunk.piece), chunk.end.offset, chunk.end.lines,
             _store(chunk.end.etag)),
        )  # fmt: skip
    if len(stored) == len(ids):
        return events
    keep = [event_id in stored for event_id in ids]
    return [list(compress(column, keep)) for column in events]


def _with_duplicates(
    connection: psycopg.Connection, chunk: Chunk, events: list[Sequence], ids: list[str],
    stored: set[str], rejects: list[tuple],
) -> list[tuple]:  # fmt: skip
    """The batch's rejects plus its events another worker stored first, each duplicate naming
    the row the ledger holds (this run's view of the ledger may be out of date), in line
    order."""
    lines = events[STORED_COLUMNS.index("line")]
    taken = [
        (chunk.source, chunk.piece, line, event_id, "")
        for event_id, line in zip(ids, lines, strict=True)
        if event_id not in stored
    ]
    duplicates = [r for r in rejects if reject_kind(r[-1]) == "duplicate"] + taken
    if not duplicates:
        return rejects
    wanted = sorted({_store(r[3]) for r in duplicates})
    rows = connection.execute(
        "SELECT event_id, source, source_file, line FROM events WHERE event_id = ANY(%s)",
        (wanted,),
    )
    where = {_load(eid): DUPLICATE.format(_load(src), _load(f), n) for eid, src, f, n in rows}
    named = [
        (*r[:4], where.get(r[3], r[4] or "duplicate event_id (stored by another worker)"))
        if not r[4] or reject_kind(r[4]) == "duplicate" else r
        for r in [*rejects, *taken]
    ]  # fmt: skip
    return sorted(named, key=lambda r: r[2])  # stable: in line order, as they were read
