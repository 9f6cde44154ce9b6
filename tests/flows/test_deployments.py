"""The deployments declared from params: flows, pools, schedules and concurrency."""

from __future__ import annotations

import pytest

from flows.deployments import NIGHTLY_EXPERIMENT, deployment_specs
from tasks.params import OrchestrationParams


def test_given_the_shipped_params_then_three_deployments_run_on_the_two_pools(repo_params):
    specs = {f"{s.flow}/{s.name}": s for s in deployment_specs(repo_params.orchestration)}

    assert set(specs) == {"flywheel/flywheel", "feedback/feedback", "finetune/gpu"}
    nightly = specs["flywheel/flywheel"]
    assert (nightly.work_pool, nightly.cron, nightly.concurrency_limit) == ("cpu", "0 2 * * *", 1)
    assert nightly.schedule_parameters == {"experiment": NIGHTLY_EXPERIMENT}
    assert nightly.entrypoint == "flows/flywheel.py:flywheel"
    assert (specs["feedback/feedback"].work_pool, specs["feedback/feedback"].cron) == (
        "cpu",
        "0 * * * *",
    )
    assert specs["finetune/gpu"].work_pool == "gpu" and specs["finetune/gpu"].cron is None


def test_given_a_deployment_name_without_its_flow_then_the_error_says_so(repo_params):
    orchestration = repo_params.orchestration.model_copy(update={"feedback_deployment": "hourly"})
    with pytest.raises(ValueError, match="'hourly' is not <flow>/<deployment>"):
        deployment_specs(orchestration)


def test_given_an_unknown_time_zone_then_params_validation_names_it(repo_params):
    raw = repo_params.orchestration.model_dump() | {"timezone": "Mars/Olympus_Mons"}
    with pytest.raises(ValueError, match="unknown IANA time zone 'Mars/Olympus_Mons'"):
        OrchestrationParams.model_validate(raw)
