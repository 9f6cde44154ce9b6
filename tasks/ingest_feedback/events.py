"""The feedback event schema (version 1) and its per-record validation."""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np
import pandas as pd

SCHEMA_VERSION = 1
ACTIONS = ("accept", "reject", "edit")
EVENT_COLUMNS = [
    "event_id", "schema_version", "timestamp", "model_version", "task", "prompt", "completion",
    "action", "edited_completion", "latency_ms", "client", "user", "source_file", "line",
]  # fmt: skip
_HASHED_USER = re.compile(r"[0-9a-f]{64}")
_CHECKED = (
    "schema_version", "event_id", "model_version", "task", "completion", "client", "timestamp",
    "prompt", "action", "edited_completion", "latency_ms", "user",
)  # fmt: skip


def _timestamp_ok(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    stamp = pd.to_datetime(value.replace("Z", "+00:00"), format="ISO8601", errors="coerce")
    return stamp is not pd.NaT


def _latency_ok(value: Any) -> bool:
    return type(value) in (int, float) and value >= 0  # a bool is not a latency


def event_problems(event: Any) -> list[str]:
    """Every way an event breaks schema version 1 (empty when it is valid)."""
    if not isinstance(event, dict):
        return ["not a JSON object"]
    problems = []
    if type(event.get("schema_version")) is not int or event["schema_version"] != SCHEMA_VERSION:
        problems.append(f"schema_version must be {SCHEMA_VERSION}")
    for key in ("event_id", "model_version", "task", "completion", "client"):
        if not isinstance(event.get(key), str) or not event[key].strip():
            problems.append(f"{key} must be a non-empty string")
    if not _timestamp_ok(event.get("timestamp")):
        problems.append("timestamp must be ISO 8601")
    prompt = event.get("prompt")
    if not _prompt_ok(prompt):
        problems.append("prompt must be a list of {role, content} string messages with a user turn")
    action = event.get("action")
    if action not in ACTIONS:
        problems.append(f"action {action!r} is not one of {', '.join(ACTIONS)}")
    edited = event.get("edited_completion")
    if action == "edit" and (not isinstance(edited, str) or not edited.strip()):
        problems.append("edit events need a non-empty edited_completion")
    if action != "edit" and edited not in (None, ""):
        problems.append("edited_completion is only allowed on edit events")
    if not _latency_ok(event.get("latency_ms")):
        problems.append("latency_ms must be a non-negative number")
    if not isinstance(event.get("user"), str) or not _HASHED_USER.fullmatch(event["user"]):
        problems.append("user must be a sha256 hex digest (never a raw user name)")
    return problems


def event_row(event: dict, source_file: str, line: int) -> dict:
    """Flatten a valid event into an events-table row (prompt kept as JSON text)."""
    row = {key: event.get(key) for key in EVENT_COLUMNS}
    row.update(prompt=json.dumps(event["prompt"], ensure_ascii=False), source_file=source_file)
    row.update(line=line, latency_ms=float(event["latency_ms"]))
    return row


def _prompt_ok(prompt: Any) -> bool:
    # One pass, no generators: this runs once per event.
    if not isinstance(prompt, list):
        return False
    has_user = False
    for message in prompt:
        if not isinstance(message, dict):
            return False
        role = message.get("role")
        if not isinstance(role, str) or not isinstance(message.get("content"), str):
            return False
        has_user = has_user or role == "user"
    return has_user


def _non_empty(values: tuple[Any, ...]) -> np.ndarray:
    return np.array([type(v) is str and not (v == "" or v.isspace()) for v in values], dtype=bool)


def _timestamps_ok(values: tuple[Any, ...]) -> np.ndarray:
    # Stamps repeat within a batch (bursts, coarse clocks): parse each distinct one once.
    distinct = list(dict.fromkeys(v for v in values if type(v) is str))
    stamps = pd.Series(distinct, dtype=object).str.replace("Z", "+00:00", regex=False)
    parsed = pd.to_datetime(stamps, format="ISO8601", errors="coerce", utc=True).notna()
    good = {stamp for stamp, ok in zip(distinct, parsed, strict=True) if ok}
    return np.array([type(v) is str and v in good for v in values], dtype=bool)


def valid_mask(events: list[Any]) -> np.ndarray:
    """Column-wise version of `event_problems(e) == []` for many events at once (fast path)."""
    if not events:
        return np.zeros(0, dtype=bool)
    not_dict: dict[str, Any] = {}
    rows = [tuple(map((e if type(e) is dict else not_dict).get, _CHECKED)) for e in events]
    column = dict(zip(_CHECKED, zip(*rows, strict=True), strict=True))
    ok = np.array([type(e) is dict for e in events], dtype=bool)
    ok &= np.array([type(v) is int and v == SCHEMA_VERSION for v in column["schema_version"]])
    for key in ("event_id", "model_version", "task", "completion", "client"):
        ok &= _non_empty(column[key])
    ok &= _timestamps_ok(column["timestamp"])
    ok &= np.array([_prompt_ok(p) for p in column["prompt"]], dtype=bool)
    edited = column["edited_completion"]
    has_edit = _non_empty(edited)
    ok &= np.array(
        [a in ACTIONS and (has if a == "edit" else e is None or e == "")
         for a, e, has in zip(column["action"], edited, has_edit, strict=True)], dtype=bool
    )  # fmt: skip
    ok &= np.array([_latency_ok(v) for v in column["latency_ms"]], dtype=bool)
    user_ok = _HASHED_USER.fullmatch
    ok &= np.array([type(v) is str and user_ok(v) is not None for v in column["user"]], dtype=bool)
    return ok
