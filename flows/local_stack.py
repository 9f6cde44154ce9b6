"""A local Prefect stack for this checkout: server (SQLite), work pools, workers, deployments.

    python -m flows.local_stack up      # server on 127.0.0.1, pools, workers, flows.deployments
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
import uuid
from pathlib import Path

import tasks  # noqa: F401 - sets the offline / no-telemetry environment first
from tasks.params import OrchestrationParams, load_params

REPO = Path(__file__).resolve().parent.parent


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


def _pools(orchestration: OrchestrationParams) -> tuple[str, str]:
    return orchestration.cpu_pool, orchestration.gpu_pool


def up(orchestration: OrchestrationParams) -> None:
    port = orchestration.api_port
    env = _env(port)
    _start("server", _prefect("server", "start", "--host", "127.0.0.1", "--port", str(port)), env)
    wait_healthy(port)
    # The pools and deployments flows/deployments.py declares, as against any other server.
    deploy = [sys.executable, "-m", "flows.deployments", "--params", str(REPO / "params.yaml")]
    subprocess.run(deploy, cwd=REPO, env=env, check=True)
    worker_env = env | {"PREFECT_WORKER_QUERY_SECONDS": str(orchestration.worker_poll_seconds)}
    for pool in _pools(orchestration):
        _start(f"worker-{pool}", _prefect("worker", "start", "--pool", pool), worker_env)
    print(f"Prefect UI: http://127.0.0.1:{port}  (PREFECT_API_URL={env['PREFECT_API_URL']})")


def down(orchestration: OrchestrationParams) -> None:
    for pool in _pools(orchestration):  # workers first: without a server they ignore SIGTERM
        _stop(f"worker-{pool}")
    _stop("server")
    print("Prefect stack stopped")


TERMINAL = {"COMPLETED", "FAILED", "CANCELLED", "CRASHED"}
# What Prefect's own client retries: the server answers 503 when SQLite is busy (database is
# locked under load), 429 and 502 from proxies in front of it.
RETRYABLE = {429, 502, 503}


def _call(api, method: str, url: str, attempts: int = 6, first_delay_s: float = 0.5, **kwargs):
    """One REST call, retried with exponential backoff (or the server's Retry-After) while the
    server says it is briefly unavailable or the connection drops; other errors raise at once."""
    import httpx

    for attempt in range(1, attempts + 1):
        delay = first_delay_s * 2 ** (attempt - 1)
        try:
            response = api.request(method, url, **kwargs)
        except httpx.TransportError:
            if attempt == attempts:
                raise
        else:
            if response.status_code not in RETRYABLE or attempt == attempts:
                return response.raise_for_status()
            with contextlib.suppress(KeyError, ValueError):
                delay = float(response.headers["Retry-After"])
        time.sleep(delay)
    raise ValueError(f"attempts must be at least 1, not {attempts}")


def run(orchestration: OrchestrationParams, poll_s: float = 0.5) -> None:
    """Trigger the flywheel deployment and wait for its end state, as the UI's Run button does.

    Through the server's REST API (the calls the UI makes), not Prefect's client: importing
    Prefect costs this command 3-8 s on a small machine, on every no-change trigger.
    """
    import httpx

    port = orchestration.api_port
    flow_name, deployment_name = orchestration.flywheel_deployment.split("/")
    deadline = time.monotonic() + orchestration.finetune_timeout_s * 2
    with httpx.Client(base_url=f"http://127.0.0.1:{port}/api", timeout=30) as api:
        deployment = _call(api, "GET", f"/deployments/name/{flow_name}/{deployment_name}")
        # A retried POST whose first try did reach the database makes no second run.
        trigger = {"idempotency_key": f"local-stack-run-{uuid.uuid4()}"}
        created = _call(api, "POST", f"/deployments/{deployment.json()['id']}/create_flow_run",
                        json=trigger)  # fmt: skip
        flow_run = created.json()
        while (flow_run["state"] or {}).get("type") not in TERMINAL:
            if time.monotonic() > deadline:
                sys.exit(f"flow run {flow_run['name']} still {flow_run['state_name']}: timed out")
            time.sleep(poll_s)
            flow_run = _call(api, "GET", f"/flow_runs/{flow_run['id']}").json()
    state = flow_run["state"]
    print(f"flow run {flow_run['name']} ({flow_run['id']}): {state['name']}")
    print(f"  http://127.0.0.1:{port}/runs/flow-run/{flow_run['id']}")
    if state["type"] != "COMPLETED":
        print(f"  {state.get('message') or 'no message'}", file=sys.stderr)
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
    if args.action == "up":
        up(orchestration)
    elif args.action == "down":
        down(orchestration)
    elif args.action == "run":
        run(orchestration)
    else:
        status(orchestration.api_port)


if __name__ == "__main__":
    main()
