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
from pathlib import Path
from typing import TYPE_CHECKING

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


def stage_is_current(repo_dir: str | Path, stage: str) -> bool:
    """True when DVC sees no change in the stage's deps, params, outs or command."""
    from dvc.repo import Repo

    with contextlib.chdir(repo_dir), Repo(".") as repo:
        return not repo.status(targets=[stage])


def pipeline_status(repo_dir: str | Path) -> dict[str, bool]:
    """Every stage in DAG order, mapped to True when DVC sees no change in it (one `dvc status`)."""
    from dvc.repo import Repo, lock_repo

    # One Repo, one index and one lock for the whole pipeline: opening a Repo per stage cost
    # 0.3-1 s each, and `repo.status()` would build the index a second time.
    with contextlib.chdir(repo_dir), Repo(".") as repo, lock_repo(repo):
        index = repo.index
        changed = {address for stage in index.stages for address in stage.status()}
        return {stage: stage not in changed for stage in _dag_order(index)}


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


def _dvc() -> list[str]:
    # The dvc next to this interpreter: workers may not have the venv's bin on PATH.
    exe = Path(sys.executable).with_name("dvc")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "dvc"]


def reproduce(
    repo_dir: str | Path, stage: str, logger: logging.Logger | None = None, force: bool = False
) -> None:
    """`dvc repro --single-item [--force] <stage>`, its output streamed line by line to `logger`."""
    logger = logger or logging.getLogger(__name__)
    env = os.environ | {"PYTHONUNBUFFERED": "1"}
    bin_dir = str(Path(sys.executable).parent)
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    process = subprocess.Popen(
        [*_dvc(), "repro", "--single-item", *(["--force"] if force else []), stage],
        cwd=repo_dir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    tail: list[str] = []
    assert process.stdout is not None
    for line in process.stdout:
        line = line.rstrip()
        if line:
            logger.info(line)
            tail = (tail + [line])[-40:]
    if process.wait() != 0:
        raise StageFailed(f"stage {stage} failed:\n" + "\n".join(tail))
