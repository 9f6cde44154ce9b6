"""Which stages DVC finds current (one status for all) and which touch S3 (from params)."""

from __future__ import annotations

import pytest

from flows.stages import network_stages, pipeline_stages, pipeline_status, reproduce
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

    reproduce(repo_copy, "base_model")

    after = pipeline_status(repo_copy)
    assert [stage for stage, current in after.items() if current] == ["base_model"]
