"""Whole answers asked for together are decoded in one batch, and are the answers one by one."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from openai import OpenAI

from tests.serve.server import engine_server

pytestmark = pytest.mark.slow  # loads the tiny model (a few seconds)

PROMPTS = [
    "Implement the method fee",
    "hi",
    "Write test for follow code\n\ndef f(): pass",
    "Design a RESTful API for savings goals",
    "Draw a PlantUML class diagram of\n\nclass A: pass",
    "Write test for follow code\n\nx = 1",
]


def test_concurrent_answers_share_a_batch_and_equal_the_answers_asked_one_by_one(
    tiny_export, tmp_path
):
    def ask(client: OpenAI, text: str, max_tokens: int):
        messages = [{"role": "user", "content": text}]
        reply = client.chat.completions.create(
            model="m", messages=messages, max_tokens=max_tokens, temperature=0
        )
        return reply.choices[0].message.content, reply.choices[0].finish_reason, reply.usage

    budgets = [3, 9, 6, 12, 1, 9]  # uneven: each row stops at its own budget
    with engine_server(tiny_export, tmp_path) as (url, engine):
        client = OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0, timeout=120)
        alone = [ask(client, p, n) for p, n in zip(PROMPTS, budgets, strict=True)]
        assert set(engine.batches) == {1}
        engine.batches.clear()
        start = threading.Barrier(len(PROMPTS))

        def together(i: int):
            start.wait()
            return ask(client, PROMPTS[i], budgets[i])

        with ThreadPoolExecutor(len(PROMPTS)) as pool:
            batched = list(pool.map(together, range(len(PROMPTS))))

    assert max(engine.batches) > 1 and sum(engine.batches) == len(PROMPTS)
    assert [a[:2] for a in batched] == [a[:2] for a in alone]
    assert [a[2].completion_tokens for a in batched] == [a[2].completion_tokens for a in alone]
    for (_, finish, usage), budget in zip(batched, budgets, strict=True):
        assert usage.completion_tokens <= budget + 1  # + the end-of-turn token when it ended
        assert finish == "length" or usage.completion_tokens <= budget


def test_a_failing_batch_raises_in_every_request_it_holds_and_the_server_goes_on(
    tiny_export, tmp_path
):
    with engine_server(tiny_export, tmp_path) as (url, engine):
        real = engine.model
        engine.model = None  # the next batch fails inside generate_ids
        try:
            with pytest.raises(Exception):  # noqa: B017, PT011 - any error reaches the caller
                engine.complete("hi", 3)
        finally:
            engine.model = real
        assert engine.complete("hi", 3).completion_tokens > 0
