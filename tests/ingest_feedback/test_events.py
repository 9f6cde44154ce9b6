import json

import msgspec
import orjson
import pytest

from tasks.feedback_events import _decode, event_problems, line_problems, valid_events
from tests.ingest_feedback.factory import event, poison_lines

BROKEN = [
    event(action="maybe"),
    event(user="alice"),
    event(user="a" * 64 + "\n"),
    event(user="A" * 64),
    event(user="g" * 64),
    event(user="a" * 63 + "\n"),
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
    event(prompt=[{"role": "user"}]),
    event(prompt=[{"role": 1, "content": "x"}]),
    event(prompt=[["user", "x"]]),
    event(schema_version=1.0),
    event(model_version=None),
    event(task="\u2003"),
    event(client=""),
    event(edited_completion=7),
    {k: v for k, v in event().items() if k != "user"},
    ["not", "an", "object"],
    None,
]
VALID = [
    event(),
    event(action="edit", edited_completion="def fee():\n    return 2\n"),
    event(action="reject", edited_completion=""),
    event(timestamp="2026-11-01T09:15:00.123+01:00", latency_ms=12.5),
    event(prompt=[{"role": "system", "content": "s"}, {"role": "user", "content": "u"}]),
    event(latency_ms=0),
    event(surplus_field={"any": "thing"}),
    {k: v for k, v in event().items() if k != "edited_completion"},
    event(completion="naïve café ✓", client="ide/1 \u2003"),
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


def encoded(candidate) -> bytes:
    return json.dumps(candidate).encode()


@pytest.mark.parametrize("candidate", BROKEN + VALID)
def test_given_any_event_when_checked_in_a_batch_then_it_agrees_with_the_per_record_check(
    candidate,
):
    valid_at, _ = valid_events([encoded(candidate)])
    assert (valid_at == [0]) == (event_problems(candidate) == [])


@pytest.mark.parametrize("candidate", BROKEN)
def test_given_a_line_the_batch_refuses_when_explained_then_it_gets_the_per_record_reasons(
    candidate,
):
    event_id = candidate.get("event_id") if isinstance(candidate, dict) else None
    assert line_problems(encoded(candidate)) == (
        event_id if isinstance(event_id, str) else None,
        event_problems(candidate),
    )


def test_given_a_mixed_batch_when_checked_then_only_the_valid_rows_pass_decoded():
    valid_at, decoded = valid_events([encoded(c) for c in BROKEN + VALID] + [b"{not json"])
    assert valid_at == list(range(len(BROKEN), len(BROKEN) + len(VALID)))
    assert [e.event_id for e in decoded] == [c["event_id"] for c in VALID]
    assert decoded[3].latency_ms == 12.5 and decoded[1].edited_completion.startswith("def fee")


def test_given_broken_json_when_explained_then_the_reason_says_invalid_json():
    assert line_problems(b'{"event_id": "e1"')[0] is None
    assert line_problems(b'{"event_id": "e1"')[1][0].startswith("invalid JSON")


# Every exception class the decoders raise on some line: msgspec's (the batch path), orjson's
# (the per-line explanation) and the stdlib's (json.loads, used by the server's logs).
DECODER_ERRORS = {
    "msgspec": {msgspec.DecodeError, msgspec.ValidationError, UnicodeDecodeError, RecursionError},
    "orjson": {orjson.JSONDecodeError},
    "json": {json.JSONDecodeError, UnicodeDecodeError, RecursionError, ValueError},
}
_DECODERS = {"msgspec": _decode, "orjson": orjson.loads, "json": json.loads}


def _raised(decode, line: bytes) -> type[BaseException] | None:
    try:
        decode(line)
    except Exception as exc:  # noqa: BLE001 - which class is the point
        return type(exc)
    return None


def test_the_poison_lines_make_each_decoder_raise_every_exception_class_it_can():
    lines = poison_lines().values()
    for name, decode in _DECODERS.items():
        assert {_raised(decode, line) for line in lines} - {None} == DECODER_ERRORS[name]


@pytest.mark.parametrize("name", sorted(poison_lines()))
def test_given_a_poison_line_when_checked_then_it_is_refused_with_a_reason_not_raised(name):
    line = poison_lines()[name]

    valid_at, _ = valid_events([line, encoded(event(event_id="after"))])
    event_id, problems = line_problems(line)

    assert valid_at == [1]  # the rest of the batch still passes
    assert problems and all(isinstance(p, str) and p for p in problems)
