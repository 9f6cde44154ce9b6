"""Durable records of the server: its answers and the feedback inbox (schema v1 events).

Both are append-only JSON-lines files, flushed and fsynced before the request that wrote them
is answered, so an acknowledged answer or event survives a kill -9 or a power cut. (tasks.io
writes whole files atomically; an inbox needs appends, hence this one writer of its own.)
Each server start writes new files, and reads every earlier one back on start: answers so
feedback can refer to them after a restart, event ids so a retried event is not written twice.
Prompts, completions and edits are scrubbed by step 1's scrubber (the mode and placeholders
ingestion uses) before they are kept, so no raw secret a user pasted is written to disk.
"""

from __future__ import annotations

import json
import os
import threading
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tasks.feedback_events import SCHEMA_VERSION, event_problems, hash_user
from tasks.feedback_scrubbing import scrub_text


def utc_now() -> str:
    """The current UTC time as ISO 8601 with a Z."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def scrubbed(text: str | None) -> str | None:
    """`text` with secrets and personal data replaced by step 1's placeholders."""
    return scrub_text(text, Counter())


class DurableLog:
    """An append-only JSONL file in `directory`, new per process, fsynced on every append."""

    def __init__(self, directory: Path, stem: str) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        self.path = directory / f"{stem}-{stamp}-{os.getpid()}-{uuid.uuid4().hex[:6]}.jsonl"
        self._lock = threading.Lock()
        self._file = None

    def rows(self) -> list[dict[str, Any]]:
        """Every complete row of every file in the directory (a torn last line is skipped)."""
        rows = []
        for path in sorted(self.directory.glob("*.jsonl")):
            for line in path.read_bytes().split(b"\n"):
                try:
                    row = json.loads(line)
                except (ValueError, RecursionError):  # bad JSON or UTF-8, cut anywhere
                    continue  # only a write cut short by a crash; it was never acknowledged
                if isinstance(row, dict):
                    rows.append(row)
        return rows

    def append(self, row: dict[str, Any]) -> None:
        """Write one row and make it durable before returning."""
        line = json.dumps(row, ensure_ascii=False) + "\n"
        with self._lock:
            if self._file is None:
                self._file = self.path.open("a", encoding="utf-8")
                _fsync_dir(self.directory)  # the new file's name must survive a crash too
            self._file.write(line)
            self._file.flush()
            os.fsync(self._file.fileno())

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class UnknownCompletion(KeyError):
    """Feedback names a completion id this server never gave."""


class FeedbackStore:
    """Answers by id and the feedback inbox, both durable and rebuilt on start."""

    def __init__(self, answers_dir: Path, inbox_dir: Path) -> None:
        self.answers = DurableLog(answers_dir, "answers")
        self.inbox = DurableLog(inbox_dir, "server")
        self._answers = {row["id"]: row for row in self.answers.rows() if "id" in row}
        self._seen = {row.get("event_id") for row in self.inbox.rows()}
        self._lock = threading.Lock()

    def record_answer(self, answer: dict[str, Any]) -> None:
        """Keep an answer (id, model_version, task, prompt, completion, latency_ms, ...),
        its prompt and completion scrubbed."""
        prompt = [m | {"content": scrubbed(m["content"])} for m in answer["prompt"]]
        answer = answer | {"prompt": prompt, "completion": scrubbed(answer["completion"])}
        self.answers.append(answer)
        self._answers[answer["id"]] = answer

    def add_feedback(
        self, completion_id: str, action: str, edited_completion: str | None,
        event_id: str | None, user: str | None, client: str | None,
    ) -> tuple[dict[str, Any], bool]:  # fmt: skip
        """The schema-v1 event for this feedback and whether it was new (False: a duplicate)."""
        answer = self._answers.get(completion_id)
        if answer is None:
            raise UnknownCompletion(completion_id)
        event = {
            "event_id": event_id or str(uuid.uuid4()),
            "schema_version": SCHEMA_VERSION,
            "timestamp": utc_now(),
            "model_version": answer["model_version"],
            "task": answer.get("task") or "unknown",
            "prompt": answer["prompt"],
            "completion": answer["completion"],
            "action": action,
            "edited_completion": scrubbed(edited_completion) if action == "edit" else None,
            "latency_ms": answer["latency_ms"],
            "client": client or answer.get("client") or "api",
            "user": hash_user(user) if user is not None else answer["user"],
        }
        if problems := event_problems(event):
            raise ValueError("; ".join(problems))
        with self._lock:  # check-and-write as one step: two retries racing write once
            if event["event_id"] in self._seen:
                return event, False
            self.inbox.append(event)
            self._seen.add(event["event_id"])
        return event, True

    def close(self) -> None:
        self.answers.close()
        self.inbox.close()
