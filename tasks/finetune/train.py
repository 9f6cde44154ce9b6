"""The LoRA training loop, top to bottom: load, wrap, batch, step, log, save."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from tasks.finetune.data import (
    IGNORE_INDEX,
    Example,
    collate,
    encode,
    length_grouped_batches,
    task_balanced_batches,
)
from tasks.params import FinetuneParams


@dataclass
class TrainResult:
    steps: int
    first_loss: float
    last_loss: float
    start_loss: float  # mean over the first few steps: single micro-batches are noisy
    end_loss: float  # mean over the last few steps
    train_records: int
    tokens: int
    answer_tokens: int
    seconds: float
    device: str

    @property
    def tokens_per_second(self) -> float:
        return self.tokens / self.seconds if self.seconds else 0.0


def pick_device() -> tuple[torch.device, torch.dtype]:
    """CUDA in bf16 when the GPU supports it, else fp32; the CPU always trains in fp32."""
    if torch.cuda.is_available():
        dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float32
        return torch.device("cuda"), dtype
    return torch.device("cpu"), torch.float32


def lora_model(model_dir: Path, params: FinetuneParams, dtype: torch.dtype) -> Any:
    """The base model wrapped with fresh LoRA adapters on the configured modules."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    base = AutoModelForCausalLM.from_pretrained(model_dir, dtype=dtype)
    config = LoraConfig(
        r=params.lora.r,
        lora_alpha=params.lora.alpha,
        lora_dropout=params.lora.dropout,
        target_modules=params.lora.target_modules,
        task_type="CAUSAL_LM",
    )
    return get_peft_model(base, config)


def answer_loss(model: Any, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """Mean cross-entropy over the answer tokens, projecting only the positions that predict them.

    The LM head is a vocabulary-sized projection (49k rows on SmolLM2, a fifth of the compute);
    prompt positions carry no labels, so their logits are never computed.
    """
    labels = batch["labels"]
    predicts_answer = torch.zeros_like(labels, dtype=torch.bool)
    predicts_answer[:, :-1] = labels[:, 1:] != IGNORE_INDEX  # logits at t predict token t + 1
    logits = model(
        input_ids=batch["input_ids"],
        attention_mask=batch["attention_mask"],
        logits_to_keep=predicts_answer,
    ).logits
    targets = labels[:, 1:][predicts_answer[:, :-1]]
    return torch.nn.functional.cross_entropy(logits.float(), targets)


def train(
    model_dir: Path,
    records: list[dict],
    system: str,
    params: FinetuneParams,
    log_step=None,
) -> tuple[Any, TrainResult]:
    """Train LoRA adapters for `params.max_steps` optimizer steps; return model and summary."""
    from transformers import AutoTokenizer, get_scheduler

    if not records:
        raise ValueError("no training records: the train split is empty")
    torch.manual_seed(params.seed)
    device, dtype = pick_device()
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    examples: list[Example] = [encode(tokenizer, system, r, params.max_seq_len) for r in records]
    model = lora_model(model_dir, params, dtype).to(device)
    model.train()

    optimizer = torch.optim.AdamW(
        [p for p in model.parameters() if p.requires_grad], lr=params.learning_rate
    )
    scheduler = get_scheduler(
        params.lr_scheduler,
        optimizer,
        num_warmup_steps=params.warmup_steps,
        num_training_steps=params.max_steps,
    )
    make_batches = (
        task_balanced_batches if params.task_sampling == "balanced" else length_grouped_batches
    )
    micro_per_step = params.grad_accum
    losses: list[float] = []
    tokens = answer_tokens = 0
    epoch, queue = 0, []
    started = time.perf_counter()
    for step in range(1, params.max_steps + 1):
        step_loss = 0.0
        for _ in range(micro_per_step):
            if not queue:  # next epoch: a new seed-determined batch order
                queue = make_batches(examples, params.micro_batch_size, params.seed + epoch)
                queue.reverse()  # consumed from the end
                epoch += 1
            batch_examples = [examples[i] for i in queue.pop()]
            batch = {
                k: v.to(device) for k, v in collate(batch_examples, tokenizer.pad_token_id).items()
            }
            loss = answer_loss(model, batch) / micro_per_step
            loss.backward()
            step_loss += loss.item()
            tokens += int(batch["attention_mask"].sum())
            answer_tokens += sum(e.answer_tokens for e in batch_examples)
        grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0).item()
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        losses.append(step_loss)
        if log_step:
            elapsed = time.perf_counter() - started
            log_step(
                step,
                {
                    "loss": step_loss,
                    "learning_rate": scheduler.get_last_lr()[0],
                    "grad_norm": grad_norm if math.isfinite(grad_norm) else -1.0,
                    "tokens_per_second": tokens / elapsed,
                },
            )
    window = max(1, min(5, len(losses) // 4))
    result = TrainResult(
        steps=params.max_steps,
        first_loss=losses[0],
        last_loss=losses[-1],
        start_loss=sum(losses[:window]) / window,
        end_loss=sum(losses[-window:]) / window,
        train_records=len(records),
        tokens=tokens,
        answer_tokens=answer_tokens,
        seconds=time.perf_counter() - started,
        device=str(device),
    )
    return model, result
