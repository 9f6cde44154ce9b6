"""Continue's dev data (continuedev/continue) as schema-v1 feedback events.

Continue writes every dev-data event to `~/.continue/dev_data/<schema>/<eventName>.jsonl`
(core/data/log.ts, `LOCAL_DEV_DATA_VERSION` "0.2.0"; 0.1.0 files are older logs) and POSTs it
to each `data:` destination of its config as `{name, data, schema, level, profileId}`; our
server's POST /v1/feedback/continue writes `data` into the same layout. The event shapes are
the zod schemas of packages/config-yaml/src/schemas/data/ (`devDataVersionedSchemas`): the
base fields eventName, schema, timestamp (ISO), userId, userAgent, selectedProfileId (0.2.0;
0.1.0 has none of them but autocomplete's timestamp) plus each event's own.

Mapped: autocomplete (accepted true -> accept, false -> reject: shown and not taken within
Continue's 10 s), editOutcome (accepted -> accept, or edit when the code kept differs from the
model's; not accepted -> reject), chatFeedback (feedback true / false -> accept / reject),
nextEditOutcome (accepted -> accept, not accepted -> reject). Every other event is kept as a
reject saying why it has nothing to learn from.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import orjson

from tasks.feedback_events import UNKNOWN_TASK, hash_user
from tasks.feedback_scrubbing import scrub_text
from tasks.ingest_feedback.ide import (
    NOT_FEEDBACK,
    Mapped,
    as_event,
    fill_in_the_middle,
    infer_task,
    iso_timestamp,
    mapped,
    rejected,
    stable_id,
    text,
)

# devDataVersionedSchemas["<version>"]["all"]: the events each schema version defines.
EVENTS = {
    "0.1.0": ("autocomplete", "quickEdit", "chatFeedback", "tokensGenerated"),
    "0.2.0": ("autocomplete", "chatFeedback", "tokensGenerated", "chatInteraction",
              "editInteraction", "editOutcome", "nextEditOutcome", "nextEditWithHistory",
              "toolUsage"),
}  # fmt: skip
KNOWN_VERSIONS = ", ".join(EVENTS)
_NO_VERDICT = {
    "quickEdit": "the request and its diff, with no verdict",
    "tokensGenerated": "token counts only",
    "chatInteraction": "a prompt and its answer with no verdict (chatFeedback carries it)",
    "editInteraction": "an edit request and its answer with no verdict (editOutcome carries it)",
    "nextEditWithHistory": "edit history with no verdict (nextEditOutcome carries it)",
    "toolUsage": "a tool call's approval, not an answer in code or text",
}
_EXTENSION_VERSION = re.compile(r"\(Continue/([^)\s]+)\)")
_SEMVER = re.compile(r"\d+\.\d+\.\d+")
_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")
# Text fields of the events, scrubbed by the server before it writes them (ingestion scrubs
# the prompt, completion and edit it builds from them in any case).
TEXT_FIELDS = (
    "prefix", "suffix", "prompt", "completion", "previousCode", "newCode", "userEdits",
    "userExcerpts", "originalEditableRange", "beforeContent", "afterContent", "context",
    "toolCallArgs", "filepath", "fileUri", "fileURI", "gitRepo", "label", "path",
)  # fmt: skip


def piece_place(piece: str) -> tuple[str, str]:
    """(schema version, event name) of a piece `<version>/<eventName>.jsonl`."""
    parts = piece.split("/")
    version = parts[0] if len(parts) == 2 else ""
    return version, Path(parts[-1]).stem


def safe_name(value: Any, pattern: re.Pattern = _IDENTIFIER) -> str:
    """A value for a reason: itself when it is a short identifier, else a description."""
    if isinstance(value, str) and pattern.fullmatch(value):
        return repr(value)
    return "an invalid value"


class Answers:
    """The server's answers log (serve.answers), by completion text: a Continue event whose
    completion is one of our answers is linked to it."""

    def __init__(self, directory: str | None) -> None:
        self.by_text: dict[str, dict] = {}
        if not directory or not Path(directory).is_dir():
            return
        for path in sorted(Path(directory).glob("*.jsonl")):
            for line in path.read_bytes().split(b"\n"):
                try:
                    row = orjson.loads(line)
                except orjson.JSONDecodeError:
                    continue  # a torn last line: never acknowledged
                answer = row.get("completion") if isinstance(row, dict) else None
                if isinstance(answer, str) and answer.strip() and "id" in row:
                    self.by_text[answer.strip()] = row

    def find(self, completion: str) -> dict | None:
        """The answer with this completion (as given, or as the server scrubbed it)."""
        if not self.by_text or not completion.strip():
            return None
        found = self.by_text.get(completion.strip())
        if found is None:
            found = self.by_text.get((scrub_text(completion, Counter()) or "").strip())
        return found


class _Base:
    """What every mapped event shares, from the base fields."""

    def __init__(self, data: dict, version: str, name: str) -> None:
        self.data, self.version, self.name = data, version, name
        agent = _EXTENSION_VERSION.search(text(data.get("userAgent")))
        self.client = f"continue/{agent.group(1)}" if agent else f"continue/schema-{version}"
        self.user = hash_user(data.get("userId"))
        self.what = f"continue {name} (schema {version})"

    def event(self, event_id: str, model: Any, task: str, prompt: str, completion: str,
              action: str, latency: Any = 0, edited: str | None = None,
              stamp: Any = None) -> Mapped:  # fmt: skip
        timestamp = iso_timestamp(self.data.get("timestamp") if stamp is None else stamp)
        if timestamp is None:
            why = "has no timestamp" if "timestamp" not in self.data else "has a bad timestamp"
            return rejected(f"{self.what} {why}", event_id)
        fields = {
            "event_id": event_id, "timestamp": timestamp,
            "model_version": model if isinstance(model, str) else "",
            "task": task, "prompt": [{"role": "user", "content": prompt}],
            "completion": completion, "action": action, "edited_completion": edited,
            "latency_ms": latency if type(latency) in (int, float) and latency >= 0 else 0,
            "client": self.client, "user": self.user,
        }  # fmt: skip
        return mapped(as_event(**fields), self.what)


def _link(event: Mapped, answers: Answers | None) -> Mapped:
    # An answer our server gave: its model, prompt and task; the event keeps its own id.
    if event.event is None or answers is None:
        return event
    answer = answers.find(event.event["completion"])
    if answer is None:
        return event
    linked = event.event | {
        "model_version": answer.get("model_version") or event.event["model_version"],
        "prompt": answer.get("prompt") or event.event["prompt"],
        "task": answer.get("task") or event.event["task"],
        "completion": answer["completion"],
        "client": f"{event.event['client']} answer={answer['id']}",
    }
    if event.event["action"] == "edit" and linked["edited_completion"] == answer["completion"]:
        linked |= {"action": "accept", "edited_completion": None}
    return mapped(linked, "continue event linked to answer " + str(answer["id"]))


def _missing(data: dict, fields: dict[str, type]) -> str | None:
    for field, kind in fields.items():
        value = data.get(field)
        is_bool = isinstance(value, bool)
        if (kind is bool) != is_bool or not isinstance(value, kind):
            return f"field '{field}' must be {'a boolean' if kind is bool else 'a string'}"
    return None


def _unusable(
    base: _Base, marker: str, fields: dict[str, type], stuff: str = "code"
) -> Mapped | None:
    """The reject of an event logged at level noCode (neither `completion` nor `marker`
    present) or with a field of the wrong type; None when the event can be mapped."""
    data = base.data
    if "completion" not in data and marker not in data:
        return rejected(
            f"{NOT_FEEDBACK}{base.what} logged at level noCode: no {stuff} to learn from"
        )
    if problem := _missing(data, fields):
        return rejected(f"{base.what}: {problem}")
    return None


def _own_id(data: dict) -> str:
    """The event's completionId where it has one, else a hash of its content."""
    completion_id = text(data.get("completionId"))
    return f"continue:{data['completionId']}" if completion_id else stable_id("continue", data)


def _autocomplete(base: _Base) -> Mapped:
    data = base.data
    if reject := _unusable(base, "prefix", {"completion": str, "prefix": str, "suffix": str}):
        return reject
    event_id = _own_id(data)
    accepted = data.get("accepted")
    if not isinstance(accepted, bool):
        return rejected(f"{NOT_FEEDBACK}{base.what} has no 'accepted' verdict", event_id)
    filepath = text(data.get("filepath"))
    prompt = fill_in_the_middle(data["prefix"], data["suffix"], filepath)
    action = "accept" if accepted else "reject"
    return base.event(event_id, data.get("modelName"), infer_task(filepath), prompt,
                      data["completion"], action, data.get("time", 0))  # fmt: skip


def _edit_outcome(base: _Base) -> Mapped:
    data = base.data
    fields = {"prompt": str, "completion": str, "previousCode": str, "newCode": str,
              "accepted": bool}  # fmt: skip
    if reject := _unusable(base, "newCode", fields):
        return reject
    event_id = stable_id("continue", data)
    instruction = " ".join(data["prompt"].split()) or "Edit the code"
    filepath = text(data.get("filepath"))
    where = f" ({Path(filepath).name})" if filepath else ""
    prompt = f"{instruction}{where}\n\n{data['previousCode']}"
    completion, kept = data["completion"], data["newCode"]
    if not data["accepted"]:
        action, edited = "reject", None
    elif kept.strip() and kept.strip() != completion.strip():
        action, edited = "edit", kept  # the code kept is not what the model proposed
    else:
        action, edited = "accept", None
    model = data.get("modelName") or data.get("modelTitle")
    return base.event(event_id, model, infer_task(filepath), prompt, completion, action,
                      edited=edited)  # fmt: skip


def _chat_feedback(base: _Base) -> Mapped:
    data = base.data
    if reject := _unusable(base, "prompt", {"prompt": str, "completion": str}, "text"):
        return reject
    event_id = stable_id("continue", data)
    feedback = data.get("feedback")
    if not isinstance(feedback, bool):
        return rejected(f"{NOT_FEEDBACK}{base.what} has no thumbs up or down", event_id)
    model = data.get("modelName") or data.get("modelTitle")
    return base.event(event_id, model, UNKNOWN_TASK, data["prompt"], data["completion"],
                      "accept" if feedback else "reject")  # fmt: skip


def _next_edit_outcome(base: _Base) -> Mapped:
    data = base.data
    if reject := _unusable(base, "prompt", {"prompt": str, "completion": str}):
        return reject
    event_id = _own_id(data)
    if data.get("aborted") is True:
        return rejected(f"{NOT_FEEDBACK}{base.what} was aborted before it was shown", event_id)
    accepted = data.get("accepted")
    if not isinstance(accepted, bool):
        return rejected(f"{NOT_FEEDBACK}{base.what} has no 'accepted' verdict", event_id)
    filepath = text(data.get("fileUri"))
    return base.event(event_id, data.get("modelName"), infer_task(filepath), data["prompt"],
                      data["completion"], "accept" if accepted else "reject",
                      data.get("elapsed", 0))  # fmt: skip


_MAPPERS = {
    "autocomplete": _autocomplete,
    "editOutcome": _edit_outcome,
    "chatFeedback": _chat_feedback,
    "nextEditOutcome": _next_edit_outcome,
}


def map_line(line: bytes, version: str, name: str, answers: Answers | None = None) -> Mapped:
    """One line of `<version>/<name>.jsonl` as a v1 event, a reject, or nothing (blank)."""
    if not line.strip():
        return Mapped()
    if version not in EVENTS:
        where = f"schema version {version!r}" if version else "a file outside a version folder"
        return rejected(
            f"continue dev data in {where}: not a schema version we know ({KNOWN_VERSIONS})"
        )
    if name not in EVENTS[version]:
        return rejected(
            f"continue schema {version} has no event {safe_name(name)}"
            f" (it has: {', '.join(EVENTS[version])})"
        )
    try:
        data = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        return rejected(f"invalid JSON: {str(exc).split(':')[0]}")
    except (RecursionError, MemoryError) as exc:
        return rejected(f"invalid JSON: {type(exc).__name__}")
    if not isinstance(data, dict):
        return rejected(f"continue {name} (schema {version}): not a JSON object")
    if "schema" in data and data["schema"] != version:
        schema = safe_name(data["schema"], _SEMVER)
        return rejected(
            f"continue {name}: field schema {schema} is not the folder's {version}"
            + ("" if data["schema"] in EVENTS else f" and not one we know ({KNOWN_VERSIONS})")
        )
    if "eventName" in data and data["eventName"] != name:
        return rejected(
            f"continue {name} (schema {version}): field eventName {safe_name(data['eventName'])}"
            " is not the file's event"
        )
    base = _Base(data, version, name)
    if name in _NO_VERDICT:
        return rejected(
            f"{NOT_FEEDBACK}continue event {name!r} carries no answer to learn from"
            f" ({_NO_VERDICT[name]})"
        )
    return _link(_MAPPERS[name](base), answers)
