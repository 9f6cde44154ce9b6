"""The flywheel flow under a Prefect test server: one task per stage, then all skipped."""

import pytest
from prefect.testing.utilities import prefect_test_harness

from flows.flywheel import flywheel
from flows.stages import pipeline_plan

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", autouse=True)
def prefect_server():
    with prefect_test_harness(server_startup_timeout=90):
        yield


def test_flywheel_runs_each_stage_as_a_task_and_skips_them_when_nothing_changed(repo_copy):
    from prefect.client.orchestration import get_client

    first = flywheel(str(repo_copy))
    assert first["gate_assets"] == first["gate_feedback"] == first["gate_dataset"] == "passed"
    assert first["finetune"] == "ran"  # no gpu deployment on the test server: in-process subflow
    assert {first[s] for s in ("build_dataset", "evaluate", "export")} == {"ran"}

    second = flywheel(str(repo_copy))
    assert set(second.values()) == {"skipped"}
    assert set(second) == set(first)

    with get_client(sync_client=True) as client:
        task_runs = client.read_task_runs()
        names = {run.name for run in task_runs}
        artifacts = {a.key for a in client.read_artifacts()}
    assert {"gate_assets", "build_dataset", "finetune", "export"} <= names
    assert {"flywheel-summary", "training-summary", "gate-dataset"} <= artifacts

    # The run graph is the DVC DAG: each stage task waits for the tasks of the stages it reads.
    upstream = pipeline_plan(repo_copy).upstream
    for flow_run_id in {run.flow_run_id for run in task_runs if run.name == "export"}:
        runs = [run for run in task_runs if run.flow_run_id == flow_run_id and run.name in first]
        by_id = {run.id: run.name for run in runs}
        for run in runs:
            waited = {by_id[parent.id] for parent in run.task_inputs.get("wait_for", [])}
            assert waited == set(upstream[run.name]), run.name
    assert upstream["finetune"] and upstream["export"]
    # A stage DVC skipped says so in the UI: Completed, named Cached.
    states = {(run.name, run.state.name) for run in task_runs}
    assert ("export", "Cached") in states and ("export", "Completed") in states
