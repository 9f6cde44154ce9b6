"""Run DVC stages from Python: the DAG order, whether a stage is current, and `dvc repro`.

The flows never call step code directly: each stage goes through `dvc repro --single-item`,
so whatever Prefect runs is versioned and cached exactly as a hand-run `dvc repro` would be.
"""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import sys
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from tasks.params import Params

if TYPE_CHECKING:
    from dvc.repo.index import Index


class StageFailed(RuntimeError):
    """`dvc repro` of a stage exited non-zero; the message carries the end of its output."""


def _dag_order(index: Index) -> list[str]:
    import networkx as nx

    graph = index.graph  # edges point from a stage to the stages it depends on
    order = nx.lexicographical_topological_sort(graph.reverse(), key=lambda s: s.addressing)
    return [stage.addressing for stage in order]


def pipeline_stages(repo_dir: str | Path) -> list[str]:
    """Every stage of dvc.yaml in an order where dependencies come first (stable by name)."""
    from dvc.repo import Repo

    # Stage addresses are relative to the working directory: read them from the repo root.
    with contextlib.chdir(repo_dir), Repo(".") as repo:
        return _dag_order(repo.index)


def stages_up_to(repo_dir: str | Path, target: str) -> list[str]:
    """The stages `target` depends on, and itself, in the DAG order of `pipeline_stages`."""
    import networkx as nx
    from dvc.repo import Repo

    with contextlib.chdir(repo_dir), Repo(".") as repo:
        index = repo.index
        by_name = {stage.addressing: stage for stage in index.stages}
        # edges point from a stage to the stages it depends on
        needed = {by_name[target], *nx.descendants(index.graph, by_name[target])}
        return [name for name in _dag_order(index) if by_name[name] in needed]


def stage_is_current(repo_dir: str | Path, stage: str) -> bool:
    """True when DVC sees no change in the stage's deps, params, outs or command."""
    from dvc.repo import Repo

    with contextlib.chdir(repo_dir), Repo(".") as repo:
        return not repo.status(targets=[stage])


class Plan(NamedTuple):
    """The pipeline as one `dvc status` sees it, every stage in DAG order."""

    current: dict[str, bool]  # True: DVC sees no change in the stage
    upstream: dict[str, list[str]]  # the stages whose outputs it reads (dvc.yaml's edges)


def pipeline_plan(repo_dir: str | Path) -> Plan:
    """Which stages are current and what each depends on: the flows pass the upstream stages
    to Prefect as `wait_for`, so the run graph is the DVC DAG rather than a row of lanes."""
    from dvc.repo import Repo, lock_repo

    # One Repo, one index and one lock for the whole pipeline: opening a Repo per stage cost
    # 0.3-1 s each, and `repo.status()` would build the index a second time.
    with contextlib.chdir(repo_dir), Repo(".") as repo, lock_repo(repo):
        index = repo.index
        changed = {address for stage in index.stages for address in stage.status()}
        order = _dag_order(index)
        graph = index.graph  # edges point from a stage to the stages it depends on
        by_name = {stage.addressing: stage for stage in index.stages}
        upstream = {
            name: sorted(dep.addressing for dep in graph.successors(by_name[name]))
            for name in order
        }
        return Plan({name: name not in changed for name in order}, upstream)


def pipeline_status(repo_dir: str | Path) -> dict[str, bool]:
    """Every stage in DAG order, mapped to True when DVC sees no change in it (one `dvc status`)."""
    return pipeline_plan(repo_dir).current


def network_stages(params: Params) -> set[str]:
    """Stages that read or write S3 according to params, plus `orchestration.retry_stages`."""
    stages = set(params.orchestration.retry_stages)
    sources = params.identify_assets.sources
    stages |= {f"scan_source@{name}" for name, source in sources.items() if source.type == "s3"}
    if any(source.type == "s3" for source in params.ingest_feedback.sources.values()):
        stages.add("ingest_feedback")
    if params.export.s3.bucket:
        stages.add("export")
    return stages


def command_env() -> dict[str, str]:
    """The environment every stage command and dvc call runs in: this interpreter's bin first on
    PATH (workers may not have the venv on PATH; stages run `python`), output unbuffered."""
    env = os.environ | {"PYTHONUNBUFFERED": "1"}
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


def dvc_command(*args: str) -> tuple[list[str], dict[str, str]]:
    """The argv and environment of a dvc command, for every flow: the dvc next to this
    interpreter (else `python -m dvc`), in `command_env()`."""
    exe = Path(sys.executable).with_name("dvc")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "dvc"]
    return [*command, *args], command_env()


def run_logged(
    argv: list[str], repo_dir: str | Path, env: dict[str, str], logger: logging.Logger
) -> tuple[int, list[str]]:
    """The one way the flows run a command: in `repo_dir`, stdout and stderr streamed line by
    line to `logger` (DVC's per-stage git hint left out); the exit code and the last 40 lines
    logged (a training log is long, and a failure needs only its end: `last_error`)."""
    process = subprocess.Popen(
        argv, cwd=repo_dir, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    lines: deque[str] = deque(maxlen=40)
    assert process.stdout is not None
    for line in process.stdout:
        line = line.rstrip()
        if line and not _git_hint(line):
            logger.info(line)
            lines.append(line)
    return process.wait(), list(lines)


def reproduce(
    repo_dir: str | Path, stage: str, logger: logging.Logger | None = None, force: bool = False
) -> None:
    """`dvc repro --single-item [--force] <stage>`, its output streamed line by line to `logger`."""
    argv, env = dvc_command("repro", "--single-item", *(["--force"] if force else []), stage)
    code, lines = run_logged(argv, repo_dir, env, logger or logging.getLogger(__name__))
    if code != 0:
        raise StageFailed(f"stage {stage} failed: {last_error(lines)}")


# DVC's advice after every stage that changed something ("To track the changes with git, run:
# git add ...", autostage, `dvc push`): five lines per stage, eleven times a run. The flows say it
# once, at the end (TRACK_HINT).
_HINT_LINES = (
    "To track the changes with git, run:",
    "To enable auto staging, run:",
    "dvc config core.autostage true",
    "Use `dvc push` to send your updates to remote storage.",
)
TRACK_HINT = (
    "DVC updated dvc.lock and the outputs: `git status` lists what changed; `git add dvc.lock` "
    "(and the .gitignore files it lists) records this run in git, `dvc push` sends its data to "
    "the remote"
)


def last_error(tail: list[str]) -> str:
    """What failed, in one line: DVC's own error when DVC failed (a missing dep, a bad
    dvc.yaml), else the command's last line before DVC's "failed to run" (its message, or the
    exception line of a traceback). The whole output was logged line by line already, so the
    failure repeats only this, never the traceback."""
    errors = [i for i, line in enumerate(tail) if line.startswith("ERROR:")]
    if errors and "failed to run:" not in tail[errors[-1]]:
        return tail[errors[-1]].removeprefix("ERROR:").strip()
    own = tail[: errors[0]] if errors else tail
    return own[-1].strip() if own else "no output"


def _git_hint(line: str) -> bool:
    text = line.strip()
    return text in _HINT_LINES or text.startswith("git add ")
