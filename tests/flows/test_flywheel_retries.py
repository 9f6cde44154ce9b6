"""Stages that touch S3 get retries with exponential backoff; local stages do not."""

from __future__ import annotations

from flows.flywheel import dvc_stage, with_retries


def test_given_an_s3_export_then_its_task_retries_with_doubling_delays(repo_params):
    export = repo_params.export
    params = repo_params.model_copy(
        update={
            "export": export.model_copy(
                update={"s3": export.s3.model_copy(update={"bucket": "acme-models"})}
            ),
            "orchestration": repo_params.orchestration.model_copy(
                update={"retries": 3, "retry_delay_seconds": 10}
            ),
        }
    )

    retried = with_retries(dvc_stage, "export", params)

    assert retried.retries == 3
    assert retried.retry_delay_seconds == [10, 20, 40]
    assert with_retries(dvc_stage, "build_dataset", params) is dvc_stage
