"""Continue's dev data, as its `data:` destinations POST it, kept for step 6's `continue` source.

Continue (core/data/log.ts, `logToOneDestination`) sends one event per request: POST to the
destination with `Content-Type: application/json`, `Authorization: Bearer <apiKey>` when the
destination has an apiKey, and the body `{"name": <eventName>, "data": <the event, parsed by
the destination's schema and level>, "schema": "0.2.0", "level": "all" | "noCode",
"profileId": ...}`; any 2xx answer is success (it reads no body and never retries). Each
event's `data` is appended to `<continue_inbox>/<schema>/<name>.jsonl`, the layout Continue
itself writes to ~/.continue/dev_data, so one reader maps both. Before it is written, every
text is scrubbed by step 1's scrubber (as the server's own feedback is) and the userId is
replaced by its sha256 ("sha256:<hex>"): no raw secret or user token reaches the disk. The
write is one O_APPEND write of a whole line, fsynced before the answer.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field

from tasks.feedback_events import HASHED, hash_user
from tasks.serve.store import _fsync_dir, scrubbed

# Identifiers and settings, kept as they are (an id must still match Continue's local copy).
_KEEP = {
    "eventName", "schema", "timestamp", "userAgent", "selectedProfileId", "completionId",
    "uniqueId", "sessionId", "requestId", "toolCallId", "modelName", "modelProvider",
    "modelTitle", "model", "provider", "multilineCompletions", "template", "functionName",
}  # fmt: skip


class ContinueDevData(BaseModel):
    """The body of one Continue dev-data POST."""

    model_config = ConfigDict(extra="allow")  # future fields are not a reason to lose an event

    name: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
    data: dict[str, Any]
    schema_: str = Field(alias="schema", pattern=r"^\d{1,4}\.\d{1,4}\.\d{1,4}$")
    level: Literal["all", "noCode"] | None = None
    profileId: str | None = None  # noqa: N815 - Continue's field name


def _scrub(value: Any, key: str | None = None) -> Any:
    if isinstance(value, str):
        return value if key in _KEEP else scrubbed(value)
    if isinstance(value, list):
        return [_scrub(item) for item in value]
    if isinstance(value, dict):
        return {k: _scrub(v, k) for k, v in value.items()}
    return value


class ContinueInbox:
    """Appends Continue's events under `directory`/<schema>/<name>.jsonl."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._lock = threading.Lock()

    def add(self, body: ContinueDevData) -> Path:
        """Scrub and append one event; return the file it went to."""
        data = _scrub(body.data)
        if "userId" in data:
            data["userId"] = HASHED + hash_user(body.data.get("userId"))
        line = orjson.dumps(data) + b"\n"  # TypeError on an unpaired surrogate
        folder = self.directory / body.schema_
        path = folder / f"{body.name}.jsonl"
        with self._lock:
            new_folder, new_file = not folder.is_dir(), not path.exists()
            folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, line)  # one write: a whole line, even beside another process
                os.fsync(fd)
            finally:
                os.close(fd)
            if new_folder:  # the new names must survive a crash too
                _fsync_dir(self.directory)
            if new_file:
                _fsync_dir(folder)
        return path
