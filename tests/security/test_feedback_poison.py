"""Poison pills in the feedback inbox: rejected with a reason, the batch ingested, mark moved."""

from __future__ import annotations

import json
from contextlib import closing
from pathlib import Path

import pytest

from tasks.ingest_feedback import ledger
from tasks.ingest_feedback.__main__ import main
from tests.ingest_feedback.factory import event, feedback_params, poison_lines


def inbox_file(root: Path, lines: list[bytes]) -> Path:
    path = root / "inbox" / "hostile.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"".join(line + b"\n" for line in lines))
    return path


def good(n: int) -> bytes:
    return json.dumps(event(event_id=f"good-{n}", latency_ms=n)).encode()


def ledger_state(params) -> tuple[list[str], list[tuple[int, str]], dict]:
    with closing(ledger.open_ledger(params.ingest_feedback.ledger_dir)) as connection:
        ids = [row[0] for row in connection.execute("SELECT event_id FROM events ORDER BY 1")]
        rejects = connection.execute("SELECT line, reason FROM rejects ORDER BY line").fetchall()
        marks = ledger.watermarks(connection, "samples")
    return ids, rejects, marks


@pytest.mark.parametrize("name", ["invalid_utf8_in_string", "nested_100000_deep"])
def test_a_poison_line_is_rejected_the_rest_ingested_and_the_watermark_moves(tmp_path, name):
    path = inbox_file(tmp_path, [good(1), poison_lines()[name], good(2)])
    params = feedback_params(tmp_path)

    main(["--params", str(tmp_path / "params.yaml")])

    ids, rejects, marks = ledger_state(params)
    assert ids == ["good-1", "good-2"]
    assert [line for line, _ in rejects] == [2] and rejects[0][1]
    assert marks["hostile.jsonl"].offset == path.stat().st_size

    # The next run starts after the poison line: nothing crashes, later lines are ingested.
    with path.open("ab") as fh:
        fh.write(good(3) + b"\n")
    main(["--params", str(tmp_path / "params.yaml")])
    assert ledger_state(params)[0] == ["good-1", "good-2", "good-3"]


def test_every_poison_line_in_one_batch_is_a_reject_with_a_reason(tmp_path):
    poison = poison_lines()
    lines = [good(0)]
    for n, line in enumerate(poison.values(), 1):
        lines += [line, good(n)]
    path = inbox_file(tmp_path, lines)
    params = feedback_params(tmp_path)

    main(["--params", str(tmp_path / "params.yaml")])

    ids, rejects, marks = ledger_state(params)
    assert len(ids) == len(poison) + 1
    assert [line for line, _ in rejects] == [2 * n for n in range(1, len(poison) + 1)]
    assert all(reason for _, reason in rejects)
    assert marks["hostile.jsonl"].offset == path.stat().st_size
