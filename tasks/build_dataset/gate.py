"""What the dataset gate checks: every record, re-validated independently of the builder."""

from __future__ import annotations

import pandas as pd

from tasks.build_dataset.decontaminate import contamination
from tasks.formats import validate_output
from tasks.gates import GateInput
from tasks.io import read_parquet
from tasks.params import Params


def shares_asset_across_splits(frame: pd.DataFrame) -> pd.Series:
    """Per record: whether one of its source assets also feeds a record of the other split."""
    exploded = frame[["assets", "split"]].explode("assets")
    splits_per_asset = exploded.groupby("assets")["split"].nunique()
    straddling = set(splits_per_asset[splits_per_asset > 1].index)
    return frame["assets"].map(lambda assets: any(asset in straddling for asset in assets))


def gate_frame(records: pd.DataFrame, ngram: int) -> pd.DataFrame:
    """Records plus the derived columns the suite checks (lists dropped: GX compares scalars)."""
    frame = records.copy()
    frame["format_problems"] = [
        "; ".join(str(p) for p in validate_output(r.task, r.output, r.language, r.method or None))
        for r in frame.itertuples()
    ]
    frame["input_missing"] = ~frame["origin"].str.startswith("feedback") & (
        frame["input"].str.strip() == ""
    )
    frame["shares_asset_across_splits"] = shares_asset_across_splits(frame)
    frame["contaminated"] = frame["record_id"].isin(contamination(frame, ngram))
    frame["teacher_answer_in_eval"] = (frame["origin"] == "teacher_output") & (
        frame["split"] == "eval"
    )
    frame["task_record_count"] = frame.groupby("task")["task"].transform("size")
    return frame.drop(columns=["assets", "event_ids"])


def gate_input(params: Params) -> GateInput:
    """Records with derived columns: format problems, split leakage, contamination, counts."""
    step = params.build_dataset
    frame = gate_frame(read_parquet(step.records), step.decontamination_ngram)
    return GateInput(
        frame=frame,
        id_columns=["record_id"],
        parameters={
            "tasks": list(step.tasks),
            "max_record_tokens": step.max_record_tokens,
            "min_records_per_task": params.gates.min_records_per_task,
            "max_output_chars": params.gates.max_output_chars,
        },
    )
