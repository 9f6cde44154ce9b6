"""A local Prefect stack for this checkout: server (SQLite), work pools, workers, deployments.

    python -m flows.local_stack up      # server on 127.0.0.1, pools cpu + gpu, workers, deployments
    python -m flows.local_stack run     # trigger the flywheel deployment (as the UI button does)
    python -m flows.local_stack status
    python -m flows.local_stack down    # workers first, then the server

State (database, logs, pid files) lives in PREFECT_HOME (default: .prefect/ in the repo).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import tasks  # noqa: F401 - sets the offline / no-telemetry environment first
from tasks.params import load_params

REPO = Path(__file__).resolve().parent.parent
POOLS = ("cpu", "gpu")


def _home() -> Path:
    home = Path(os.environ.get("PREFECT_HOME", REPO / ".prefect"))
    home.mkdir(parents=True, exist_ok=True)
    return home


def _env(port: int) -> dict[str, str]:
    bin_dir = str(Path(sys.executable).parent)
    return os.environ | {
        "PREFECT_HOME": str(_home()),
        "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
        "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""),
    }


def _prefect(*args: str) -> list[str]:
    return [str(Path(sys.executable).with_name("prefect")), *args]


def _start(name: str, command: list[str], env: dict[str, str]) -> None:
    log = (_home() / f"{name}.log").open("ab")
    process = subprocess.Popen(
        command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    (_home() / f"{name}.pid").write_text(str(process.pid))


def _stop(name: str, timeout: float = 20) -> None:
    pid_file = _home() / f"{name}.pid"
    if not pid_file.exists():
        return
    pid = int(pid_file.read_text())
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            os.killpg(pid, 0)
            time.sleep(0.2)
        os.killpg(pid, signal.SIGKILL)
    pid_file.unlink()


def wait_healthy(port: int, timeout: float = 120) -> None:
    """Block until the server answers /api/health, or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        url = f"http://127.0.0.1:{port}/api/health"
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2) as response:
            if response.status == 200:
                return
        time.sleep(0.5)
    raise RuntimeError(f"Prefect server not healthy on port {port}; see {_home() / 'server.log'}")


def deploy(env: dict[str, str]) -> None:
    """Create the work pools and the flywheel (cpu) and fine-tune (gpu) deployments."""
    for pool in POOLS:
        subprocess.run(
            _prefect("work-pool", "create", pool, "--type", "process", "--overwrite"),
            env=env, check=True, capture_output=True,
        )  # fmt: skip
    script = (
        "from prefect import flow\n"
        f"repo = {str(REPO)!r}\n"
        "flow.from_source(source=repo, entrypoint='flows/finetune.py:finetune').deploy(\n"
        "    name='gpu', work_pool_name='gpu', parameters={'repo_dir': repo})\n"
        "flow.from_source(source=repo, entrypoint='flows/flywheel.py:flywheel').deploy(\n"
        "    name='flywheel', work_pool_name='cpu', parameters={'repo_dir': repo},\n"
        "    concurrency_limit=1)\n"
    )
    subprocess.run([sys.executable, "-c", script], cwd=REPO, env=env, check=True)


def up(port: int) -> None:
    env = _env(port)
    _start("server", _prefect("server", "start", "--host", "127.0.0.1", "--port", str(port)), env)
    wait_healthy(port)
    deploy(env)
    for pool in POOLS:
        _start(f"worker-{pool}", _prefect("worker", "start", "--pool", pool), env)
    print(f"Prefect UI: http://127.0.0.1:{port}  (PREFECT_API_URL={env['PREFECT_API_URL']})")
    print("deployments: flywheel/flywheel on pool cpu, finetune/gpu on pool gpu")


def down() -> None:
    for pool in POOLS:  # workers first: without a server they ignore SIGTERM
        _stop(f"worker-{pool}")
    _stop("server")
    print("Prefect stack stopped")


def run(port: int, timeout: int) -> None:
    os.environ.update(_env(port))
    from prefect.deployments import run_deployment

    flow_run = run_deployment("flywheel/flywheel", timeout=timeout)
    state = flow_run.state.name if flow_run.state else "unknown"
    print(f"flow run {flow_run.name} ({flow_run.id}): {state}")
    print(f"  http://127.0.0.1:{port}/runs/flow-run/{flow_run.id}")
    if not (flow_run.state and flow_run.state.is_completed()):
        sys.exit(1)


def status(port: int) -> None:
    env = _env(port)
    for args in (("work-pool", "ls"), ("deployment", "ls"), ("flow-run", "ls", "--limit", "10")):
        subprocess.run(_prefect(*args), env=env, check=False)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Local Prefect server, workers and deployments.")
    parser.add_argument("action", choices=["up", "down", "run", "status"])
    args = parser.parse_args(argv)
    orchestration = load_params(REPO / "params.yaml").orchestration
    port = orchestration.api_port
    if args.action == "up":
        up(port)
    elif args.action == "down":
        down()
    elif args.action == "run":
        run(port, orchestration.finetune_timeout_s * 2)
    else:
        status(port)


if __name__ == "__main__":
    main()
