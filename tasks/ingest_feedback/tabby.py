"""Tabby's event logs (TabbyML/tabby) as schema-v1 feedback events.

Tabby's server appends every event to `~/.tabby/events/<UTC date>.json` (crates/tabby/src/
services/event.rs: one file per day, `%Y-%m-%d.json`, JSON lines despite the name), each line
a `LogEntry` of crates/tabby-common/src/api/event.rs: `{"user": <id or null>, "ts": <epoch
ms>, "event": {<type>: {...}}}` with the `Event` enum in serde's snake_case external tagging:
`completion` {completion_id, language, prompt, segments?{prefix, suffix?, filepath?, ...},
choices [{index, text}], user_agent}, `view` / `select` / `dismiss` {completion_id,
choice_index, view_id?, elapsed?, and for select kind? "line"}, `chat_completion` {} (older
Tabby: {completion_id, input, output}; older completions carried `user` inside).

A completion is an event only once its verdict arrives: a select is an accept of that
choice, a dismiss a reject; a view says nothing. Tabby writes a completion before any event
about it, one writer in order, and files are read in name (= time) order, so an outcome whose
completion has not been read can never be paired: it is rejected ("no completion event for
completion_id X"). A completion read but not decided yet waits in the ledger's `pending`
table, committed with the batch that read it (its file, byte offset and length: the text
stays in Tabby's log and is read back, and scrubbed, only when its verdict comes), so a
select in a later run, or a later file, still finds it. Pending completions older than
`pending_days` before the newest event read are let go. A select of one line (kind "line")
is kept as a reject that is not feedback: how much of the completion was kept is not logged.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from tasks.feedback_events import hash_user
from tasks.ingest_feedback.ide import (
    NOT_FEEDBACK,
    Mapped,
    as_event,
    fill_in_the_middle,
    infer_task,
    iso_timestamp,
    mapped,
    rejected,
)
from tasks.params import FeedbackTabbySource

EVENT_TYPES = ("completion", "view", "select", "dismiss", "chat_completion")
_DAY_MS = 86_400_000


class TabbyMapper:
    """Maps a Tabby source's lines in read order, remembering completions for their verdict."""

    def __init__(
        self, root: Path, source: FeedbackTabbySource, pending: dict[str, tuple[str, int, int, int]]
    ) -> None:
        self.root, self.source = root, source
        self.known = dict(pending)  # completion_id -> (piece, offset, length, ts)
        self.window = int(source.pending_days * _DAY_MS)
        self.newest = max((ts for *_, ts in pending.values()), default=0)
        self._new: list[tuple[str, str, int, int, int]] = []

    def take_pending(self) -> tuple[tuple[str, str, int, int, int], ...]:
        """The completions read since the last call, to commit with their batch."""
        taken, self._new = tuple(self._new), []
        return taken

    def prune_before(self) -> int:
        return max(self.newest - self.window, 0)

    def map_line(self, line: bytes, piece: str, offset: int) -> Mapped:
        if not line.strip():
            return Mapped()
        try:
            entry = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            return rejected(f"invalid JSON: {str(exc).split(':')[0]}")
        except (RecursionError, MemoryError) as exc:
            return rejected(f"invalid JSON: {type(exc).__name__}")
        event = entry.get("event") if isinstance(entry, dict) else None
        if not isinstance(event, dict) or len(event) != 1:
            return rejected("tabby: not a log entry {ts, event: {<type>: {...}}}")
        [(kind, body)] = event.items()
        if kind not in EVENT_TYPES:
            return rejected(f"tabby: unknown event type (known: {', '.join(EVENT_TYPES)})")
        ts = entry.get("ts")
        if type(ts) is int and ts > self.newest:
            self.newest = ts
        if kind == "chat_completion":
            return rejected(f"{NOT_FEEDBACK}tabby chat_completion carries no verdict to learn from")
        if not isinstance(body, dict) or not isinstance(body.get("completion_id"), str):
            return rejected(f"tabby {kind}: no completion_id")
        completion_id = body["completion_id"]
        if kind == "completion":
            if type(ts) is not int:
                return rejected(f"tabby completion {completion_id}: ts must be epoch ms")
            where = (piece, offset, len(line), ts)
            self.known[completion_id] = where
            self._new.append((completion_id, *where))
            return Mapped()  # not an event until its select or dismiss
        if kind == "view":
            return Mapped()  # shown: no verdict yet
        return self._outcome(kind, body, entry, completion_id)

    def _outcome(self, kind: str, body: dict, entry: dict, completion_id: str) -> Mapped:
        event_id = f"tabby:{completion_id}:{body.get('choice_index')}:{kind}"
        if kind == "select" and body.get("kind") == "line":
            return rejected(
                f"{NOT_FEEDBACK}tabby select of one line of {completion_id}: how much of the"
                " completion was kept is not logged", event_id,
            )  # fmt: skip
        completion = self._completion(completion_id, entry.get("ts"))
        if completion is None:
            return rejected(f"tabby {kind}: no completion event for completion_id {completion_id}"
                            f" (none read, or older than {self.source.pending_days:g} days)",
                            event_id)  # fmt: skip
        line_entry, done = completion
        index = body.get("choice_index")
        choices = done.get("choices") if isinstance(done.get("choices"), list) else []
        texts = [c.get("text") for c in choices if isinstance(c, dict) and c.get("index") == index]
        if type(index) is not int or not texts or not isinstance(texts[0], str):
            return rejected(f"tabby {kind}: completion {completion_id} has no choice {index!r}",
                            event_id)  # fmt: skip
        segments = done.get("segments") if isinstance(done.get("segments"), dict) else {}
        filepath = segments.get("filepath") if isinstance(segments.get("filepath"), str) else None
        if isinstance(segments.get("prefix"), str):
            suffix = segments.get("suffix") if isinstance(segments.get("suffix"), str) else ""
            prompt = fill_in_the_middle(segments["prefix"], suffix, filepath)
        else:
            prompt = done.get("prompt") if isinstance(done.get("prompt"), str) else ""
        language = done.get("language") if isinstance(done.get("language"), str) else None
        agent = done.get("user_agent")
        user = next((u for u in (entry.get("user"), line_entry.get("user"), done.get("user"))
                     if isinstance(u, str) and u), None)  # fmt: skip
        timestamp = iso_timestamp(entry.get("ts"))
        if timestamp is None:
            return rejected(f"tabby {kind}: ts must be epoch ms", event_id)
        fields = {
            "event_id": event_id, "timestamp": timestamp,
            "model_version": self.source.model_version,
            "task": infer_task(filepath, language),
            "prompt": [{"role": "user", "content": prompt}], "completion": texts[0],
            "action": "accept" if kind == "select" else "reject", "edited_completion": None,
            "latency_ms": 0,
            "client": f"tabby/{agent}"[:200] if isinstance(agent, str) and agent else "tabby",
            "user": hash_user(user),
        }  # fmt: skip
        return mapped(as_event(**fields), f"tabby {kind}")

    def _completion(self, completion_id: str, ts: Any) -> tuple[dict, dict] | None:
        # The completion's log entry and body, read back from Tabby's file.
        where = self.known.get(completion_id)
        if where is None:
            return None
        piece, offset, length, at = where
        if type(ts) is int and ts - at > self.window:
            return None
        try:
            with (self.root / piece).open("rb") as fh:
                fh.seek(offset)
                entry = orjson.loads(fh.read(length))
            done = entry["event"]["completion"]
        except (OSError, orjson.JSONDecodeError, KeyError, TypeError):
            return None  # the file is gone or was rewritten
        if not isinstance(done, dict) or done.get("completion_id") != completion_id:
            return None
        return entry, done
