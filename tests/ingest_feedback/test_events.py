import pytest

from tasks.ingest_feedback.events import event_problems, valid_mask
from tests.ingest_feedback.factory import event

BROKEN = [
    event(action="maybe"),
    event(user="alice"),
    event(user="a" * 64 + "\n"),
    event(timestamp="yesterday"),
    event(timestamp=20261101),
    event(schema_version=2),
    event(schema_version=True),
    event(latency_ms=-1),
    event(latency_ms=True),
    event(latency_ms="800"),
    event(event_id=" "),
    event(event_id=7),
    event(completion=""),
    event(prompt=[]),
    event(prompt=[{"role": "system", "content": "only a system turn"}]),
    event(prompt=[{"role": "user", "content": ["multi", "part"]}]),
    event(action="edit", edited_completion=" "),
    event(action="edit", edited_completion=None),
    event(action="accept", edited_completion="not for an accept"),
    ["not", "an", "object"],
    None,
]
VALID = [
    event(),
    event(action="edit", edited_completion="def fee():\n    return 2\n"),
    event(action="reject", edited_completion=""),
    event(timestamp="2026-11-01T09:15:00.123+01:00", latency_ms=12.5),
    event(prompt=[{"role": "system", "content": "s"}, {"role": "user", "content": "u"}]),
]


def test_given_a_valid_event_when_checked_then_it_has_no_problems():
    assert event_problems(event()) == []


def test_given_broken_fields_when_checked_then_each_is_named():
    problems = event_problems(event(action="maybe", user="alice", timestamp="yesterday"))
    assert any("action 'maybe'" in p for p in problems)
    assert any("sha256" in p for p in problems)
    assert any("timestamp" in p for p in problems)


def test_given_an_edit_without_text_when_checked_then_the_missing_edit_is_the_reason():
    assert "edit events need a non-empty edited_completion" in event_problems(
        event(action="edit", edited_completion=" ")
    )


@pytest.mark.parametrize("candidate", BROKEN + VALID)
def test_given_any_event_when_checked_column_wise_then_it_agrees_with_the_per_record_check(
    candidate,
):
    assert bool(valid_mask([candidate])[0]) == (event_problems(candidate) == [])


def test_given_a_mixed_batch_when_checked_column_wise_then_only_the_valid_rows_pass():
    assert valid_mask(BROKEN + VALID).tolist() == [False] * len(BROKEN) + [True] * len(VALID)
