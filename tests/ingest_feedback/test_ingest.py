import gc
import json
import sqlite3
import threading
from contextlib import closing

import pyarrow as pa
import pytest

from tasks.ingest_feedback import ledger
from tasks.ingest_feedback.ingest import (
    gc_paused,
    ingest,
    ledger_columns,
    process_chunk,
    reject_kind,
)
from tasks.ingest_feedback.sources import Chunk, Watermark
from tasks.ingest_feedback.writer import LedgerWriter
from tests.ingest_feedback.factory import event


def chunk(*lines) -> Chunk:
    raw = [(line if isinstance(line, str) else json.dumps(line)).encode() for line in lines]
    return Chunk("inbox", "a.jsonl", raw, 1, Watermark())


def test_given_duplicates_and_bad_lines_when_processed_then_each_is_stored_once_or_rejected():
    seen = {"old": ("inbox", "earlier.jsonl", 4)}
    prepared, rejects = process_chunk(
        chunk(
            event(),
            event(),  # the same event id again
            "{not json",
            event(event_id="e2", action="edit", edited_completion="def fee():\n    return 2\n"),
            event(event_id="old"),  # ingested in an earlier run
            "",
            event(event_id="e3", action="maybe"),
        ),
        seen,
    )
    columns = ledger_columns(prepared, "inbox", "a.jsonl")
    assert list(columns[0]) == ["e1", "e2"]
    assert columns[-2] == [1, 4] and len(columns) == len(ledger.STORED_COLUMNS)
    reasons = {line: reason for _, _, line, _, reason in rejects}
    assert reasons[2] == "duplicate event_id (already ingested from inbox/a.jsonl:1)"
    assert reasons[3].startswith("invalid JSON")
    assert reasons[5] == "duplicate event_id (already ingested from inbox/earlier.jsonl:4)"
    assert reasons[7] == "action 'maybe' is not one of accept, reject, edit"
    assert 6 not in reasons  # blank lines are not events
    assert set(seen) == {"old", "e1", "e2"}
    assert [reject_kind(r) for r in reasons.values()] == [
        "duplicate", "invalid_json", "duplicate", "invalid_event"
    ]  # fmt: skip


def test_given_secrets_in_an_event_when_processed_then_only_scrubbed_text_is_stored():
    leaky = event(
        prompt=[{"role": "user", "content": "mail the report to bob@example.com"}],
        completion="send it with password = 'hunter2hunter'",
        action="edit",
        edited_completion='API_KEY = "sk_live_abcdefghijklmnop1234"',
    )
    prepared, _ = process_chunk(chunk(leaky), {})
    [row] = zip(*ledger_columns(prepared, "inbox", "a.jsonl"), strict=True)
    stored = json.dumps(row)
    assert "bob@example.com" not in stored and "hunter2hunter" not in stored
    assert "sk_live_abcdefghijklmnop1234" not in stored
    counts = json.loads(row[-1])
    assert counts["EMAIL"] == 1 and counts["PASSWORD"] == 1 and sum(counts.values()) == 3


REASONS = {"invalid_json": 1, "duplicate": 1}


def test_given_batches_when_ingested_then_the_new_events_in_memory_equal_the_ledger(tmp_path):
    lines = [event(event_id=f"e{n}", latency_ms=n) for n in range(7)] + ["{broken", event()]
    raw = [(line if isinstance(line, str) else json.dumps(line)).encode() for line in lines]
    batches = [Chunk("inbox", "a.jsonl", raw[at : at + 3], at + 1, Watermark(at + 3, at + 3))
               for at in range(0, len(raw), 3)]  # fmt: skip
    with LedgerWriter(tmp_path) as writer:
        tally = ingest(writer, batches, {})
    with closing(ledger.open_ledger(tmp_path)) as connection:
        stored = ledger.all_events(connection)
        marks = ledger.watermarks(connection, "inbox")
        rejects = ledger.all_rejects(connection)
    assert (tally.events, tally.rejects, tally.reasons) == (7, 2, REASONS)
    assert pa.Table.from_batches(tally.new_events).equals(stored)
    assert stored["event_id"].to_pylist() == [f"e{n}" for n in range(7)]
    assert rejects["line"].to_pylist() == [8, 9]
    assert marks == {"a.jsonl": Watermark(9, 9)}  # the last batch's watermark, committed
    assert sorted(p.name for p in tmp_path.iterdir()) == [ledger.LEDGER_FILE, "writer.lock"]


def test_given_a_failing_commit_when_ingesting_then_the_error_reaches_the_caller(tmp_path):
    batch = Chunk("inbox", "a.jsonl", [json.dumps(event()).encode()], 1, Watermark(1, 1))
    with LedgerWriter(tmp_path) as writer:
        ingest(writer, [batch], {})
    # A caller that forgot what was ingested: the ledger's primary key refuses the event again.
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"), LedgerWriter(tmp_path) as writer:
        ingest(writer, [batch], {})
    with closing(ledger.open_ledger(tmp_path)) as connection:
        assert ledger.all_events(connection).num_rows == 1
    assert not list(tmp_path.glob(".batch-*"))  # nothing left on the way to the writer


def test_given_a_writer_at_work_when_a_second_starts_then_it_is_ready_only_after_the_first(
    tmp_path,
):
    ready = threading.Event()

    def second() -> None:
        with LedgerWriter(tmp_path):
            ready.set()

    with LedgerWriter(tmp_path):
        waiting = threading.Thread(target=second)
        waiting.start()
        assert not ready.wait(timeout=3)  # the first writer holds the ledger
    assert ready.wait(timeout=60)
    waiting.join()


def test_given_the_collector_on_when_paused_then_it_is_off_inside_and_back_on_after():
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
