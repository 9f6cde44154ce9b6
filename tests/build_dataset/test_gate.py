"""The dataset gate: a clean build passes, and each planted defect fails its expectation."""

from __future__ import annotations

import pandas as pd
import pytest

from tasks.build_dataset.__main__ import build
from tasks.build_dataset.gate import gate_frame
from tasks.gates import GateFailed, GateInput, run_gate, validate_frame
from tasks.io import write_parquet
from tests.support import REPO


@pytest.fixture(scope="module")
def sample_records(sample_contents, repo_params, count_tokens) -> pd.DataFrame:
    step = repo_params.build_dataset.model_copy(
        update={"max_record_tokens": 100_000, "real_plantuml": "off"}
    )
    return build(sample_contents, [], step, count_tokens)[0]


def _params(repo_params, tmp_path):
    step = repo_params.build_dataset.model_copy(
        update={"records": str(tmp_path / "records.parquet"), "max_record_tokens": 100_000}
    )
    gates = repo_params.gates.model_copy(
        update={"report_dir": str(tmp_path / "reports"), "suite_dir": str(REPO / "expectations")}
    )
    return repo_params.model_copy(update={"build_dataset": step, "gates": gates})


def test_given_the_sample_dataset_when_gated_then_every_expectation_is_met(
    sample_records, repo_params, tmp_path
):
    params = _params(repo_params, tmp_path)
    write_parquet(params.build_dataset.records, sample_records)
    result = run_gate("dataset", params)
    assert result.success and result.rows == len(sample_records)
    assert result.evaluated == 24


def test_given_planted_defects_when_gated_then_each_fails_its_expectation_naming_the_record(
    sample_records, repo_params, tmp_path
):
    records = sample_records.copy()
    by_task = {task: records.index[records["task"] == task] for task in records["task"].unique()}
    story = by_task["create_agile_user_story"][0]
    records.loc[story, "output"] = "User Story: no role"  # invalid in its format
    records.loc[by_task["implement_method"][0], "input"] = " "  # an asset record without input
    evaluated = records.index[records["split"] == "eval"]
    train = records.index[records["split"] == "train"]
    records.loc[evaluated[0], "origin"] = "teacher_output"  # teacher answer evaluated
    records.at[train[0], "assets"] = [*records.at[train[0], "assets"],
                                      records.at[evaluated[1], "asset_id"]]  # fmt: skip
    records.loc[train[1], "input"] = records.loc[evaluated[2], "output"]  # contamination
    api = by_task["design_restful_api"][0]  # a valid table whose path names an action
    records.loc[api, "output"] = records.loc[api, "output"].replace("| /", "| /createPost/", 1)

    step = repo_params.build_dataset
    frame = gate_frame(records, step.decontamination_ngram, step.curation)
    parameters = {"tasks": list(step.tasks), "max_record_tokens": 100_000,
                  "min_records_per_task": 1, "max_output_chars": 6000}  # fmt: skip
    result = validate_frame(
        "dataset", GateInput(frame, ["record_id"], parameters),
        REPO / "expectations" / "dataset.json", tmp_path,
    )  # fmt: skip
    failed = {f.column: f for f in result.failures}
    assert not result.success
    assert set(failed) == {
        "format_problems", "input_missing", "teacher_answer_in_eval",
        "shares_asset_across_splits", "contaminated", "breaks_standards",
    }  # fmt: skip
    (row,) = failed["breaks_standards"].sample_rows
    assert row["record_id"] == records.loc[api, "record_id"]
    assert "verb-in-path: segment 'createPost'" in row["breaks_standards"]
    assert failed["format_problems"].sample_rows[0]["record_id"] == records.loc[story, "record_id"]
    assert failed["contaminated"].unexpected_count == 1
    assert failed["teacher_answer_in_eval"].unexpected_count == 1


def test_given_a_task_below_the_minimum_when_gated_then_the_failure_names_task_count_threshold(
    sample_records, repo_params, tmp_path
):
    records = sample_records
    tasks = records[records["task"] == "split_user_story_tasks"]
    kept = [tasks[tasks["split"] == "train"].index[0], tasks[tasks["split"] == "eval"].index[0]]
    records = records.drop(index=tasks.index.difference(kept))
    params = _params(repo_params, tmp_path)
    write_parquet(params.build_dataset.records, records)

    with pytest.raises(GateFailed) as failed:
        run_gate("dataset", params)

    lines = str(failed.value).splitlines()
    at = next(i for i, line in enumerate(lines) if "on column 'task_record_count'" in line)
    assert lines[at + 1].strip() == (
        "task split_user_story_tasks: 2 records, below gates.min_records_per_task = 3"
    )
    assert "create_agile_user_story" not in str(failed.value)
