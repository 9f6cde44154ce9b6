"""What the dataset gate checks: every record, re-validated independently of the builder."""

from __future__ import annotations

from tasks.formats import validate_output
from tasks.gates import GateInput
from tasks.io import read_parquet
from tasks.params import Params


def gate_input(params: Params) -> GateInput:
    """Records with derived columns: format problems, split leakage, per-task counts."""
    step = params.build_dataset
    frame = read_parquet(step.records).drop(columns=["assets", "event_ids"])
    frame["format_problems"] = [
        "; ".join(str(p) for p in validate_output(r.task, r.output, r.language))
        for r in frame.itertuples()
    ]
    splits_per_group = frame.groupby("group")["split"].transform("nunique")
    frame["group_in_both_splits"] = splits_per_group > 1
    frame["task_record_count"] = frame.groupby("task")["task"].transform("size")
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
