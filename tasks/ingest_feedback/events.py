"""The feedback event schema (version 1) and its per-record validation."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

SCHEMA_VERSION = 1
ACTIONS = ("accept", "reject", "edit")
EVENT_COLUMNS = [
    "event_id", "schema_version", "timestamp", "model_version", "task", "prompt", "completion",
    "action", "edited_completion", "latency_ms", "client", "user", "source_file", "line",
]  # fmt: skip
_HASHED_USER = re.compile(r"^[0-9a-f]{64}$")


def event_problems(event: Any) -> list[str]:
    """Every way an event breaks schema version 1 (empty when it is valid)."""
    if not isinstance(event, dict):
        return ["not a JSON object"]
    problems = []
    if event.get("schema_version") != SCHEMA_VERSION:
        problems.append(f"schema_version must be {SCHEMA_VERSION}")
    for key in ("event_id", "model_version", "task", "completion", "client"):
        if not isinstance(event.get(key), str) or not event[key].strip():
            problems.append(f"{key} must be a non-empty string")
    try:
        datetime.fromisoformat(str(event.get("timestamp", "")).replace("Z", "+00:00"))
    except ValueError:
        problems.append("timestamp must be ISO 8601")
    prompt = event.get("prompt")
    if not (
        isinstance(prompt, list)
        and prompt
        and all(isinstance(m, dict) and {"role", "content"} <= m.keys() for m in prompt)
        and any(m["role"] == "user" for m in prompt)
    ):
        problems.append("prompt must be a list of {role, content} messages with a user turn")
    action = event.get("action")
    if action not in ACTIONS:
        problems.append(f"action {action!r} is not one of {', '.join(ACTIONS)}")
    edited = event.get("edited_completion")
    if action == "edit" and (not isinstance(edited, str) or not edited.strip()):
        problems.append("edit events need a non-empty edited_completion")
    if action != "edit" and edited not in (None, ""):
        problems.append("edited_completion is only allowed on edit events")
    if not isinstance(event.get("latency_ms"), int | float) or event["latency_ms"] < 0:
        problems.append("latency_ms must be a non-negative number")
    if not isinstance(event.get("user"), str) or not _HASHED_USER.match(event["user"]):
        problems.append("user must be a sha256 hex digest (never a raw user name)")
    return problems


def event_row(event: dict, source_file: str, line: int) -> dict:
    """Flatten a valid event into an events-table row (prompt kept as JSON text)."""
    row = {key: event.get(key) for key in EVENT_COLUMNS}
    row.update(prompt=json.dumps(event["prompt"], ensure_ascii=False), source_file=source_file)
    row.update(line=line, latency_ms=float(event["latency_ms"]))
    return row
