import json

from tasks.ingest_feedback.__main__ import read_inbox, sft_records
from tasks.ingest_feedback.events import event_problems


def event(**changes):
    base = {
        "schema_version": 1,
        "event_id": "e1",
        "timestamp": "2026-11-01T09:15:00Z",
        "model_version": "m1",
        "task": "implement_method",
        "prompt": [{"role": "user", "content": "Implement the method fee\n\nledger.fees()"}],
        "completion": "def fee():\n    return 1\n",
        "action": "accept",
        "edited_completion": None,
        "latency_ms": 800,
        "client": "autodev",
        "user": "a" * 64,
    }
    return base | changes


def test_a_valid_event_has_no_problems():
    assert event_problems(event()) == []


def test_each_broken_field_is_named():
    problems = event_problems(event(action="maybe", user="alice", timestamp="yesterday"))
    assert any("action 'maybe'" in p for p in problems)
    assert any("sha256" in p for p in problems)
    assert any("timestamp" in p for p in problems)


def test_an_edit_needs_its_edited_text():
    assert "edit events need a non-empty edited_completion" in event_problems(
        event(action="edit", edited_completion=" ")
    )


def test_inbox_lines_are_ingested_once_or_rejected_with_a_reason(tmp_path):
    lines = [
        json.dumps(event()),
        json.dumps(event()),  # same event id again
        "{not json",
        json.dumps(
            event(event_id="e2", action="edit", edited_completion="def fee():\n    return 2\n")
        ),
        json.dumps(event(event_id="e3", action="reject")),
    ]
    (tmp_path / "a.jsonl").write_text("\n".join(lines) + "\n")
    events, rejects = read_inbox(tmp_path)
    assert list(events["event_id"]) == ["e1", "e2", "e3"]
    assert sorted(rejects["line"]) == [2, 3]
    assert rejects.set_index("line").loc[2, "reason"].startswith("duplicate event_id")
    assert rejects.set_index("line").loc[3, "reason"].startswith("invalid JSON")


def test_accepts_and_edits_become_sft_records_with_their_event_ids(tmp_path):
    lines = [
        json.dumps(event()),
        json.dumps(
            event(event_id="e2", action="edit", edited_completion="def fee():\n    return 2\n")
        ),
        json.dumps(event(event_id="e3", action="reject")),
    ]
    (tmp_path / "a.jsonl").write_text("\n".join(lines) + "\n")
    events, _ = read_inbox(tmp_path)
    records = sft_records(events)
    assert [r["event_ids"] for r in records] == [["e1"], ["e2"]]
    assert records[1]["output"].endswith("return 2\n")
    assert records[0]["instruction"].startswith("Implement the method fee")


def test_feedback_text_is_scrubbed(tmp_path):
    leaky = event(completion="send to bob@example.com with password = 'hunter2hunter'")
    (tmp_path / "a.jsonl").write_text(json.dumps(leaky) + "\n")
    events, _ = read_inbox(tmp_path)
    [record] = sft_records(events)
    assert "bob@example.com" not in record["output"]
    assert "hunter2hunter" not in record["output"]
