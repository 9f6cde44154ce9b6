"""Loading a model for inference and batched greedy generation; shared by evaluate and serving."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch


def load_model(model_dir: Path, adapter_dir: Path | None = None) -> tuple[Any, Any]:
    """Base model (optionally with LoRA adapters merged in) and its left-padding tokenizer."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    tokenizer.padding_side = "left"  # generation continues from the right edge of every row
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    if adapter_dir is not None:
        model = merge_adapter(model, adapter_dir)
    model.eval()
    return model, tokenizer


def merge_adapter(model: Any, adapter_dir: Path) -> Any:
    """Fold LoRA adapters into the weights: same outputs, no adapter overhead per token."""
    from peft import PeftModel

    return PeftModel.from_pretrained(model, adapter_dir).merge_and_unload()


@torch.inference_mode()
def answer_losses(model: Any, examples: list[Any], pad_id: int, batch_size: int) -> list[float]:
    """Mean cross-entropy of each example's reference answer tokens (teacher forcing)."""
    from tasks.finetune.data import IGNORE_INDEX, collate

    losses: list[float] = []
    for start in range(0, len(examples), batch_size):
        batch = collate(examples[start : start + batch_size], pad_id)
        batch = {k: v.to(model.device) for k, v in batch.items()}
        logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
        labels = batch["labels"][:, 1:]
        token_loss = torch.nn.functional.cross_entropy(
            logits[:, :-1].transpose(1, 2).float(),
            labels,
            ignore_index=IGNORE_INDEX,
            reduction="none",
        )
        mask = labels != IGNORE_INDEX
        losses += (token_loss.sum(1) / mask.sum(1).clamp(min=1)).tolist()
    return losses


@torch.inference_mode()
def generate(
    model: Any, tokenizer: Any, prompts: list[str], max_new_tokens: int, batch_size: int
) -> list[str]:
    """Greedy completions for already-templated prompts, `batch_size` at a time."""
    # Sorting by length keeps left padding short inside each batch.
    order = sorted(range(len(prompts)), key=lambda i: len(prompts[i]))
    outputs: list[str] = [""] * len(prompts)
    for start in range(0, len(order), batch_size):
        index = order[start : start + batch_size]
        batch = tokenizer(
            [prompts[i] for i in index], return_tensors="pt", padding=True, add_special_tokens=False
        ).to(model.device)
        generated = model.generate(
            **batch,
            max_new_tokens=max_new_tokens,
            do_sample=False,
            pad_token_id=tokenizer.pad_token_id,
            eos_token_id=tokenizer.eos_token_id,
        )
        new_tokens = generated[:, batch["input_ids"].shape[1] :]
        for i, text in zip(
            index, tokenizer.batch_decode(new_tokens, skip_special_tokens=True), strict=True
        ):
            outputs[i] = text.strip()
    return outputs
