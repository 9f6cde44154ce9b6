"""A teacher model behind an OpenAI-compatible `/chat/completions` endpoint, cached on disk.

Every answer is stored under the hash of its request (model, messages, sampling) as soon as
it arrives, so a rerun, or a run resumed after a crash, asks only what it has not asked yet.
Requests are spaced to stay under `max_requests_per_minute`, retried with back-off on network
errors, 429 and 5xx, and capped at `max_requests` per run.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tasks.io import read_json, write_json
from tasks.params import TeacherParams


class TeacherError(RuntimeError):
    """One request failed (HTTP error status or a malformed answer); the item becomes a reject."""


class TeacherUnavailable(RuntimeError):
    """The endpoint cannot be reached at all: the step stops with this message."""


class BudgetSpent(TeacherError):
    """The run already made `max_requests` requests."""


@dataclass
class TeacherStats:
    requests: int = 0
    cache_hits: int = 0
    failures: int = 0


class Teacher:
    """Chat completions from the configured endpoint, through the on-disk cache."""

    def __init__(self, params: TeacherParams) -> None:
        if not params.base_url:
            raise ValueError("the teacher needs build_dataset.teacher.base_url")
        self.params = params
        self.cache_dir = Path(params.cache_dir).expanduser()
        self.stats = TeacherStats()
        self._last_request = float("-inf")
        key = os.environ.get(params.api_key_env, "") if params.api_key_env else ""
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self._client = httpx.Client(
            base_url=params.base_url.rstrip("/"), headers=headers, timeout=params.timeout_s
        )

    def close(self) -> None:
        self._client.close()

    def _request_body(self, messages: list[dict[str, str]]) -> dict[str, Any]:
        return {
            "model": self.params.model,
            "messages": messages,
            "temperature": 0,
            "max_tokens": self.params.max_tokens,
        }

    def cache_path(self, body: dict[str, Any]) -> Path:
        """Where the answer to a request body is cached."""
        digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
        return self.cache_dir / digest[:2] / f"{digest}.json"

    def _wait_for_rate_limit(self) -> None:
        interval = 60.0 / self.params.max_requests_per_minute
        pause = self._last_request + interval - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        self._last_request = time.monotonic()

    def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        for attempt in range(self.params.max_retries + 1):
            self._wait_for_rate_limit()
            self.stats.requests += 1
            try:
                response = self._client.post("/chat/completions", json=body)
            except httpx.TransportError as exc:
                if attempt == self.params.max_retries:
                    raise TeacherUnavailable(
                        f"teacher at {self.params.base_url} cannot be reached: {exc}"
                    ) from exc
            else:
                retry = response.status_code == 429 or response.status_code >= 500
                if not retry or attempt == self.params.max_retries:
                    break
            time.sleep(min(2.0**attempt, 30.0))
        if response.status_code != 200:
            raise TeacherError(f"HTTP {response.status_code}: {response.text[:200]}")
        try:
            return response.json()
        except ValueError as exc:
            raise TeacherError(f"answer is not JSON: {response.text[:200]!r}") from exc

    def complete(self, messages: list[dict[str, str]]) -> str:
        """The teacher's answer to a chat, from the cache when it was asked before."""
        body = self._request_body(messages)
        path = self.cache_path(body)
        if path.exists():
            self.stats.cache_hits += 1
            return read_json(path)["answer"]
        if self.stats.requests >= self.params.max_requests:
            raise BudgetSpent(f"not asked: max_requests {self.params.max_requests} reached")
        try:
            payload = self._post(body)
            answer = payload["choices"][0]["message"]["content"]
        except TeacherError:
            self.stats.failures += 1
            raise
        except (KeyError, IndexError, TypeError) as exc:
            self.stats.failures += 1
            raise TeacherError(f"answer has no choices[0].message.content: {exc!r}") from exc
        if not isinstance(answer, str):
            self.stats.failures += 1
            raise TeacherError(f"answer content is {type(answer).__name__}, not text")
        write_json(path, {"request": body, "answer": answer})
        return answer
