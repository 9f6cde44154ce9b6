"""Wall time of a no-change flywheel run through Prefect against bare `dvc repro`.

    python benchmarks/orchestration.py [--repeats N]

Runs on a copy of this checkout's pipeline on the tiny model, brought up to date by a first
(untimed) run, so every timed run has nothing to do. Brings up the local stack of `make prefect-up`
on a free port with its own PREFECT_HOME, then alternates the two commands, each timed from
start to exit as a user would see it:

  prefect: `python -m flows.local_stack run` (what `make prefect-run` and the UI button do:
           trigger the flywheel deployment, a worker starts the flow run, wait for it)
  dvc:     `dvc repro`

and prints medians, the overhead per stage ((prefect - dvc) / stages, target <= 1 s) and where
the Prefect run's time went (worker start-up, the flow body, the stage tasks).
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from flows.stages import pipeline_stages  # noqa: E402
from tests.support import copy_repo  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def timed(cmd: list[str], repo: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=repo, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode:
        sys.exit(f"{' '.join(cmd)} failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    return elapsed


def prefect_breakdown(api_url: str) -> dict[str, float]:
    """Phases of the latest flywheel run: queued -> running -> first stage -> completed."""
    os.environ["PREFECT_API_URL"] = api_url
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName

    with get_client(sync_client=True) as client:
        flows = FlowFilter(name=FlowFilterName(any_=["flywheel"]))
        finished = [r for r in client.read_flow_runs(flow_filter=flows) if r.end_time]
        run = max(finished, key=lambda r: r.end_time)  # not the nightly schedule's future runs
        tasks = [t for t in client.read_task_runs() if t.flow_run_id == run.id]
    first = min(t.start_time for t in tasks)
    last = max(t.end_time for t in tasks)
    return {
        "trigger to running (worker picks it up, starts a process, loads the flow)": (
            run.start_time - run.created
        ).total_seconds(),
        "running to first stage task (one dvc status of the pipeline)": (
            first - run.start_time
        ).total_seconds(),
        f"all {len(tasks)} stage tasks": (last - first).total_seconds(),
        "after the last stage (artifacts, summary)": (run.end_time - last).total_seconds(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-orchestration-"))
    env = os.environ | {"PREFECT_HOME": str(work / "prefect-home")}
    env.pop("PREFECT_API_URL", None)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    repo = copy_repo(work / "repo", work / "model-cache")
    stages = len(pipeline_stages(repo))
    port = free_port()
    params = yaml.safe_load((repo / "params.yaml").read_text())
    params["orchestration"]["api_port"] = port
    (repo / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    prefect_cmd = [sys.executable, "-m", "flows.local_stack", "run"]
    dvc_cmd = [str(Path(sys.executable).with_name("dvc")), "repro"]
    stack = [sys.executable, "-m", "flows.local_stack"]
    try:
        subprocess.run([*stack, "up"], cwd=repo, env=env, check=True, capture_output=True)
        print("first run (brings the pipeline up to date, not timed) ...", flush=True)
        timed(prefect_cmd, repo, env)
        times: dict[str, list[float]] = {"prefect": [], "dvc": []}
        for i in range(args.repeats):  # interleaved, alternating which goes first
            order = ("prefect", "dvc") if i % 2 == 0 else ("dvc", "prefect")
            for name in order:
                times[name].append(timed(prefect_cmd if name == "prefect" else dvc_cmd, repo, env))
            print(f"  repeat {i + 1}: prefect {times['prefect'][-1]:.1f} s, "
                  f"dvc {times['dvc'][-1]:.1f} s", flush=True)  # fmt: skip
        breakdown = prefect_breakdown(f"http://127.0.0.1:{port}/api")
    finally:
        subprocess.run([*stack, "down"], cwd=repo, env=env, check=False, capture_output=True)
        shutil.rmtree(work, ignore_errors=True)
    prefect, dvc = (statistics.median(times[name]) for name in ("prefect", "dvc"))
    overhead = (prefect - dvc) / stages
    print(f"\nno-change run, median of {args.repeats} (stages: {stages})")
    print(f"  prefect (trigger deployment, wait): {prefect:6.1f} s")
    print(f"  dvc repro:                          {dvc:6.1f} s")
    print(f"  ratio prefect / dvc:                {prefect / dvc:6.1f} x")
    verdict = "within" if overhead <= 1 else "over"
    print(f"  overhead per stage:                 {overhead:6.2f} s ({verdict} the 1 s target)")
    print("last Prefect run, by phase:")
    for phase, seconds in breakdown.items():
        print(f"  {seconds:6.1f} s  {phase}")


if __name__ == "__main__":
    main()
