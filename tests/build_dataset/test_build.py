"""Step 2 end to end on the shipped samples: every task, clean split, files and dataset card."""

from __future__ import annotations

import json

import pytest

from tasks.build_dataset.__main__ import ALPACA_KEYS, build, main
from tasks.build_dataset.gate import gate_frame
from tasks.io import read_jsonl, read_parquet
from tests.build_dataset.stage import stage_inputs


@pytest.fixture(scope="module")
def built(sample_contents, roomy_step, count_tokens):
    return build(sample_contents, [], roomy_step, count_tokens)


def test_given_the_samples_when_built_then_every_task_has_train_and_eval_records(built, roomy_step):
    records, _, _ = built
    per_task = records.groupby(["task", "split"]).size().unstack(fill_value=0)
    assert set(per_task.index) == set(roomy_step.tasks)
    assert (per_task["train"] > 0).all() and (per_task["eval"] > 0).all(), per_task


def test_given_the_samples_when_built_then_nothing_crosses_the_split_and_all_is_valid(
    built, roomy_step
):
    records, _, _ = built
    checked = gate_frame(records, roomy_step.decontamination_ngram, roomy_step.curation)
    assert not checked["shares_asset_across_splits"].any()
    assert not checked["contaminated"].any()
    assert (checked["format_problems"] == "").all()
    assert records["record_id"].is_unique


def test_given_the_samples_when_built_then_every_source_kind_feeds_its_tasks(built):
    records, _, _ = built
    kinds = set(records["instruction_kind"])
    assert {"design_restful_api.story", "design_plantuml_datastructure.api"} <= kinds
    from_controllers = records[
        (records["task"] == "design_restful_api")
        & records["asset_id"].str.endswith("Controller.java")
    ]
    assert len(from_controllers) >= 3  # reverse generation from the Spring controllers
    chinese = records[records["language"] == "zh"]
    assert set(chinese["task"]) == {"create_agile_user_story", "split_user_story_tasks"}
    assert set(chinese["instruction_language"]) == {"zh"}
    assert (records["instruction_language"] == "zh").sum() > len(chinese)  # code tasks too


def test_given_the_same_inputs_when_built_twice_then_the_dataset_is_identical(
    built, sample_contents, roomy_step, count_tokens
):
    again, rejects, _ = build(sample_contents, [], roomy_step, count_tokens)
    assert again.equals(built[0]) and rejects.equals(built[1])


def test_given_pipeline_files_when_the_step_runs_then_it_writes_datasets_rejects_and_card(
    tmp_path, monkeypatch, tiny_params, sample_contents
):
    monkeypatch.chdir(tmp_path)
    params_path = stage_inputs(tmp_path, tiny_params, sample_contents)

    main(["--params", str(params_path)])

    step = tiny_params.build_dataset
    records = read_parquet(step.records)
    train, evaluation = read_jsonl(step.train), read_jsonl(step.eval)
    assert len(train) + len(evaluation) == len(records)
    assert set(train[0]) == set(ALPACA_KEYS)
    taught = records[records["origin"] == "feedback_edit"]
    assert list(taught["split"]) == ["train"] and list(taught["event_ids"].iloc[0]) == ["e1"]
    # the train split itself carries the event ids (lineage: event -> record -> adapter)
    assert [r["event_ids"] for r in train if r["asset_id"] == "feedback:e1"] == [["e1"]]
    assert all(r["event_ids"] == [] for r in train if not r["asset_id"].startswith("feedback:"))
    assert set(read_parquet(step.rejects).columns) == {"asset_id", "task", "reason"}
    card = (tmp_path / step.card).read_text(encoding="utf-8")
    for heading in (
        "Records per task and split",
        "Instruction languages per split",
        "Rejected candidates by reason",
        "Decontamination",
        "Teacher distillation",
    ):
        assert f"## {heading}" in card  # fmt: skip
    assert "split_user_story_tasks" in card and "Off (no `build_dataset.teacher.base_url`)" in card
    assert json.loads(json.dumps(train[0]))["instruction"]


def test_given_the_samples_when_built_then_every_task_is_fed_and_only_a_spring_group_is_cut(
    built,
):
    """The Spring records tie the payments service into one group: the only cut gives a Spring
    task its eval records; every other task's split is whole groups."""
    records, rejects, info = built
    assert info.warnings == []
    cut = rejects.loc[rejects["reason"].str.startswith("split_cut"), "reason"]
    spring = r"so that implementation_(spring_controller|spring_service|controller_test) has eval"
    assert len(cut) and cut.str.contains(spring).all()
    assert records.loc[records["group"].str.contains(">"), "asset_id"].str.contains("/web/").all()
