"""A bounded load test on loopback: 200 requests, 16 at a time, no errors."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from openai import OpenAI

from tests.serve.server import thread_server

pytestmark = pytest.mark.slow

REQUESTS, CONCURRENCY = 200, 16


def test_200_requests_16_concurrent_streamed_and_not_all_succeed(tiny_export, tmp_path):
    def one(n: int) -> str:
        messages = [{"role": "user", "content": f"Write test for follow code\n\nx = {n}"}]
        if n % 2:
            stream = client.chat.completions.create(
                model="m", messages=messages, max_tokens=4, stream=True
            )
            return [c.id for c in stream][-1]
        return client.chat.completions.create(model="m", messages=messages, max_tokens=4).id

    with thread_server(tiny_export, tmp_path) as url:
        client = OpenAI(base_url=url, api_key="unused", max_retries=0, timeout=120)
        with ThreadPoolExecutor(CONCURRENCY) as pool:
            ids = list(pool.map(one, range(REQUESTS)))  # any error raises here

    assert len(set(ids)) == REQUESTS
    answers = list((tmp_path / "answers").glob("*.jsonl"))
    assert sum(len(p.read_text().splitlines()) for p in answers) == REQUESTS
