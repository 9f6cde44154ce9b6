"""The artifacts' content, built from the stages' outputs: gates, metrics, promotion, bundle."""

from __future__ import annotations

from tasks.evaluate.report import metrics_table, promotion_markdown
from tasks.export.report import bundle_markdown
from tasks.gates import gate_table

METRICS = {
    "base": {
        "write_test": {"primary": 0.0, "primary_metric": "pass@1", "answer_loss": 2.1},
        "overall": {"primary": 0.0, "format_valid": 0.0, "answer_loss": 1.8},
    },
    "tuned": {
        "write_test": {"primary": 0.5, "primary_metric": "pass@1", "answer_loss": 1.7},
        "overall": {"primary": 0.25, "format_valid": 0.2, "answer_loss": 1.4},
    },
    "promoted": {
        "write_test": {"primary": 0.25, "primary_metric": "pass@1", "answer_loss": 1.9},
        "overall": {"primary": 0.1, "format_valid": 0.1, "answer_loss": 1.6},
    },
    "regurgitation": {"base": 0.0, "tuned": 0.1},
}


def test_given_three_models_then_each_task_has_their_primary_metric_and_loss_side_by_side():
    rows = metrics_table(METRICS)

    assert rows[0] == {
        "task": "write_test", "metric": "pass@1",
        "base": 0.0, "base answer loss": 2.1,
        "tuned": 0.5, "tuned answer loss": 1.7,
        "promoted": 0.25, "promoted answer loss": 1.9,
    }  # fmt: skip
    assert rows[1]["task"] == "overall" and rows[1]["tuned"] == 0.25


def test_given_no_promoted_model_yet_then_the_table_has_base_and_tuned_only():
    rows = metrics_table({k: v for k, v in METRICS.items() if k != "promoted"})
    assert "promoted" not in rows[0] and rows[0]["tuned"] == 0.5


def test_given_a_failed_gate_then_each_failed_expectation_is_a_row():
    result = {
        "failures": [
            {"expectation": "expect_column_values_to_not_be_null", "column": "output",
             "unexpected_count": 3, "observed": {"unexpected_percent": 1.5}},
            {"expectation": "expect_column_min_to_be_between", "column": "task_eval_records",
             "unexpected_count": None, "observed": 0,
             "details": ["task write_test: 6 train, 0 eval records: no eval records"]},
        ]
    }  # fmt: skip
    assert gate_table(result) == [
        {"expectation": "expect_column_values_to_not_be_null", "column": "output",
         "offending rows": 3, "observed": "{'unexpected_percent': 1.5}", "what is wrong": ""},
        {"expectation": "expect_column_min_to_be_between", "column": "task_eval_records",
         "offending rows": None, "observed": "0",
         "what is wrong": "task write_test: 6 train, 0 eval records: no eval records"},
    ]  # fmt: skip
    assert gate_table({"failures": []})[0]["observed"] == "met"


def test_given_a_refused_promotion_then_the_markdown_lists_every_reason():
    decision = {
        "promoted": False,
        "reasons": ["write_test: tuned pass@1 0.00 does not beat base 0.00", "regurgitation ok"],
        "eval_set": "evalsets/frozen-v1.jsonl",
    }
    markdown = promotion_markdown(decision)
    assert markdown.startswith("# Promotion: NOT promoted")
    assert "- write_test: tuned pass@1 0.00 does not beat base 0.00\n" in markdown
    assert "`evalsets/frozen-v1.jsonl`" in markdown


def test_given_an_s3_registry_then_the_bundle_artifact_names_the_s3_version_too(repo_params):
    export = repo_params.export
    s3 = export.s3.model_copy(update={"bucket": "acme-models", "prefix": "flywheel/registry/"})
    params = repo_params.model_copy(update={"export": export.model_copy(update={"s3": s3})})
    manifest = {"version": "tiny-lora-abc123", "promoted": True, "files": {"a": "1", "b": "2"}}

    markdown = bundle_markdown(params, manifest)

    assert "s3://acme-models/flywheel/registry/versions/tiny-lora-abc123/" in markdown
    assert "/registry/versions/tiny-lora-abc123`" in markdown
    assert "Promoted: yes" in markdown and "2 files" in markdown
