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


def _decode_ids(model: Any, tokenizer: Any, id_lists: list[list[int]], **settings: Any):
    """Left-pad token id lists into one batch and generate; new token ids per row."""
    width = max(len(ids) for ids in id_lists)
    pad = tokenizer.pad_token_id
    input_ids = torch.tensor([[pad] * (width - len(ids)) + ids for ids in id_lists])
    mask = torch.tensor([[0] * (width - len(ids)) + [1] * len(ids) for ids in id_lists])
    generated = model.generate(
        input_ids=input_ids.to(model.device),
        attention_mask=mask.to(model.device),
        pad_token_id=pad,
        eos_token_id=tokenizer.eos_token_id,
        **settings,
    )
    return generated[:, width:]


@torch.inference_mode()
def generate_ids(
    model: Any,
    tokenizer: Any,
    id_lists: list[list[int]],
    max_new_tokens: int,
    batch_size: int,
    temperature: float = 0.0,
    top_p: float = 1.0,
) -> list[list[int]]:
    """New token ids after each prompt's ids (greedy at temperature 0), eos and padding cut."""
    # Sorting by length keeps left padding short inside each batch; generate() stops a batch
    # as soon as every row has produced eos.
    order = sorted(range(len(id_lists)), key=lambda i: len(id_lists[i]))
    sampling = {"do_sample": True, "temperature": temperature, "top_p": top_p}
    settings = sampling if temperature > 0 else {"do_sample": False}
    outputs: list[list[int]] = [[] for _ in id_lists]
    stop = {tokenizer.eos_token_id, tokenizer.pad_token_id}
    for start in range(0, len(order), batch_size):
        index = order[start : start + batch_size]
        new = _decode_ids(
            model, tokenizer, [id_lists[i] for i in index], max_new_tokens=max_new_tokens,
            top_k=None, **settings,
        )  # fmt: skip
        for i, row in zip(index, new.tolist(), strict=True):
            end = next((pos for pos, token in enumerate(row) if token in stop), len(row))
            outputs[i] = row[:end]
    return outputs


def generate(
    model: Any,
    tokenizer: Any,
    prompts: list[str],
    max_new_tokens: int,
    batch_size: int,
    temperature: float = 0.0,
    top_p: float = 1.0,
) -> list[str]:
    """Completions for already-templated prompts, `batch_size` at a time (greedy by default)."""
    id_lists = tokenizer(prompts, add_special_tokens=False)["input_ids"]
    new = generate_ids(
        model, tokenizer, id_lists, max_new_tokens, batch_size, temperature=temperature, top_p=top_p
    )
    return [text.strip() for text in tokenizer.batch_decode(new, skip_special_tokens=True)]


def sample_completions(
    model: Any,
    tokenizer: Any,
    prompts: list[str],
    n: int,
    temperature: float,
    max_new_tokens: int,
    batch_size: int,
    seed: int = 0,
) -> list[list[str]]:
    """`n` completions per prompt: greedy when n is 1 or temperature 0, else sampled (seeded)."""
    if n == 1 or temperature <= 0:
        return [[text] for text in generate(model, tokenizer, prompts, max_new_tokens, batch_size)]
    torch.manual_seed(seed)
    rounds = [
        generate(model, tokenizer, prompts, max_new_tokens, batch_size, temperature=temperature)
        for _ in range(n)
    ]
    return [list(texts) for texts in zip(*rounds, strict=True)]
