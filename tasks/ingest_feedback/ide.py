"""What the IDE-tool sources (Continue, Tabby) share: turning a foreign log line into a
schema-v1 event, or into a reject with its reason.

A mapped line becomes the JSON of a schema-v1 event and goes through the same validation,
de-duplication by event id and scrubbing as our own events (`ingest.process_chunk`); a line
that cannot be one is recorded as a reject with a reason. Reasons starting with
`NOT_FEEDBACK` mark lines that are well-formed but carry no verdict to learn from (token
counts, chat transcripts without a thumbs up or down): they are kept in the rejects table for
the record, and the feedback gate leaves them out of its reject ratio (they are not garbage).
"""

from __future__ import annotations

import hashlib
import os
import re
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

import orjson

from tasks.feedback_events import SCHEMA_VERSION, UNKNOWN_TASK, event_problems

NOT_FEEDBACK = "not feedback: "

# Which of our tasks a file's path says the code belongs to.
_TEST_FILE = re.compile(
    r"(^|/)(tests?|__tests__|spec)/|(^|/)test_[^/]*\.py$|_test\.(py|go|rb)$|"
    r"(Test|Tests|IT)\.(java|kt|scala|cs)$|\.(test|spec)\.[jt]sx?$",
    re.IGNORECASE,
)
_CODE_SUFFIXES = {
    ".py", ".java", ".kt", ".scala", ".js", ".jsx", ".ts", ".tsx", ".go", ".rb", ".rs", ".c",
    ".h", ".cc", ".cpp", ".hpp", ".cs", ".php", ".swift", ".m", ".sh", ".lua", ".dart",
}  # fmt: skip
_CODE_LANGUAGES = {
    "python", "java", "kotlin", "scala", "javascript", "javascriptreact", "typescript",
    "typescriptreact", "go", "ruby", "rust", "c", "cpp", "csharp", "php", "swift", "shellscript",
    "lua", "dart",
}  # fmt: skip
FILL = "<FILL_HERE>"


def infer_task(filepath: str | None, language: str | None = None) -> str:
    """write_test for a test file, implement_method for other code, else UNKNOWN_TASK."""
    if filepath:
        path = filepath.replace("\\", "/").split("://", 1)[-1]
        if _TEST_FILE.search(path):
            return "write_test"
        if PurePosixPath(path).suffix.lower() in _CODE_SUFFIXES:
            return "implement_method"
    if language and language.lower() in _CODE_LANGUAGES:
        return "implement_method"
    return UNKNOWN_TASK


def iso_timestamp(value: Any) -> str | None:
    """ISO 8601 UTC (with a Z) of an ISO string or epoch milliseconds (seconds when small);
    None when it is neither."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        seconds = value / 1000 if abs(value) > 1e11 else value
        try:
            stamp = datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    elif isinstance(value, str) and value.strip():
        try:
            stamp = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
        stamp = stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp.astimezone(UTC)
    else:
        return None
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


def fill_in_the_middle(prefix: str, suffix: str, filepath: str | None) -> str:
    """A user turn asking for the code at the cursor: instruction, a blank line, the file
    with FILL where the completion goes (convert.split_user_turn splits it back)."""
    where = f" in {Path(filepath).name}" if filepath else ""
    return f"Complete the code at {FILL}{where}\n\n{prefix}{FILL}{suffix}"


def stable_id(prefix: str, data: dict) -> str:
    """An event id from the line's content (keys sorted): a re-read, or the same event in
    another copy of the log, gets the same id, so it is never counted twice."""
    canonical = orjson.dumps(data, option=orjson.OPT_SORT_KEYS)
    return f"{prefix}:{hashlib.sha256(canonical).hexdigest()[:32]}"


def text(value: Any) -> str:
    """A string field, or "" when it is missing or not a string."""
    return value if isinstance(value, str) else ""


def as_event(**fields: Any) -> dict:
    """A schema-v1 event from its fields (schema_version filled in)."""
    return {"schema_version": SCHEMA_VERSION, **fields}


class Mapped:
    """The outcome of mapping one line: a v1 event, a reject (event id, reason) or nothing."""

    __slots__ = ("event", "event_id", "reason")

    def __init__(self, event: dict | None = None, event_id: str | None = None,
                 reason: str | None = None) -> None:  # fmt: skip
        self.event, self.event_id, self.reason = event, event_id, reason


def rejected(reason: str, event_id: str | None = None) -> Mapped:
    return Mapped(event_id=event_id, reason=reason)


def mapped(event: dict, what: str) -> Mapped:
    """The event, or a reject naming what it came from when it breaks schema v1."""
    if problems := event_problems(event):
        return rejected(f"{what}: {'; '.join(problems)}", event.get("event_id"))
    return Mapped(event=event, event_id=event["event_id"])


def mapped_lines(
    results: list[Mapped], first_line: int
) -> tuple[list[bytes], tuple[tuple[int, str | None, str], ...]]:
    """Per line the v1 event's JSON (b"" where there is none: blank lines are no event), and
    the rejects as (line number, event id, reason)."""
    lines, rejects = [], []
    for number, result in enumerate(results, first_line):
        if result.event is not None:
            lines.append(orjson.dumps(result.event))
            continue
        lines.append(b"")
        if result.reason is not None:
            rejects.append((number, result.event_id, result.reason))
    return lines, tuple(rejects)


def expand(path: str) -> Path:
    """A source folder, with a leading ~ expanded."""
    return Path(os.path.expanduser(path))
