"""Which stages DVC finds current (one status for all) and which touch S3 (from params)."""

from __future__ import annotations

import logging

import pytest

from flows.stages import (
    last_error,
    network_stages,
    pipeline_plan,
    pipeline_stages,
    pipeline_status,
    reproduce,
)
from tasks.params import FeedbackS3Source, S3Source


def test_given_the_shipped_params_then_no_stage_touches_s3(repo_params):
    assert network_stages(repo_params) == set()


def test_given_s3_sources_and_an_s3_registry_then_those_stages_and_the_extra_ones_are_retried(
    repo_params,
):
    assets = repo_params.identify_assets
    lake = S3Source(type="s3", path="remote://assets/api", bucket="acme-assets", prefix="api/")
    feedback = repo_params.ingest_feedback
    events = FeedbackS3Source(type="s3", bucket="acme-feedback")
    export = repo_params.export
    params = repo_params.model_copy(
        update={
            "identify_assets": assets.model_copy(
                update={"sources": {**assets.sources, "lake": lake}}
            ),
            "ingest_feedback": feedback.model_copy(update={"sources": {"events": events}}),
            "export": export.model_copy(
                update={"s3": export.s3.model_copy(update={"bucket": "acme-models"})}
            ),
            "orchestration": repo_params.orchestration.model_copy(
                update={"retry_stages": ["base_model"]}
            ),
        }
    )
    assert network_stages(params) == {
        "scan_source@lake", "ingest_feedback", "export", "base_model",
    }  # fmt: skip


@pytest.mark.slow
def test_given_a_fresh_copy_when_one_stage_ran_then_only_it_is_current(repo_copy):
    before = pipeline_status(repo_copy)
    assert list(before) == pipeline_stages(repo_copy)
    assert not any(before.values())

    lines: list[str] = []
    logger = logging.getLogger("test-stages")
    logger.addHandler(handler := logging.Handler())
    handler.emit = lambda record: lines.append(record.getMessage())
    logger.setLevel(logging.INFO)
    reproduce(repo_copy, "base_model", logger)

    after = pipeline_status(repo_copy)
    assert [stage for stage, current in after.items() if current] == ["base_model"]
    assert any("Running stage 'base_model'" in line for line in lines)
    # DVC's git / autostage / push advice is said once by the flow, not after every stage
    assert not [line for line in lines if "git add" in line or "dvc push" in line], lines
    upstream = pipeline_plan(repo_copy).upstream
    assert upstream["base_model"] == [] and "base_model" in upstream["finetune"]
    assert "gate_dataset" in upstream["finetune"]


def test_given_a_failed_stage_then_its_error_is_one_line_never_the_traceback_again():
    crashed = [
        "Running stage 'base_model':",
        "> python -m tasks.base_model",
        "Traceback (most recent",
        '  File "x.py", line 1',
        "ValueError: bad source",
        "ERROR: failed to reproduce 'base_model': failed to run: python -m tasks.base_model",
    ]
    assert last_error(crashed) == "ValueError: bad source"
    dvc = ["ERROR: failed to reproduce 'finetune': missing data 'source': models/base_model.json"]
    assert (
        last_error(dvc)
        == "failed to reproduce 'finetune': missing data 'source': models/base_model.json"
    )
