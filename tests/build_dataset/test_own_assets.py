"""Step 2 and its gate on a user's own corpus (tests/fixtures/shop): no user stories, and a spec
whose resources Spring controllers implement, so its API records share one asset group."""

from __future__ import annotations

import pandas as pd
import pytest

from tasks.build_dataset.__main__ import build, main
from tasks.build_dataset.gate import gate_frame
from tasks.gates import GateFailed, run_gate
from tasks.io import write_parquet
from tests.support import REPO, write_params

SHOP = REPO / "tests" / "fixtures" / "shop"
_KINDS = {".java": ("source", "java"), ".py": ("source", "python"),
          ".yaml": ("openapi", "yaml"), ".md": ("doc", "markdown")}  # fmt: skip


@pytest.fixture(scope="module")
def shop_contents() -> pd.DataFrame:
    """contents.parquet of the shop corpus as step 1 keeps it (kinds fixed here)."""
    rows = []
    for file in sorted(SHOP.rglob("*.*")):
        path = file.relative_to(SHOP).as_posix()
        kind, language = _KINDS[file.suffix]
        if "/src/test/" in path or "/tests/" in path:
            kind = "test"
        rows.append((f"shop:{path}", "shop", path, kind, language, file.read_text("utf-8")))
    return pd.DataFrame(rows, columns=["asset_id", "source", "path", "kind", "language", "text"])


# The tasks a user of this corpus would list (README "Point it at your own assets"): with all
# of them, the Spring tasks it cannot feed are warnings too, and the Java diagrams' eval records
# take the last group write_test could cut for eval (test_all_tasks_on_a_small_corpus_...).
SHOP_TASKS = ["design_restful_api", "create_agile_user_story", "split_user_story_tasks",
              "implement_method", "write_test", "design_plantuml_datastructure"]  # fmt: skip


@pytest.fixture(scope="module")
def shop_built(shop_contents, roomy_step, count_tokens):
    return build(
        shop_contents, [], roomy_step.model_copy(update={"tasks": SHOP_TASKS}), count_tokens
    )


def test_all_tasks_on_a_small_corpus_warn_for_each_task_it_cannot_feed(
    shop_contents, roomy_step, count_tokens
):
    _, _, info = build(shop_contents, [], roomy_step, count_tokens)
    reasons = {w.removeprefix("warning: task ").split(":")[0]: w for w in info.warnings}
    assert "no assets of kind user_story" in reasons["create_agile_user_story"]
    assert "gave no candidate for it" in reasons["implementation_spring_service"]
    assert "no eval records" in reasons["write_test"]


def test_given_no_user_stories_when_built_then_each_missing_task_is_a_warning_with_its_reason(
    shop_built,
):
    records, _, info = shop_built
    assert not set(records["task"]) & {"create_agile_user_story", "split_user_story_tasks"}
    for task in ("create_agile_user_story", "split_user_story_tasks"):
        (warning,) = [w for w in info.warnings if f"task {task}:" in w]
        assert "0 train, 0 eval records: no records: no assets of kind user_story" in warning
    assert len(info.warnings) == 2  # every task the corpus feeds has train and eval records


def test_given_controllers_sharing_the_specs_group_when_built_then_the_api_task_is_evaluated(
    shop_built,
    roomy_step,
):
    records, rejects, _ = shop_built
    per_task = records.groupby(["task", "split"]).size().unstack(fill_value=0)
    assert (per_task["eval"] > 0).all() and (per_task["train"] >= per_task["eval"]).all()
    api = records[records["task"] == "design_restful_api"]
    assert api["asset_id"].str.contains("#").any() and api["asset_id"].str.endswith(
        "Controller.java"
    ).any()  # fmt: skip
    assert rejects["reason"].str.startswith("split_cut").any()  # the group was cut
    checked = gate_frame(records, roomy_step.decontamination_ngram, roomy_step.curation)
    assert not checked["shares_asset_across_splits"].any() and not checked["contaminated"].any()


def _gate_params(repo_params, tmp_path, **gates):
    step = repo_params.build_dataset.model_copy(update={
        "records": str(tmp_path / "records.parquet"), "rejects": str(tmp_path / "rejects.parquet"),
        "max_record_tokens": 100_000,
    })  # fmt: skip
    assets = repo_params.identify_assets.model_copy(
        update={"contents": str(tmp_path / "contents.parquet")}
    )
    gates = repo_params.gates.model_copy(update={
        "report_dir": str(tmp_path / "reports"), "suite_dir": str(REPO / "expectations"), **gates,
    })  # fmt: skip
    return repo_params.model_copy(
        update={"build_dataset": step, "identify_assets": assets, "gates": gates}
    )


def test_given_no_user_stories_when_gated_then_the_failure_names_the_tasks_counts_and_threshold(
    shop_built, shop_contents, repo_params, tmp_path
):
    records, rejects, _ = shop_built
    params = _gate_params(repo_params, tmp_path)
    write_parquet(params.build_dataset.records, records)
    write_parquet(params.build_dataset.rejects, rejects)
    write_parquet(params.identify_assets.contents, shop_contents)

    with pytest.raises(GateFailed) as failed:
        run_gate("dataset", params)

    message = str(failed.value)
    assert "expect_column_distinct_values_to_contain_set on column 'task'" in message
    for task in ("create_agile_user_story", "split_user_story_tasks"):
        (line,) = [line for line in message.splitlines() if f"task {task}:" in line]
        assert "0 train, 0 eval records: no records: no assets of kind user_story" in line
        assert line.endswith("gates.min_records_per_task = 3: add what feeds it, or drop it there")
    assert "task design_restful_api" not in message  # it has train and eval records


def test_given_a_task_with_train_but_no_eval_records_when_gated_then_the_gate_names_it(
    shop_built, shop_contents, repo_params, tmp_path
):
    records, rejects, _ = shop_built
    records = records.copy()
    records.loc[records["task"] == "write_test", "split"] = "train"
    params = _gate_params(repo_params, tmp_path)
    params = params.model_copy(update={"build_dataset": params.build_dataset.model_copy(
        update={"tasks": sorted(set(records["task"]))})})  # fmt: skip
    write_parquet(params.build_dataset.records, records)
    write_parquet(params.build_dataset.rejects, rejects)

    with pytest.raises(GateFailed) as failed:
        run_gate("dataset", params)

    (failure,) = [line for line in str(failed.value).splitlines() if "expect_column_min" in line]
    assert "task_eval_records" in failure
    n_train = int((records["task"] == "write_test").sum())
    assert f"task write_test: {n_train} train, 0 eval records: no eval records" in str(failed.value)


def test_given_step_1_but_no_feedback_or_base_model_when_built_then_it_names_the_commands(
    tmp_path, monkeypatch, shop_contents, capsys
):
    monkeypatch.chdir(tmp_path)
    params_path = write_params(tmp_path / "my-params.yaml", {})
    write_parquet("data/assets/contents.parquet", shop_contents)

    with pytest.raises(SystemExit) as stopped:
        main(["--params", str(params_path)])

    message = str(stopped.value)
    assert message.startswith("error: build_dataset needs inputs that do not exist yet:")
    assert (
        f"data/feedback/records.jsonl (ingested feedback): run "
        f"`python -m tasks.ingest_feedback --params {params_path}`"
    ) in message
    assert (
        "models/base_model.json (the base model descriptor): run `python -m tasks.base_model"
        in (message)
    )
    assert "contents.parquet" not in message  # step 1's output is there
    assert f"`python -m flows.dataset --params {params_path}`" in message
