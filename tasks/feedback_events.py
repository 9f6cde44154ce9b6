"""The feedback event schema (version 1) and its per-record validation."""

from __future__ import annotations

import hashlib
import re
from operator import attrgetter
from typing import Annotated, Any, Literal

import msgspec
import numpy as np
import orjson
import pandas as pd

SCHEMA_VERSION = 1
ACTIONS = ("accept", "reject", "edit")
# The task of an event whose task is not known (an IDE tool's chat): kept for the online
# metrics, left out of the SFT records (convert.sft_records).
UNKNOWN_TASK = "unknown"
ANONYMOUS = "anonymous"  # the user of a request or an IDE event that names none
HASHED = "sha256:"  # a user id already hashed at capture (the server's Continue inbox)
_HASHED_USER = re.compile(r"[0-9a-f]{64}")


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


class Message(msgspec.Struct, gc=False):
    role: str
    content: str


_NonEmpty = Annotated[str, msgspec.Meta(min_length=1)]


class Event(msgspec.Struct, kw_only=True, gc=False):
    """Schema version 1 as msgspec decodes it: types, enums and bounds checked in C while the
    line is parsed. What a type cannot say (blank strings, a user turn, the edit rules, the
    timestamp format) `valid_events` checks on the decoded batch; unknown fields are ignored,
    as `event_problems` ignores them."""

    event_id: _NonEmpty
    schema_version: Literal[1]
    timestamp: str
    model_version: _NonEmpty
    task: _NonEmpty
    prompt: list[Message]
    completion: _NonEmpty
    action: Literal["accept", "reject", "edit"]
    edited_completion: str | None = None
    latency_ms: Annotated[float, msgspec.Meta(ge=0)]
    client: _NonEmpty
    user: Annotated[str, msgspec.Meta(min_length=64, max_length=64)]  # hex: `valid_events`


_decode = msgspec.json.Decoder(Event).decode
# What a decoder raises on a hostile line, besides its own DecodeError (a ValueError): invalid
# UTF-8 inside a string (UnicodeDecodeError, also a ValueError), nesting past the interpreter's
# recursion limit (RecursionError), or a line too large to hold (MemoryError).
DECODE_ERRORS = (ValueError, RecursionError, MemoryError)
_USER, _ACTION, _EDIT = attrgetter("user"), attrgetter("action"), attrgetter("edited_completion")
_HEX = "0123456789abcdef"


def _not_hex(text: str) -> int:
    return len(text.strip(_HEX))  # 0 when every character is a hex digit


def _timestamps_ok(values: list[str]) -> np.ndarray:
    # Stamps repeat within a batch (bursts, coarse clocks): parse each distinct one once.
    distinct = list(dict.fromkeys(values))
    stamps = pd.Series(distinct, dtype=object).str.replace("Z", "+00:00", regex=False)
    parsed = pd.to_datetime(stamps, format="ISO8601", errors="coerce", utc=True).notna()
    good = {stamp for stamp, ok in zip(distinct, parsed, strict=True) if ok}
    return np.array([v in good for v in values], dtype=bool)


def valid_events(lines: list[bytes]) -> tuple[list[int], list[Event]]:
    """The lines that are valid schema-v1 events, decoded: (their indices, the events).

    The fast path, whole batches at once; a line it leaves out gets its reasons from
    `line_problems`, and tests hold the two to the same verdict on every kind of breakage.
    """
    decoded, where = [], []
    for index, line in enumerate(lines):
        try:
            decoded.append(_decode(line))
        except DECODE_ERRORS:  # malformed JSON, schema violations, poison pills alike
            continue
        where.append(index)
    if not decoded:
        return [], []
    ok = _timestamps_ok([e.timestamp for e in decoded])
    # A sha256 hex digest: 64 characters (checked by the decoder), all of them hex digits (a
    # msgspec pattern would call Python's re once per event, a quarter of the decoding time).
    ok &= np.fromiter(map(_not_hex, map(_USER, decoded)), bool, len(decoded)) == 0
    for column in ("event_id", "model_version", "task", "completion", "client"):
        blank = map(str.isspace, map(attrgetter(column), decoded))  # "" fails in the decoder
        ok &= ~np.fromiter(blank, bool, len(decoded))
    ok &= np.array([any([m.role == "user" for m in e.prompt]) for e in decoded], dtype=bool)
    ok &= np.array(
        [
            # an edit needs its text (not blank), other actions have none
            (bool(edit) and not edit.isspace()) if action == "edit" else not edit
            for action, edit in zip(map(_ACTION, decoded), map(_EDIT, decoded), strict=True)
        ],
        dtype=bool,
    )
    keep = np.flatnonzero(ok).tolist()
    return [where[i] for i in keep], [decoded[i] for i in keep]


def line_problems(line: bytes) -> tuple[str | None, list[str]]:
    """(event id if there is one, every problem) for a line the fast path left out."""
    try:
        event = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        return None, [f"invalid JSON: {str(exc).split(':')[0]}"]
    except DECODE_ERRORS as exc:
        return None, [f"invalid JSON: {type(exc).__name__}"]
    event_id = event.get("event_id") if isinstance(event, dict) else None
    event_id = event_id if isinstance(event_id, str) else None
    if problems := event_problems(event):
        return event_id, problems
    # Valid by the per-record rules yet refused by the schema: say what msgspec said, so the
    # line is still accounted for (no breakage the tests try reaches this branch).
    try:
        _decode(line)
    except msgspec.DecodeError as exc:
        return event_id, [str(exc)]
    except RecursionError:
        return event_id, ["nested too deeply to decode"]
    except DECODE_ERRORS as exc:
        return event_id, [f"cannot be decoded: {type(exc).__name__}"]
    return event_id, ["refused by the batch checks"]


def hash_user(user: Any) -> str:
    """sha256 hex of a user id (ANONYMOUS when there is none); an id hashed at capture
    ("sha256:<hex>") is used as it is. A raw id is never stored."""
    if isinstance(user, str) and user.startswith(HASHED) and len(user) == len(HASHED) + 64:
        return user[len(HASHED) :]
    text = user if isinstance(user, str) and user else ANONYMOUS
    return hashlib.sha256(text.encode()).hexdigest()
