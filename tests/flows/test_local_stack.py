"""The documented local stack: a real Prefect server, process workers and deployments."""

import os
import socket
import sys

import pytest
import yaml

from tests.support import run

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def stack_env(repo_copy, tmp_path):
    port = free_port()
    params = yaml.safe_load((repo_copy / "params.yaml").read_text())
    params["orchestration"]["api_port"] = port
    (repo_copy / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    home = str(tmp_path / "prefect-home")
    env = os.environ | {"PREFECT_HOME": home, "PREFECT_WORKER_QUERY_SECONDS": "2"}
    env.pop("PREFECT_API_URL", None)
    yield env, port
    run([sys.executable, "-m", "flows.local_stack", "down"], repo_copy, check=False, env=env)


def test_flywheel_runs_on_workers_and_the_finetune_on_the_gpu_pool(repo_copy, stack_env):
    env, port = stack_env
    run([sys.executable, "-m", "flows.local_stack", "up"], repo_copy, env=env)
    triggered = run([sys.executable, "-m", "flows.local_stack", "run"], repo_copy, env=env)
    assert "COMPLETED" in triggered.stdout.upper()

    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with (
        temporary_settings(updates={PREFECT_API_URL: f"http://127.0.0.1:{port}/api"}),
        get_client(sync_client=True) as client,
    ):
        runs = {r.flow_id: r for r in client.read_flow_runs()}
        flows = {client.read_flow(flow_id).name: run_ for flow_id, run_ in runs.items()}
        task_names = {t.name for t in client.read_task_runs()}
    assert flows["flywheel"].work_pool_name == "cpu"
    assert flows["finetune"].work_pool_name == "gpu"
    assert flows["finetune"].state.is_completed()
    expected_tasks = {"scan_source@samples", "gate_assets", "build_dataset", "finetune", "export"}
    assert expected_tasks <= task_names
    assert (repo_copy / "bundles" / "latest" / "manifest.json").exists()
