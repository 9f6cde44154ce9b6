"""The LoRA training loop, top to bottom: load, wrap, batch, step, log, save."""

from __future__ import annotations

import contextlib
import importlib.util
import math
import random
import time
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from tasks.finetune import checkpoint
from tasks.finetune.data import collate_packed, length_grouped_batches, task_balanced_batches
from tasks.finetune.init import load_adapter_weights, tensors_sha256
from tasks.finetune.preference import Pairs
from tasks.init_pointer import InitAdapter
from tasks.params import FinetuneParams
from tasks.record_encoding import IGNORE_INDEX, Example, collate, encode


@dataclass
class TrainResult:
    steps: int
    resumed_from_step: int  # 0 for a fresh run
    epochs_started: int  # batch orders drawn (the data order is a function of seed and epoch)
    first_loss: float
    last_loss: float
    start_loss: float  # mean over the first few steps: single micro-batches are noisy
    end_loss: float  # mean over the last few steps
    train_records: int
    tokens: int
    answer_tokens: int
    seconds: float
    device: str
    processes: int
    quantization: str
    data_order_digest: str  # hash of the example indices in training order
    # tensors_sha256 of the LoRA weights before step 1: fresh (init base) or the promoted ones
    start_weights_sha256: str = ""
    visited: list[int] = field(default_factory=list)  # indices of the records trained on
    visited_pairs: list[int] = field(default_factory=list)  # of the DPO pairs trained on

    @property
    def tokens_per_second(self) -> float:
        return self.tokens / self.seconds if self.seconds else 0.0


def pick_device(device: torch.device | None = None) -> tuple[torch.device, torch.dtype]:
    """CUDA in bf16 when the GPU supports it, else fp32; the CPU always trains in fp32."""
    if device is None:
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.type == "cuda":
        dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float32
        return device, dtype
    return device, torch.float32


def resolve_quantization(setting: str, device: torch.device) -> str:
    """`auto` is 4-bit (QLoRA) on CUDA with bitsandbytes installed, no quantization otherwise."""
    available = device.type == "cuda" and importlib.util.find_spec("bitsandbytes") is not None
    if setting == "auto":
        return "4bit" if available else "none"
    if setting == "4bit" and not available:
        raise ValueError(
            "finetune.quantization is 4bit, which needs a CUDA GPU and the bitsandbytes package; "
            "set it to auto or none on this machine"
        )
    return setting


def lora_model(
    model_dir: Path,
    params: FinetuneParams,
    dtype: torch.dtype,
    quantization: str = "none",
    device: torch.device | None = None,
) -> Any:
    """The base model on `device`, wrapped with fresh LoRA adapters on the configured modules."""
    from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training
    from transformers import AutoModelForCausalLM, BitsAndBytesConfig

    device = device or torch.device("cpu")
    if quantization == "4bit":
        config_4bit = BitsAndBytesConfig(
            load_in_4bit=True,
            bnb_4bit_quant_type="nf4",
            bnb_4bit_compute_dtype=dtype,
            bnb_4bit_use_double_quant=True,
        )
        base = AutoModelForCausalLM.from_pretrained(
            model_dir, dtype=dtype, quantization_config=config_4bit, device_map={"": device}
        )
        base = prepare_model_for_kbit_training(base)
    else:
        base = AutoModelForCausalLM.from_pretrained(model_dir, dtype=dtype).to(device)
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
    inputs = {k: v for k, v in batch.items() if k != "labels"}  # padded or packed layout
    # use_cache=False: a KV cache is useless in training, and transformers only reads packed
    # position ids as separate sequences when no cache is present.
    logits = model(**inputs, logits_to_keep=predicts_answer, use_cache=False).logits
    targets = labels[:, 1:][predicts_answer[:, :-1]]
    return torch.nn.functional.cross_entropy(logits.float(), targets)


def total_steps(params: FinetuneParams, batches_per_epoch: int, processes: int) -> int:
    """Optimizer steps to run: `max_steps`, or enough for `epochs` passes over the batches."""
    if params.epochs is None:
        return params.max_steps
    per_step = params.grad_accum * processes
    return max(1, math.ceil(params.epochs * batches_per_epoch / per_step))


def train(
    model_dir: Path,
    records: list[dict],
    system: str,
    params: FinetuneParams,
    log_step=None,
    run_dir: Path | None = None,
    init_adapter: InitAdapter | None = None,
    first: Collection[int] = (),
    pairs: list[dict] = (),
) -> tuple[Any, TrainResult]:
    """Train LoRA adapters; resume from the newest checkpoint in `run_dir` when there is one.

    With `init_adapter` the LoRA weights start as the promoted adapter's instead of fresh ones;
    `first` (indices into `records`: a continued round's new records) are drawn first in every
    epoch (tasks/finetune/data.py). `pairs` (step 6's DPO pairs) add finetune.preference's
    DPO term to every step (tasks/finetune/preference.py).

    Runs single-process or under `accelerate launch` (each process trains on every
    world-size-th micro-batch of one shared, seed-determined order; gradients are averaged).
    """
    from accelerate import Accelerator
    from transformers import AutoTokenizer, get_scheduler

    if not records:
        raise ValueError("no training records: the train split is empty")
    accelerator = Accelerator(cpu=not torch.cuda.is_available())
    rank, world = accelerator.process_index, accelerator.num_processes
    device, dtype = pick_device(accelerator.device)
    random.seed(params.seed)
    torch.manual_seed(params.seed)
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    examples: list[Example] = [
        encode(tokenizer, system, r, params.max_seq_len, params.train_on_inputs) for r in records
    ]
    quantization = resolve_quantization(params.quantization, device)
    model = lora_model(model_dir, params, dtype, quantization, device)
    if init_adapter is not None:
        start_digest = load_adapter_weights(model, init_adapter)
    else:
        from peft import get_peft_model_state_dict

        start_digest = tensors_sha256(get_peft_model_state_dict(model))
    preference = None  # the reference: the weights the run starts from (before any restore)
    if pairs and params.preference.weight:
        preference = Pairs(
            model, tokenizer, system, list(pairs), params.preference, params.max_seq_len,
            params.seed, device,
        )  # fmt: skip
        if not preference.pairs:
            preference = None
    model.train()
    optimizer = torch.optim.AdamW(
        [p for p in model.parameters() if p.requires_grad], lr=params.learning_rate
    )

    def make_batches(examples: list[Example], size: int, seed: int) -> list[list[int]]:
        if params.task_sampling == "natural":
            return length_grouped_batches(examples, size, seed, first)
        return task_balanced_batches(examples, size, seed, weights=params.task_weights, first=first)

    steps = total_steps(params, len(make_batches(examples, params.micro_batch_size, 0)), world)
    scheduler = get_scheduler(
        params.lr_scheduler,
        optimizer,
        num_warmup_steps=params.warmup_steps,
        num_training_steps=steps,
    )
    progress = checkpoint.Progress()
    newest = checkpoint.latest(run_dir) if run_dir else None
    if newest:
        progress = checkpoint.restore(newest, model, optimizer, scheduler, rank)
        if log_step:  # the curve stays whole: earlier steps are logged again
            for number, values in enumerate(progress.history, start=1):
                log_step(number, values, steps)
    resumed_from = progress.step
    model, optimizer = accelerator.prepare(model, optimizer)

    order: list[list[int]] = []
    if progress.epoch:
        order = make_batches(examples, params.micro_batch_size, params.seed + progress.epoch - 1)

    def next_micro_batch() -> list[int]:
        nonlocal order
        if progress.consumed >= len(order):  # next epoch: a new seed-determined order
            order = make_batches(examples, params.micro_batch_size, params.seed + progress.epoch)
            progress.epoch += 1
            progress.consumed = 0
        indices = order[progress.consumed]
        progress.consumed += 1
        progress.record_batch(indices)
        return indices

    started = time.perf_counter() - progress.seconds
    while progress.step < steps:
        step_loss = torch.zeros((), device=device)
        counts = torch.zeros(2, dtype=torch.long, device=device)  # tokens, answer tokens
        for micro in range(params.grad_accum):
            shares = [next_micro_batch() for _ in range(world)]
            batch_examples = [examples[i] for i in shares[rank]]
            batch = collate_for(batch_examples, tokenizer.pad_token_id, params)
            batch = {k: v.to(device) for k, v in batch.items()}
            last = micro == params.grad_accum - 1
            with contextlib.nullcontext() if last else accelerator.no_sync(model):
                loss = answer_loss(model, batch) / params.grad_accum
                if last and preference is not None:  # once per step, in the synced backward
                    dpo, margin = preference.loss(model, progress.step)
                    accelerator.backward(loss + dpo)
                else:
                    accelerator.backward(loss)
            step_loss += loss.detach()
            counts += torch.tensor(
                [sum(len(e.input_ids) for e in batch_examples)]
                + [sum(e.answer_tokens for e in batch_examples)],
                device=device,
            )
        clip = params.max_grad_norm or float("inf")  # the norm is logged either way
        grad_norm = float(accelerator.clip_grad_norm_(model.parameters(), clip))
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        step_loss = accelerator.reduce(step_loss, "mean")
        counts = accelerator.reduce(counts, "sum")
        progress.step += 1
        progress.tokens += int(counts[0])
        progress.answer_tokens += int(counts[1])
        progress.seconds = time.perf_counter() - started
        values = {
            "loss": float(step_loss),
            "learning_rate": scheduler.get_last_lr()[0],
            "grad_norm": grad_norm if math.isfinite(grad_norm) else -1.0,
            "tokens_per_second": progress.tokens / progress.seconds,
        }
        if preference is not None:
            values["dpo_loss"] = float(accelerator.reduce(dpo.detach(), "mean"))
            values["dpo_margin"] = float(accelerator.reduce(margin, "mean"))
        progress.history.append(values)
        if log_step and accelerator.is_main_process:
            log_step(progress.step, values, steps)
        due = params.checkpoint_every and progress.step % params.checkpoint_every == 0
        if run_dir and due and progress.step < steps:
            accelerator.wait_for_everyone()
            if accelerator.is_main_process:
                unwrapped = accelerator.unwrap_model(model)
                checkpoint.save(
                    run_dir, unwrapped, optimizer, scheduler, progress, params.checkpoint_keep
                )
    losses = [h["loss"] for h in progress.history]
    window = max(1, min(5, len(losses) // 4))
    result = TrainResult(
        steps=progress.step,
        resumed_from_step=resumed_from,
        epochs_started=progress.epoch,
        first_loss=losses[0],
        last_loss=losses[-1],
        start_loss=sum(losses[:window]) / window,
        end_loss=sum(losses[-window:]) / window,
        train_records=len(records),
        tokens=progress.tokens,
        answer_tokens=progress.answer_tokens,
        seconds=progress.seconds,
        device=str(device),
        processes=world,
        quantization=quantization,
        data_order_digest=progress.data_digest,
        start_weights_sha256=start_digest,
        visited=sorted(set(progress.visited)),
        visited_pairs=preference.visited(progress.step) if preference else [],
    )
    return accelerator.unwrap_model(model), result


def collate_for(examples: list[Example], pad_id: int, params: FinetuneParams) -> dict:
    """Packed rows of up to max_seq_len tokens, or one right-padded row per example."""
    if params.packing:
        return collate_packed(examples, pad_id, params.max_seq_len)
    return collate(examples, pad_id)
