"""The server through the official openai client, plus feedback that step 6 ingests."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import yaml
from openai import OpenAI

from tasks.io import read_jsonl, read_parquet
from tasks.params import load_params
from tests.serve.server import thread_server
from tests.support import REPO

pytestmark = pytest.mark.slow  # loads the tiny model once per module (a few seconds)

TEST_PROMPT = "Write test for follow code\n\ndef add(a, b):\n    return a + b"


@pytest.fixture(scope="module")
def server(tiny_export, tmp_path_factory):
    state = tmp_path_factory.mktemp("serve-state")
    with thread_server(tiny_export, state) as url:
        yield url, state


@pytest.fixture(scope="module")
def client(server) -> OpenAI:
    return OpenAI(base_url=server[0], api_key="unused", max_retries=0)


def ask(client: OpenAI, **extra):
    messages = [{"role": "user", "content": TEST_PROMPT}]
    return client.chat.completions.create(model="any", messages=messages, max_tokens=6, **extra)


def test_the_served_model_is_listed_under_its_bundle_version(client, tiny_export):
    models = client.models.list().data

    assert [m.id for m in models] == [tiny_export.joinpath("registry/promoted.json").read_text()
                                      .split('"version": "')[1].split('"')[0]]  # fmt: skip


def test_a_chat_completion_has_an_id_an_answer_and_usage(client):
    reply = ask(client)

    assert reply.id.startswith("chatcmpl-")
    assert isinstance(reply.choices[0].message.content, str)
    assert reply.choices[0].finish_reason in ("stop", "length")
    assert reply.usage.completion_tokens <= 6 and reply.usage.prompt_tokens > 0


def test_a_streamed_chat_gives_the_same_greedy_answer_as_the_full_one(client):
    full = ask(client).choices[0].message.content

    chunks = list(ask(client, stream=True, stream_options={"include_usage": True}))

    assert chunks[0].choices[0].delta.role == "assistant"
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == full
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] in ("stop", "length")
    assert len({c.id for c in chunks}) == 1 and chunks[-1].usage.completion_tokens > 0


def test_completions_answer_a_raw_prompt_streamed_and_not(client):
    full = client.completions.create(model="any", prompt="def add(a, b):", max_tokens=5)
    streamed = client.completions.create(
        model="any", prompt="def add(a, b):", max_tokens=5, stream=True
    )

    assert full.id.startswith("cmpl-")
    assert "".join(c.choices[0].text for c in streamed) == full.choices[0].text


def test_the_sse_wire_format_is_data_lines_ending_with_done(server):
    body = {"model": "m", "stream": True, "max_tokens": 3,
            "messages": [{"role": "user", "content": "hi"}]}  # fmt: skip

    text = httpx.post(f"{server[0]}/chat/completions", json=body, timeout=60).text

    events = [e for e in text.split("\n\n") if e]
    assert all(e.startswith("data: ") for e in events)
    assert events[-1] == "data: [DONE]"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"{not json", 400),
        (b'{"messages": []}', 422),
        (b'{"messages": [{"role": "user", "content": "hi"}], "max_tokens": -1}', 422),
        (b'{"messages": [{"role": "user", "content": "' + b"x" * 2_000_000 + b'"}]}', 413),
    ],
)
def test_bad_requests_get_an_openai_error_and_the_server_stays_up(server, body, status):
    reply = httpx.post(f"{server[0]}/chat/completions", content=body, timeout=60,
                       headers={"Content-Type": "application/json"})  # fmt: skip

    assert reply.status_code == status
    assert reply.json()["error"]["message"]
    assert httpx.get(f"{server[0]}/models").status_code == 200


def test_a_prompt_longer_than_the_context_is_refused(client):
    from openai import BadRequestError

    with pytest.raises(BadRequestError, match="context"):
        client.completions.create(model="m", prompt="word " * 5000, max_tokens=5)


def test_feedback_on_unknown_ids_and_edits_without_text_are_refused(server, client):
    url = f"{server[0]}/feedback"
    answer = ask(client)

    unknown = httpx.post(url, json={"completion_id": "chatcmpl-nope", "action": "accept"})
    no_text = httpx.post(url, json={"completion_id": answer.id, "action": "edit"})

    assert unknown.status_code == 404
    assert no_text.status_code == 422


def ingest_params(tmp_path: Path, inbox: Path) -> Path:
    """The repository's params with step 6 reading only the server's inbox, writing to tmp."""
    raw = yaml.safe_load((REPO / "params.yaml").read_text())
    section = raw["ingest_feedback"]
    for key, value in section.items():
        if isinstance(value, str) and key != "ledger":  # every output path
            section[key] = str(tmp_path / "feedback" / Path(value).name)
    section["sources"] = {"server": {"type": "dir", "path": str(inbox)}}
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True))
    return path


def test_feedback_events_are_written_once_and_step_6_ingests_them(server, client, tmp_path):
    from tasks.ingest_feedback.__main__ import main as ingest

    url, state = server
    accepted, edited = ask(client), ask(client)
    posts = [
        {"completion_id": accepted.id, "action": "accept", "event_id": "ev-accept", "user": "ann"},
        {"completion_id": edited.id, "action": "edit", "edited_completion": "def test_add():\n"
         "    assert add(1, 2) == 3\n", "event_id": "ev-edit"},
        {"completion_id": accepted.id, "action": "accept", "event_id": "ev-accept"},  # a retry
    ]  # fmt: skip
    statuses = [httpx.post(f"{url}/feedback", json=p).json()["status"] for p in posts]
    params_file = ingest_params(tmp_path, state / "inbox")
    ingest(["--params", str(params_file)])

    assert statuses == ["recorded", "recorded", "duplicate"]
    events = read_parquet(load_params(params_file).ingest_feedback.events)
    assert {"ev-accept", "ev-edit"} <= set(events["event_id"])
    assert read_parquet(load_params(params_file).ingest_feedback.rejects).empty
    assert set(events.loc[events["event_id"] == "ev-edit", "task"]) == {"write_test"}
    records = read_jsonl(load_params(params_file).ingest_feedback.records)
    [from_edit] = [r for r in records if r["event_ids"] == ["ev-edit"]]
    assert from_edit["output"] == posts[1]["edited_completion"]
    assert from_edit["origin"] == "feedback_edit" and from_edit["task"] == "write_test"
    assert from_edit["instruction"] and from_edit["asset_id"] == "feedback:ev-edit"


def test_with_an_api_key_requests_need_the_bearer_token(tiny_export, tmp_path):
    from openai import AuthenticationError

    with thread_server(tiny_export, tmp_path, api_key="s3cret") as url:
        with pytest.raises(AuthenticationError):
            OpenAI(base_url=url, api_key="wrong", max_retries=0).models.list()
        assert OpenAI(base_url=url, api_key="s3cret").models.list().data
