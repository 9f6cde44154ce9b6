"""What the feedback gate checks: every ingested event, every rejected line, every record.

One frame with a `row_kind` per row: `event` (ingested), `rejected` (a reject with its
reason) and `sft` / `dpo` / `kto` (converted records, checked for secrets left behind).
"""

from __future__ import annotations

from collections import Counter

import pandas as pd

from tasks.feedback_scrubbing import SCRUB_LANGUAGE, may_hold_secret
from tasks.gates import GateInput
from tasks.ingest_feedback.ide import NOT_FEEDBACK
from tasks.io import read_jsonl, read_parquet
from tasks.params import Params
from tasks.scrub import find_secrets


def leaked_secrets(texts: list[str | None]) -> str:
    """Kinds of secret or personal data still in already-scrubbed texts ("" when none)."""
    kinds: Counter[str] = Counter()
    for text in texts:
        if text and may_hold_secret(text):
            kinds.update(find_secrets(text, SCRUB_LANGUAGE))
    return ",".join(sorted(kinds))


def _record_texts(kind: str, record: dict) -> list[str | None]:
    prompt = [m["content"] for m in record.get("prompt", [])]
    answers = [record.get(key) for key in ("output", "chosen", "rejected", "completion")]
    return [record.get("instruction"), record.get("input"), *prompt, *answers]


def with_reject_ratio(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with `reject_ratio`: rejected lines / lines read, the same on every row.

    A per-row value rather than a mean over `is_rejected`, so that no feedback yet (no rows: a
    new repository, or only the demo inbox left out) passes instead of failing on a mean of
    nothing.
    """
    lines = frame["is_rejected"].dropna() if "is_rejected" in frame else pd.Series(dtype=bool)
    ratio = float(lines.astype(bool).mean()) if len(lines) else 0.0
    return frame.assign(reject_ratio=ratio)


def gate_input(params: Params) -> GateInput:
    """Events, rejects and converted records in one frame, each row flagged by `row_kind`."""
    step = params.ingest_feedback
    events = read_parquet(step.events).assign(row_kind="event", is_rejected=False)
    events["row_id"] = (
        events["source"] + "/" + events["source_file"] + ":" + events["line"].astype(str)
    )
    events["leaked_secrets"] = ""
    rejects = read_parquet(step.rejects)
    rejected = pd.DataFrame(
        {
            "row_kind": "rejected",
            # An IDE tool's line with no verdict in it (token counts, chats without a thumbs
            # up or down) is not garbage: recorded, left out of the reject ratio (None).
            "is_rejected": [None if str(r).startswith(NOT_FEEDBACK) else True
                            for r in rejects["reason"]],
            "event_id": rejects["event_id"],
            "reason": rejects["reason"],
            "row_id": rejects["source"] + "/" + rejects["source_file"] + ":"
            + rejects["line"].astype(str),
            "leaked_secrets": "",
        }
    )  # fmt: skip
    records = [
        {
            "row_kind": kind,
            "row_id": f"{kind}:{n}:{record['event_ids'][0]}",
            "leaked_secrets": leaked_secrets(_record_texts(kind, record)),
        }
        for kind, path in (("sft", step.records), ("dpo", step.dpo), ("kto", step.kto))
        for n, record in enumerate(read_jsonl(path), start=1)
    ]
    frame = with_reject_ratio(
        pd.concat([events, rejected, pd.DataFrame(records)], ignore_index=True)
    )
    return GateInput(
        frame=frame,
        id_columns=["row_id"],
        parameters={"max_reject_ratio": params.gates.max_reject_ratio},
    )
