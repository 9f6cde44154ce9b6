"""The documented local stack: a real Prefect server, process workers and deployments.

One stack per module (a server start costs ~20 s here); the tests run in file order on one repo
copy: the first trigger runs every stage, the next ones find nothing changed.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from flows.stages import pipeline_stages
from tests.support import copy_repo, run

pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
WINDOW = (1400, 900)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def set_params(repo: Path, section: str, **values) -> None:
    params = yaml.safe_load((repo / "params.yaml").read_text())
    params[section].update(values)
    (repo / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))


@dataclass
class Stack:
    repo: Path
    port: int
    env: dict[str, str]

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def trigger(self) -> tuple[subprocess.CompletedProcess, float]:
        """`make prefect-run`: trigger the flywheel deployment and wait; with its wall time."""
        start = time.perf_counter()
        cmd = [sys.executable, "-m", "flows.local_stack", "run"]
        result = run(cmd, self.repo, env=self.env)
        return result, time.perf_counter() - start


@pytest.fixture(scope="module")
def stack(tmp_path_factory, model_cache) -> Iterator[Stack]:
    root = tmp_path_factory.mktemp("stack")
    repo = copy_repo(root / "repo", model_cache)
    port = free_port()
    set_params(repo, "orchestration", api_port=port)
    env = os.environ | {"PREFECT_HOME": str(root / "prefect-home")}
    env.pop("PREFECT_API_URL", None)
    try:  # down also after a failed up: a server left running would outlive the test
        run([sys.executable, "-m", "flows.local_stack", "up"], repo, env=env)
        yield Stack(repo, port, env)
    finally:
        run([sys.executable, "-m", "flows.local_stack", "down"], repo, check=False, env=env)


@pytest.fixture
def client(stack):
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with (
        temporary_settings(updates={PREFECT_API_URL: stack.api_url}),
        get_client(sync_client=True) as client,
    ):
        yield client


def flow_runs(client, flow_name: str) -> list:
    """Runs of one flow that have started, oldest first (not the schedules' future runs)."""
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName

    flows = FlowFilter(name=FlowFilterName(any_=[flow_name]))
    started = [r for r in client.read_flow_runs(flow_filter=flows) if r.start_time]
    return sorted(started, key=lambda r: r.start_time)


def run_logs(client, flow_run_id, settle_s: float = 3.0, timeout_s: float = 60) -> str:
    """Every log line of a finished flow run. The run's process ships its logs in batches
    (every 2 s by default) and may still be sending the last ones when the run reads as
    completed: wait until no new line has arrived for `settle_s`."""
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    of_run = LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run_id]))
    deadline = time.monotonic() + timeout_s
    logs, settled_since = client.read_logs(of_run), time.monotonic()
    while time.monotonic() - settled_since < settle_s and time.monotonic() < deadline:
        time.sleep(0.5)
        if len(latest := client.read_logs(of_run)) != len(logs):
            logs, settled_since = latest, time.monotonic()
    return "\n".join(log.message for log in logs)


def test_given_the_stack_when_the_flywheel_is_triggered_then_finetune_runs_on_the_gpu_pool(
    stack, client
):
    triggered, _ = stack.trigger()
    assert "COMPLETED" in triggered.stdout.upper()

    flywheel = flow_runs(client, "flywheel")[-1]
    finetune = flow_runs(client, "finetune")[-1]
    assert flywheel.work_pool_name == "cpu"
    assert finetune.work_pool_name == "gpu" and finetune.state.is_completed()
    task_names = {t.name for t in client.read_task_runs()}
    assert {"scan_source@samples", "gate_assets", "build_dataset", "finetune", "export"} <= (
        task_names
    )
    assert (stack.repo / "bundles" / "latest" / "manifest.json").exists()
    artifacts = {a.key: a for a in client.read_artifacts() if a.flow_run_id == flywheel.id}
    expected = {"gate-assets", "gate-feedback", "gate-dataset", "dataset-card"}
    expected |= {"training-summary", "evaluation-metrics", "promotion-decision", "bundle"}
    assert expected <= set(artifacts)
    docs = "reports/gates/dataset/data_docs/index.html"  # relative: the checkout, any machine
    assert f"`{docs}`" in artifacts["gate-dataset"].description
    assert (stack.repo / docs).is_file()
    assert "Promotion:" in artifacts["promotion-decision"].data
    metrics = json.loads(artifacts["evaluation-metrics"].data)
    assert {"task", "base", "tuned"} <= set(metrics[0])


def test_given_the_deployments_then_schedules_pools_and_limits_come_from_params(stack, client):
    deployment = client.read_deployment_by_name("flywheel/flywheel")
    assert deployment.work_pool_name == "cpu"
    assert deployment.global_concurrency_limit.limit == 1
    (schedule,) = deployment.schedules
    assert (schedule.schedule.cron, schedule.schedule.timezone) == ("0 2 * * *", "Europe/Berlin")
    assert schedule.parameters == {"experiment": "nightly"}
    feedback = client.read_deployment_by_name("feedback/feedback")
    assert feedback.schedules[0].schedule.cron == "0 * * * *"
    assert client.read_deployment_by_name("finetune/gpu").work_pool_name == "gpu"
    assert client.read_work_pool("cpu").concurrency_limit == 1


def test_given_nothing_changed_when_triggered_again_then_every_stage_is_skipped_in_seconds(
    stack, client
):
    triggered, seconds = stack.trigger()
    assert "COMPLETED" in triggered.stdout.upper()

    latest = flow_runs(client, "flywheel")[-1]
    logs = run_logs(client, latest.id)
    for stage in pipeline_stages(stack.repo):
        assert f"{stage} is up to date, skipped" in logs
    assert len(flow_runs(client, "finetune")) == 1  # nothing was sent to the gpu pool
    assert latest.total_run_time.total_seconds() < 30, latest.total_run_time
    assert seconds < 90, f"trigger to completion took {seconds:.0f} s"


def test_given_two_triggers_then_the_second_waits_for_the_first(stack, client):
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: stack.api_url}):
        ids = [run_deployment("flywheel/flywheel", timeout=0).id for _ in range(2)]
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        runs = [client.read_flow_run(i) for i in ids]
        if all(r.state.is_final() for r in runs):
            break
        time.sleep(2)
    first, second = sorted(runs, key=lambda r: r.start_time)
    assert first.state.is_completed() and second.state.is_completed()
    assert second.start_time >= first.end_time  # never overlapped


def chromium(*args: str, profile: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    """Debian's chromium, headless, with no background networking and a throw-away profile."""
    cmd = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--disable-dev-shm-usage", f"--user-data-dir={profile}",
        f"--window-size={WINDOW[0]},{WINDOW[1]}", "--virtual-time-budget=20000", *args,
    ]  # fmt: skip
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=True)


@pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason=f"{CHROMIUM} is missing: `make test` installs Debian's chromium with apt-get",
)
def test_given_a_finished_run_when_its_page_opens_in_chromium_then_it_shows_the_run(
    stack, client, tmp_path
):
    from PIL import Image, ImageStat

    latest = flow_runs(client, "flywheel")[-1]
    url = f"http://127.0.0.1:{stack.port}/runs/flow-run/{latest.id}"
    screenshot = tmp_path / "flow-run.png"

    chromium(f"--screenshot={screenshot}", url, profile=tmp_path / "profile-shot")
    dom = chromium("--dump-dom", url, profile=tmp_path / "profile-dom").stdout

    with Image.open(screenshot) as image:
        assert image.format == "PNG" and image.size == WINDOW
        colours = image.convert("RGB").getcolors(maxcolors=1 << 20)
        assert len(colours) > 50, "the page is blank"
        assert max(ImageStat.Stat(image.convert("L")).stddev) > 10
    assert latest.name in dom
    assert "Completed" in dom
    if destination := os.environ.get("LLMOPS_SCREENSHOT_TO"):  # refresh docs/ on purpose only
        shutil.copy(screenshot, destination)


def test_given_a_new_feedback_event_when_the_feedback_deployment_runs_then_it_is_ingested(
    stack, client
):
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, temporary_settings

    inbox = stack.repo / "samples" / "feedback" / "inbox"
    event = json.loads((inbox / "2026-11-01.jsonl").read_text().splitlines()[0])
    event["event_id"] = str(uuid.uuid4())
    (inbox / "2026-11-03.jsonl").write_text(json.dumps(event) + "\n")

    with temporary_settings(updates={PREFECT_API_URL: stack.api_url}):
        flow_run = run_deployment("feedback/feedback", timeout=240)
    assert flow_run.state.is_completed(), flow_run.state.message
    assert flow_run.work_pool_name == "cpu"
    logs = run_logs(client, flow_run.id)
    assert "ingest_feedback is up to date" not in logs
    assert "gate_feedback is up to date" not in logs
    task_names = {t.name for t in client.read_task_runs() if t.flow_run_id == flow_run.id}
    assert task_names == {"ingest_feedback", "gate_feedback"}


def test_given_a_failing_stage_then_the_run_fails_with_the_stage_and_dvc_output_after_retries(
    stack, client, tmp_path, model_cache
):
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from flows.flywheel import flywheel

    repo = copy_repo(tmp_path / "broken", model_cache)
    dag = yaml.safe_load((repo / "dvc.yaml").read_text())
    failing = "import sys; print('quota exceeded on the model volume'); sys.exit(3)"
    dag["stages"]["base_model"]["cmd"] = f'python -c "{failing}"'
    (repo / "dvc.yaml").write_text(yaml.safe_dump(dag, sort_keys=False))
    retry = {"retry_stages": ["base_model"], "retries": 1, "retry_delay_seconds": 0.2}
    set_params(repo, "orchestration", **retry)

    with temporary_settings(updates={PREFECT_API_URL: stack.api_url}):
        state = flywheel(str(repo), return_state=True)

    flow_run = client.read_flow_run(state.state_details.flow_run_id)
    assert flow_run.state.is_failed()
    assert "base_model" in flow_run.state.message
    assert "quota exceeded on the model volume" in flow_run.state.message
    (task_run,) = [t for t in client.read_task_runs() if t.flow_run_id == flow_run.id]
    assert task_run.name == "base_model" and task_run.state.is_failed()
    assert task_run.run_count == 2  # one retry, then the failure
    logs = run_logs(client, flow_run.id)
    assert "Traceback" not in logs  # the stage's error and the states' messages, no stack
