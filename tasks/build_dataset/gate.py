"""What the dataset gate checks: every record, re-validated independently of the builder."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from tasks.build_dataset.coverage import TaskCoverage, task_coverage
from tasks.build_dataset.curation import standards_problem
from tasks.build_dataset.decontaminate import contamination
from tasks.formats import validate_output
from tasks.gates import GateInput
from tasks.io import read_parquet
from tasks.params import CurationParams, Params


def shares_asset_across_splits(frame: pd.DataFrame) -> pd.Series:
    """Per record: whether one of its source assets also feeds a record of the other split."""
    exploded = frame[["assets", "split"]].explode("assets")
    splits_per_asset = exploded.groupby("assets")["split"].nunique()
    straddling = set(splits_per_asset[splits_per_asset > 1].index)
    return frame["assets"].map(lambda assets: any(asset in straddling for asset in assets))


def gate_frame(records: pd.DataFrame, ngram: int, standards: CurationParams) -> pd.DataFrame:
    """Records plus the derived columns the suite checks (lists dropped: GX compares scalars)."""
    frame = records.copy()
    frame["format_problems"] = [
        "; ".join(str(p) for p in validate_output(r.task, r.output, r.language, r.method or None))
        for r in frame.itertuples()
    ]
    frame["breaks_standards"] = [
        standards_problem(r.task, r.input, r.output, r.language, standards) or ""
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
    for split in ("train", "eval"):  # every task is both trained and evaluated
        per_task = frame.loc[frame["split"] == split, "task"].value_counts()
        frame[f"task_{split}_records"] = frame["task"].map(per_task).fillna(0).astype(int)
    return frame.drop(columns=["assets", "event_ids"])


def explainer(
    coverage: list[TaskCoverage], min_records: int
) -> Callable[[str, str | None], list[str]]:
    """What a failed task-level expectation means: the tasks, their counts, the threshold."""
    short = [c for c in coverage if c.train + c.eval < min_records]
    by_column = {
        "task": [
            f"{c.line()}; build_dataset.tasks lists it, so the gate needs "
            f"gates.min_records_per_task = {min_records}: add what feeds it, or drop it there"
            for c in coverage
            if not c.train + c.eval
        ],
        "task_record_count": [
            f"task {c.task}: {c.train + c.eval} records, below gates.min_records_per_task = "
            f"{min_records}" + (f" ({c.problem})" if c.problem else "")
            for c in short
        ],
        "task_eval_records": [c.line() for c in coverage if c.train and not c.eval],
        "task_train_records": [c.line() for c in coverage if c.eval and not c.train],
    }
    total = sum(c.train + c.eval for c in coverage)
    by_column["split"] = [
        f"{sum(getattr(c, split) for c in coverage)} {split} records of {total}"
        for split in ("train", "eval")
    ]

    def explain(expectation: str, column: str | None) -> list[str]:
        if expectation == "expect_table_row_count_to_be_between":
            return [c.line() for c in coverage] or ["build_dataset.tasks lists no task"]
        if column == "task" and expectation != "expect_column_distinct_values_to_contain_set":
            return []
        return by_column.get(column or "", [])

    return explain


def _build_facts(params: Params) -> tuple[pd.DataFrame | None, Counter[str] | None]:
    """Step 2's rejects and step 1's kept assets per kind, where they exist (for the reasons)."""
    rejects_path = Path(params.build_dataset.rejects)
    contents_path = Path(params.identify_assets.contents)
    rejects = read_parquet(rejects_path) if rejects_path.exists() else None
    kinds = None
    if contents_path.exists():
        kinds = Counter(pq.read_table(contents_path, columns=["kind"])["kind"].to_pylist())
    return rejects, kinds


def gate_input(params: Params) -> GateInput:
    """Records with derived columns: format problems, split leakage, contamination, counts."""
    step = params.build_dataset
    records = read_parquet(step.records)
    frame = gate_frame(records, step.decontamination_ngram, step.curation)
    rejects, kinds = _build_facts(params)
    coverage = task_coverage(list(step.tasks), records, rejects, kinds, step.decontamination_ngram)
    return GateInput(
        frame=frame,
        id_columns=["record_id"],
        parameters={
            "tasks": list(step.tasks),
            "max_record_tokens": step.max_record_tokens,
            "min_records_per_task": params.gates.min_records_per_task,
            "max_output_chars": params.gates.max_output_chars,
        },
        explain=explainer(coverage, params.gates.min_records_per_task),
    )
