"""The fine-tune flow: the `finetune` DVC stage, deployed on the `gpu` work pool."""

from __future__ import annotations

import contextlib
from pathlib import Path

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact

import tasks  # noqa: F401 - sets the offline / no-telemetry environment first
from flows import remote as dvc_remote
from flows.stages import reproduce, stage_is_current
from tasks.io import read_json
from tasks.params import load_params

STAGE = "finetune"


def training_summary(repo_dir: Path) -> str:
    """Markdown summary of the last training run, for a Prefect artifact."""
    with contextlib.chdir(repo_dir):
        params = load_params()
        m = read_json(params.finetune.trainer_state)
        lora = params.finetune.lora
    resumed = f"step {m['resumed_from_step']}" if m["resumed_from_step"] else "no (fresh run)"
    answer_rate = m["answer_tokens"] / m["seconds"] if m["seconds"] else 0.0
    return (
        "# Fine-tune\n\n| metric | value |\n| --- | --- |\n"
        f"| steps | {m['steps']} |\n| resumed from a checkpoint | {resumed} |\n"
        f"| train records | {m['train_records']} |\n"
        f"| loss, mean of first / last steps | {m['start_loss']:.4f} / {m['end_loss']:.4f} |\n"
        f"| tokens/s (answer tokens/s) | {m['tokens_per_second']:.0f} ({answer_rate:.0f}) |\n"
        f"| device, processes, quantization | {m['device']}, {m['processes']}, "
        f"{m['quantization']} |\n"
        f"| LoRA | r={lora.r}, alpha={lora.alpha}, targets={lora.target_modules} |\n"
        f"| adapter | `{params.finetune.adapter_dir}` |\n"
    )


@flow(name="finetune")
def finetune(repo_dir: str = ".") -> str:
    """Run the fine-tune stage through DVC and publish a training summary artifact."""
    repo = Path(repo_dir).resolve()
    logger = get_run_logger()
    with contextlib.chdir(repo):
        remote = load_params().remote
    if remote.url:  # a gpu worker has its own checkout: its inputs come through the DVC remote
        dvc_remote.pull(repo, remote, dvc_remote.stage_inputs(repo, STAGE), logger)
    if stage_is_current(repo, STAGE):
        logger.info("finetune is up to date; nothing to train")
        return "skipped"
    reproduce(repo, STAGE, logger)
    dvc_remote.push(repo, remote, [STAGE], logger)  # the adapter and its run-cache entry
    create_markdown_artifact(key="training-summary", markdown=training_summary(repo))
    return "ran"
