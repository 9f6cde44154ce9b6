"""The feedback round's reviewer: its verdicts, and that step 6 reads its Continue events as it
meant them (the whole round runs after `make run`: `make feedback-round`)."""

import json

import orjson

from tasks.feedback_round import SCHEMA, review
from tasks.ingest_feedback.continue_dev import map_line
from tasks.io import read_jsonl


def _story() -> dict:
    return next(r for r in read_jsonl("evalsets/frozen-v1.jsonl")
                if r["task"] == "create_agile_user_story")  # fmt: skip


def _mapped(body: dict) -> dict:
    assert body["schema"] == SCHEMA and body["level"] == "all"
    line = orjson.dumps(body["data"])
    result = map_line(line, body["schema"], body["name"])
    assert result.reason is None, result.reason
    return result.event


def test_a_valid_answer_is_a_thumbs_up_ingested_as_accept():
    record = _story()
    verdict, body = review(record, record["output"], "flywheel-v9")
    assert verdict == "accept" and body["name"] == "chatFeedback"
    event = _mapped(body)
    assert event["action"] == "accept" and event["completion"] == record["output"]
    assert event["model_version"] == "flywheel-v9"


def test_an_invalid_answer_is_edited_into_the_reference_and_ingested_as_edit():
    record = _story()
    verdict, body = review(record, "As a saver I want money.", "flywheel-v9")
    assert verdict == "edit" and body["name"] == "editOutcome"
    event = _mapped(body)
    assert event["action"] == "edit"
    assert event["completion"] == "As a saver I want money."
    assert event["edited_completion"] == record["output"]


def test_an_empty_answer_is_a_thumbs_down():
    verdict, body = review(_story(), "  ", "flywheel-v9")
    assert verdict == "reject" and body["data"]["feedback"] is False
    json.dumps(body)  # what the reviewer POSTs is plain JSON
