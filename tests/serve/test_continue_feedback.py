"""POST /v1/feedback/continue: Continue's dev-data destination on the real server, then step 6.

The requests are what Continue's DataLogger.logToOneDestination (core/data/log.ts) sends: one
event per POST, `Content-Type: application/json`, body {name, data, schema, level, profileId}.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import httpx
import pytest
from openai import OpenAI

from tasks.ingest_feedback.__main__ import ingest_sources, write_outputs
from tasks.io import read_parquet
from tests.ingest_feedback import continue_fixtures as cf
from tests.ingest_feedback.factory import feedback_params
from tests.serve.server import engine_server

pytestmark = pytest.mark.slow  # loads the tiny model once per module


@pytest.fixture(scope="module")
def server(tiny_export, tmp_path_factory):
    state = tmp_path_factory.mktemp("serve-state")
    with engine_server(tiny_export, state) as (url, engine):
        yield url, state, engine


def post(url: str, name: str, data: dict, schema: str = "0.2.0", **body) -> httpx.Response:
    payload = {"name": name, "data": data, "schema": schema, "level": "all",
               "profileId": "local"} | body  # fmt: skip
    return httpx.post(f"{url}/v1/feedback/continue", content=json.dumps(payload),
                      headers={"Content-Type": "application/json"}, timeout=30)  # fmt: skip


def test_continue_events_are_kept_scrubbed_and_ingested_linked_to_our_answers(server, tmp_path):
    url, state, engine = server
    client = OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0)
    messages = [{"role": "user", "content": "Write test for follow code\n\ndef add(a, b):"}]
    answer = client.chat.completions.create(model="m", messages=messages, max_tokens=12)
    text = answer.choices[0].message.content
    assert text.strip(), "the tiny model gave an empty answer: nothing to link"

    ours = cf.chat_feedback(True, completion=text)  # a thumbs up on our answer
    leaky = cf.autocomplete("cmp-leak", False, prefix=f"KEY = '{cf.AWS_KEY}'\ndef add(a, b):\n")
    replies = [
        post(url, "chatFeedback", ours),
        post(url, "autocomplete", leaky),
        post(url, "tokensGenerated", cf.no_verdict_events()["tokensGenerated"]),
    ]
    assert [r.status_code for r in replies] == [200, 200, 200]
    assert replies[0].json()["status"] == "recorded"

    written = {p.relative_to(state / "continue").as_posix(): p.read_bytes()
               for p in (state / "continue").rglob("*.jsonl")}  # fmt: skip
    assert set(written) == {"0.2.0/chatFeedback.jsonl", "0.2.0/autocomplete.jsonl",
                            "0.2.0/tokensGenerated.jsonl"}  # fmt: skip
    for blob in written.values():  # scrubbed at capture, no raw user token on disk
        assert cf.AWS_KEY.encode() not in blob and cf.USER_TOKEN.encode() not in blob

    root = tmp_path / "run"
    root.mkdir()
    params = feedback_params(
        root,
        {
            "continue": {
                "type": "continue",
                "path": str(state / "continue"),
                "answers": str(state / "answers"),
            }
        },
    )
    tally = ingest_sources(params)
    write_outputs(params, tally)
    events = read_parquet(params.ingest_feedback.events).set_index("source_file")
    rejects = read_parquet(params.ingest_feedback.rejects)

    linked = events.loc["0.2.0/chatFeedback.jsonl"]
    assert linked["model_version"] == engine.version  # our answer's model, not Continue's name
    assert json.loads(linked["prompt"])[-1] == messages[0]  # and its prompt (+ system turn)
    assert linked["task"] == "write_test" and linked["action"] == "accept"
    assert linked["client"] == f"continue/1.0.9 answer={answer.id}"
    own = events.loc["0.2.0/autocomplete.jsonl"]
    assert own["model_version"] == "flywheel-v3" and own["action"] == "reject"
    assert "<KEY>" in own["prompt"] and cf.AWS_KEY not in own["prompt"]
    assert own["user"] == hashlib.sha256(cf.USER_TOKEN.encode()).hexdigest()
    assert list(rejects["source_file"]) == ["0.2.0/tokensGenerated.jsonl"]

    again = ingest_sources(params)  # exactly once
    assert (again.lines, again.events, again.rejects) == (0, 0, 0)


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"{not json", 400),
        (b'{"data": {}, "schema": "0.2.0"}', 422),  # no name
        (b'{"name": "../../etc", "data": {}, "schema": "0.2.0"}', 422),  # not a file name
        (b'{"name": "autocomplete", "data": {}, "schema": "../x"}', 422),
        (b'{"name": "autocomplete", "data": [], "schema": "0.2.0"}', 422),
    ],
)
def test_bodies_that_are_not_continue_dev_data_are_refused(server, body, status):
    url, state, _ = server

    reply = httpx.post(f"{url}/v1/feedback/continue", content=body,
                       headers={"Content-Type": "application/json"})  # fmt: skip

    assert reply.status_code == status and reply.json()["error"]["message"]
    assert not any(Path(state).glob("**/etc*"))
