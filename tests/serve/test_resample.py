"""Validate-and-resample at serving (serve.resample): the real server on the tiny model.

The tiny model's random adapter never writes a valid unit test in a few tokens, so through the
server every try fails and the count of generations is what is checked; which answer is kept
when one passes is checked on the engine with a predicate of our own.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from openai import OpenAI

from tasks.formats import validate_output
from tasks.params import ServeResampleParams
from tests.serve.server import engine_server, served_params, serving

pytestmark = pytest.mark.slow  # loads the tiny model once for the module

TEST_PROMPT = "Write test for follow code\n\ndef add(a, b):\n    return a + b"
TRIES = 2


@pytest.fixture(scope="module")
def servers(tiny_export, tmp_path_factory):
    """(raw URL, resampling URL, engine, resampling state): one engine behind two servers, the
    params' own serve.resample (tries 0) and one with tries 2."""
    from tasks.serve.app import create_app
    from tasks.serve.store import FeedbackStore

    raw_state = tmp_path_factory.mktemp("raw-serve")
    state = tmp_path_factory.mktemp("resample-serve")
    with engine_server(tiny_export, raw_state) as (raw_url, engine):
        serve = served_params(tiny_export, state).serve
        assert serve.resample.tries == 0  # the default: raw answers
        serve = serve.model_copy(update={"resample": ServeResampleParams(tries=TRIES)})
        store = FeedbackStore(Path(serve.answers), Path(serve.inbox))
        try:
            with serving(create_app(engine, store, serve, None)) as url:
                yield raw_url, url, engine, state
        finally:
            store.close()


@pytest.fixture
def generations(servers) -> Iterator[list[int]]:
    """Counts the model's generations: each one's first forward pass reads the whole prompt."""
    _, _, engine, _ = servers
    counted: list[int] = []

    def count(_module, args, _output) -> None:
        if args[0].shape[1] > 1:
            counted.append(args[0].shape[1])

    hook = engine.model.get_input_embeddings().register_forward_hook(count)
    yield counted
    hook.remove()


def chat(url: str, **extra) -> dict:
    body = {"messages": [{"role": "user", "content": TEST_PROMPT}], "max_tokens": 8, **extra}
    response = httpx.post(f"{url}/v1/chat/completions", json=body, timeout=120)
    assert response.status_code == 200, response.text
    return response.json()


def logged(state: Path, answer_id: str) -> dict:
    rows = [json.loads(line) for path in sorted((state / "answers").glob("*.jsonl"))
            for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]  # fmt: skip
    return next(row for row in rows if row["id"] == answer_id)


def test_with_tries_0_the_raw_answer_is_given_after_one_try(servers, generations):
    raw_url, _, _, _ = servers

    reply = chat(raw_url, task="write_test", language="python")

    assert reply["llmops"] == {"tries": 1, "valid": None}
    assert len(generations) == 1


def test_an_invalid_answer_is_resampled_up_to_tries_and_the_raw_one_kept(servers, generations):
    raw_url, url, _, state = servers
    raw = chat(raw_url, task="write_test", language="python")["choices"][0]["message"]["content"]
    assert validate_output("write_test", raw, "python"), "the tiny model wrote a valid test"
    generations.clear()

    reply = chat(url, task="write_test", language="python")

    assert reply["llmops"] == {"tries": 1 + TRIES, "valid": False}
    assert len(generations) == 1 + TRIES  # the raw answer and two samples
    assert reply["choices"][0]["message"]["content"] == raw  # none passed: the raw one stays
    assert {k: logged(state, reply["id"])[k] for k in ("tries", "valid")} == reply["llmops"]


def test_without_a_known_task_nothing_is_validated_or_resampled(servers, generations):
    _, url, _, _ = servers

    unnamed, unknown = chat(url), chat(url, task="small_talk")

    assert unnamed["llmops"] == unknown["llmops"] == {"tries": 1, "valid": None}
    assert len(generations) == 2


def test_completions_report_their_tries_too_and_the_openai_client_keeps_the_field(servers):
    _, url, _, _ = servers
    client = OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0)

    reply = client.completions.create(
        model="any", prompt=TEST_PROMPT, max_tokens=8,
        extra_body={"task": "write_test", "language": "python"},
    )  # fmt: skip

    assert reply.model_extra["llmops"] == {"tries": 1 + TRIES, "valid": False}


def test_a_stream_is_the_raw_answer_never_resampled(servers, generations):
    raw_url, url, _, state = servers
    raw = chat(raw_url, task="write_test", language="python")["choices"][0]["message"]["content"]
    generations.clear()
    body = {"messages": [{"role": "user", "content": TEST_PROMPT}], "max_tokens": 8,
            "stream": True, "task": "write_test", "language": "python"}  # fmt: skip

    lines = httpx.post(f"{url}/v1/chat/completions", json=body, timeout=120).text.splitlines()

    chunks = [json.loads(line[6:]) for line in lines if line.startswith("data: {")]
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks)
    assert text == raw and len(generations) == 1
    assert all("llmops" not in c for c in chunks)
    assert {k: logged(state, chunks[0]["id"])[k] for k in ("tries", "valid")} == {
        "tries": 1, "valid": None,
    }  # fmt: skip


def test_an_unknown_code_language_is_refused(servers):
    _, url, _, _ = servers
    body = {"messages": [{"role": "user", "content": TEST_PROMPT}], "language": "cobol"}

    response = httpx.post(f"{url}/v1/chat/completions", json=body, timeout=60)

    assert response.status_code == 422 and "language" in response.json()["error"]["message"]


def test_the_engine_keeps_the_first_answer_that_passes(servers, generations):
    _, _, engine, _ = servers
    prompt, _ = engine.chat_prompt([{"role": "user", "content": TEST_PROMPT}])
    raw = engine.complete(prompt, 8)
    generations.clear()

    def not_raw(text: str) -> bool:  # a sample that differs from the greedy answer passes
        seen.append(text)
        return text != raw.text

    seen: list[str] = []
    done, tries, valid = engine.complete_valid(prompt, 8, 0.0, 1.0, None, not_raw, 5, 1.5, 1.0)

    assert valid and done.text != raw.text
    assert done.text == seen[-1] and seen[:-1] == [raw.text] * (tries - 1)  # the first passing
    assert 2 <= tries <= 6 and len(generations) == tries


def test_the_engine_tries_once_for_a_valid_raw_answer_and_gives_it_back_when_none_is(
    servers, generations
):
    _, _, engine, _ = servers
    prompt, _ = engine.chat_prompt([{"role": "user", "content": TEST_PROMPT}])
    raw = engine.complete(prompt, 8)
    generations.clear()

    first = engine.complete_valid(prompt, 8, 0.0, 1.0, None, lambda _: True, 3, 1.5, 1.0)
    assert (first[0].text, first[1:], len(generations)) == (raw.text, (1, True), 1)
    generations.clear()

    none = engine.complete_valid(prompt, 8, 0.0, 1.0, None, lambda _: False, 3, 1.5, 1.0)
    assert (none[0].text, none[1:], len(generations)) == (raw.text, (4, False), 4)
