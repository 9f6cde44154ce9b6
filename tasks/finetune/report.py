"""The last training run in one markdown table (a Prefect artifact of the fine-tune flows)."""

from __future__ import annotations

from tasks.io import read_json
from tasks.params import Params


def training_summary(params: Params) -> str:
    """Markdown summary of the last training run (its trainer_state, relative paths from the
    repository root), for a Prefect artifact."""
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
