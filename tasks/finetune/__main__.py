"""Fine-tune LoRA adapters on the train split and write the adapter and training metrics."""

from __future__ import annotations

import contextlib
import shutil
from dataclasses import asdict
from pathlib import Path

from tasks.base_model import resolve
from tasks.finetune.checkpoint import run_key
from tasks.finetune.train import train
from tasks.io import read_json, read_jsonl, write_json
from tasks.params import Params, load_params, step_parser

# What `dvc metrics` shows; the full record (resume point, data-order digest) is trainer_state.
METRICS = [
    *("steps", "first_loss", "last_loss", "start_loss", "end_loss", "train_records"),
    *("tokens", "answer_tokens", "seconds", "tokens_per_second", "device", "processes"),
]


def consumed(params: Params) -> dict | None:
    """The feedback / asset snapshot of step 6's latest decision: what this training saw.

    Step 6 counts "new" feedback from it, so the retrain trigger moves on only when a model was
    actually trained, not each time ingestion decides (an hourly ingestion decides many times
    a day). Read here without being a DVC dep: it is bookkeeping, not an input of training.
    """
    decision = Path(params.ingest_feedback.retrain_decision)
    return read_json(decision)["snapshot"] if decision.exists() else None


def main(argv: list[str] | None = None) -> None:
    import torch
    from accelerate import PartialState
    from dvclive import Live

    args = step_parser("Step 3: LoRA fine-tune of the base model.").parse_args(argv)
    params = load_params(args.params)
    step = params.finetune
    model_dir = resolve(params.base_model)
    records = read_jsonl(params.build_dataset.train)
    key = run_key(
        Path(params.build_dataset.train), model_dir, step.model_dump(), params.prompt.system
    )
    run_dir = Path(step.checkpoint_dir) / key
    # Under `accelerate launch` every process trains; only the first one logs and writes.
    main_process = PartialState(cpu=not torch.cuda.is_available()).is_main_process
    # dvcyaml=None: the stage's plots are declared in our dvc.yaml, not written by DVCLive.
    live = (
        Live(dir=step.live_dir, save_dvc_exp=False, dvcyaml=None, report=None)
        if main_process
        else contextlib.nullcontext()
    )
    with live:

        def log_step(number: int, values: dict[str, float]) -> None:
            for name, value in values.items():
                live.log_metric(f"train/{name}", value)
            live.next_step()
            if number == 1 or number % 5 == 0:
                print(f"step {number}: loss {values['loss']:.4f}", flush=True)

        if main_process and any(run_dir.glob("step-*")):
            print(f"checkpoints found in {run_dir}: resuming", flush=True)
        model, result = train(model_dir, records, params.prompt.system, step, log_step, run_dir)
    if not main_process:
        return

    Path(step.adapter_dir).mkdir(parents=True, exist_ok=True)
    model.save_pretrained(step.adapter_dir)
    state = asdict(result) | {"tokens_per_second": round(result.tokens_per_second, 2)}
    record = {"run_key": key, "params": step.model_dump(), "feedback_snapshot": consumed(params)}
    write_json(step.trainer_state, state | record)
    write_json(step.metrics, {k: v for k, v in state.items() if k in METRICS})
    shutil.rmtree(run_dir, ignore_errors=True)  # the adapter is saved: checkpoints are spent
    if result.resumed_from_step:
        print(f"resumed from step {result.resumed_from_step}")
    print(
        f"trained {result.steps} steps on {result.train_records} records ({result.device}): "
        f"mean loss of the first / last steps {result.start_loss:.4f} -> {result.end_loss:.4f}, "
        f"{result.tokens_per_second:.0f} tokens/s"
    )


if __name__ == "__main__":
    main()
