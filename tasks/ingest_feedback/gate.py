"""What the feedback gate checks: every inbox line, valid or rejected."""

from __future__ import annotations

import pandas as pd

from tasks.gates import GateInput
from tasks.io import read_parquet
from tasks.params import Params


def gate_input(params: Params) -> GateInput:
    """Accepted events plus one row per rejected line, flagged `is_rejected`."""
    step = params.ingest_feedback
    events = read_parquet(step.events).assign(is_rejected=False)
    rejects = read_parquet(step.rejects)
    rejected = pd.DataFrame(
        {
            "event_id": rejects["event_id"].fillna("").astype(str),
            "source_file": rejects["source_file"],
            "line": rejects["line"],
            "is_rejected": True,
        }
    )
    frame = pd.concat([events, rejected], ignore_index=True)
    frame["row_id"] = frame["source_file"] + ":" + frame["line"].astype(int).astype(str)
    return GateInput(
        frame=frame,
        id_columns=["row_id"],
        parameters={"max_reject_ratio": params.gates.max_reject_ratio},
    )
