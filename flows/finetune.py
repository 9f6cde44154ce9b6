"""The fine-tune flow: the `finetune` DVC stage, deployed on the `gpu` work pool."""

from __future__ import annotations

import contextlib
from pathlib import Path

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact

import tasks  # noqa: F401 - sets the offline / no-telemetry environment first
from flows import remote as dvc_remote
from flows.stages import reproduce, stage_is_current
from tasks.finetune.report import training_summary
from tasks.params import load_params

STAGE = "finetune"


@flow(name="finetune")
def finetune(repo_dir: str = ".") -> str:
    """Run the fine-tune stage through DVC and publish a training summary artifact."""
    repo = Path(repo_dir).resolve()
    logger = get_run_logger()
    with contextlib.chdir(repo):
        params = load_params()
    remote = params.remote
    if remote.url:  # a gpu worker has its own checkout: its inputs come through the DVC remote
        dvc_remote.pull(repo, remote, dvc_remote.stage_inputs(repo, STAGE), logger)
    if stage_is_current(repo, STAGE):
        logger.info("finetune is up to date; nothing to train")
        return "skipped"
    reproduce(repo, STAGE, logger)
    dvc_remote.push(repo, remote, [STAGE], logger)  # the adapter and its run-cache entry
    with contextlib.chdir(repo):  # params' paths are relative to the repository root
        markdown = training_summary(params)
    create_markdown_artifact(key="training-summary", markdown=markdown)
    return "ran"
