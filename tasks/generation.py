"""Loading a model for inference and batched greedy generation; shared by evaluate and serving."""

from __future__ import annotations

from collections.abc import Callable
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
    """Mean cross-entropy of each example's reference answer tokens (teacher forcing).

    Examples go through in length order (little padding), and the vocabulary projection runs
    only at the positions that predict answer tokens, as in training."""
    from tasks.record_encoding import IGNORE_INDEX, collate

    losses = [0.0] * len(examples)
    order = sorted(range(len(examples)), key=lambda i: len(examples[i].input_ids))
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            index = order[start : start + batch_size]
            batch = collate([examples[i] for i in index], pad_id)
            batch = {k: v.to(model.device) for k, v in batch.items()}
            labels = batch["labels"]
            predicts = torch.zeros_like(labels, dtype=torch.bool)
            predicts[:, :-1] = labels[:, 1:] != IGNORE_INDEX  # logits at t predict token t + 1
            logits = model(
                input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                logits_to_keep=predicts, use_cache=False,
            ).logits  # fmt: skip
            targets = labels[:, 1:][predicts[:, :-1]]
            token_loss = torch.nn.functional.cross_entropy(
                logits.reshape(-1, logits.shape[-1]).float(), targets, reduction="none"
            )
            rows = predicts.nonzero()[:, 0]
            sums = torch.zeros(len(index)).index_add_(0, rows, token_loss.float())
            counts = torch.bincount(rows, minlength=len(index)).clamp(min=1)
            for i, value in zip(index, (sums / counts).tolist(), strict=True):
                losses[i] = value
    return losses


def _next_tokens(logits: torch.Tensor, temperature: float, top_p: float) -> torch.Tensor:
    """Greedy argmax at temperature 0, else a nucleus (top-p) sample from the softmax."""
    if temperature <= 0:
        return logits.argmax(-1)
    probs = torch.softmax(logits.float() / temperature, dim=-1)
    if top_p < 1.0:
        sorted_probs, order = probs.sort(dim=-1, descending=True)
        # drop a token once the tokens ranked above it already cover top_p
        outside = sorted_probs.cumsum(-1) - sorted_probs > top_p
        probs = probs.scatter(-1, order, sorted_probs.masked_fill(outside, 0.0))
    return torch.multinomial(probs, 1).squeeze(-1)


def looping(ids: list[int], min_period: int = 8, max_period: int = 96, repeats: int = 3) -> bool:
    """Whether `ids` end in `repeats` back-to-back copies of one block of `min_period` to
    `max_period` tokens: an answer stuck in a loop. (No reference answer of the samples does
    this: 0 of 440 at 8 tokens x 3; at 8 x 2, 5 do. A shorter loop is caught too, as a block
    of its repetitions.)"""
    for period in range(min_period, max_period + 1):
        if len(ids) < repeats * period:
            break
        last = ids[-period:]
        if all(ids[-(k + 1) * period : len(ids) - k * period] == last for k in range(1, repeats)):
            return True
    return False


def _decode_batch(
    model: Any, id_lists: list[list[int]], pad_id: int, stop: set[int], budgets: list[int],
    temperature: float, top_p: float, stop_loops: bool = False,
) -> list[list[int]]:  # fmt: skip
    """One left-padded batch through a KV-cached decode loop; new ids per row, stop token cut.

    Rows that finish (a stop token, or their own budget of new tokens) leave the batch (and
    the cache) at once, so the remaining rows never pay for them: on a CPU that is what makes a
    batch of uneven answers faster than a loop.
    `stop_loops` also ends a row once it is `looping` (checked every 4 tokens): its answer is
    what it wrote so far.
    """
    from transformers import DynamicCache

    width = max(len(ids) for ids in id_lists)
    device = model.device
    padded = [[pad_id] * (width - len(ids)) + ids for ids in id_lists]
    input_ids = torch.tensor(padded, device=device)
    mask = torch.tensor([[0] * (width - len(ids)) + [1] * len(ids) for ids in id_lists])
    mask = mask.to(device)
    positions = (mask.cumsum(-1) - 1).clamp(min=0)  # padding must not shift the real positions
    cache = DynamicCache()
    logits = model(
        input_ids=input_ids, attention_mask=mask, position_ids=positions,
        past_key_values=cache, use_cache=True, logits_to_keep=1,
    ).logits[:, -1]  # fmt: skip
    rows = list(range(len(id_lists)))  # batch row -> index into id_lists
    outputs: list[list[int]] = [[] for _ in id_lists]
    position = positions[:, -1]
    while True:
        tokens = _next_tokens(logits, temperature, top_p)
        alive = []
        for j, token in enumerate(tokens.tolist()):
            if token in stop:
                continue
            row = outputs[rows[j]]
            row.append(token)
            if len(row) >= budgets[rows[j]] or (stop_loops and len(row) % 4 == 0 and looping(row)):
                continue
            alive.append(j)
        if not alive:
            return outputs
        if len(alive) < len(rows):
            keep = torch.tensor(alive, device=device)
            cache.batch_select_indices(keep)
            rows, mask = [rows[j] for j in alive], mask[keep]
            tokens, position = tokens[keep], position[keep]
        mask = torch.cat([mask, mask.new_ones(len(rows), 1)], dim=1)
        position = position + 1
        logits = model(
            input_ids=tokens[:, None], attention_mask=mask, position_ids=position[:, None],
            past_key_values=cache, use_cache=True,
        ).logits[:, -1]  # fmt: skip


@torch.inference_mode()
def generate_ids(
    model: Any,
    tokenizer: Any,
    id_lists: list[list[int]],
    max_new_tokens: int | list[int],
    batch_size: int,
    temperature: float = 0.0,
    top_p: float = 1.0,
    stop_loops: bool = False,
    on_batch: Callable[[int], None] | None = None,
) -> list[list[int]]:
    """New token ids after each prompt's ids (greedy at temperature 0), eos and padding cut;
    `max_new_tokens`: one budget for all, or one per prompt; `stop_loops`: a row that is
    `looping` ends there; `on_batch(n)` after each batch of n."""
    budgets = (
        list(max_new_tokens)
        if isinstance(max_new_tokens, list)
        else [max_new_tokens] * len(id_lists)
    )
    outputs: list[list[int]] = [[] for _ in id_lists]
    pending = [i for i in range(len(id_lists)) if budgets[i] > 0]
    # Sorting by length keeps left padding short inside each batch.
    order = sorted(pending, key=lambda i: len(id_lists[i]))
    stop = {tokenizer.eos_token_id, tokenizer.pad_token_id}
    for start in range(0, len(order), batch_size):
        index = order[start : start + batch_size]
        new = _decode_batch(
            model, [id_lists[i] for i in index], tokenizer.pad_token_id, stop,
            [budgets[i] for i in index], temperature, top_p, stop_loops,
        )  # fmt: skip
        for i, row in zip(index, new, strict=True):
            outputs[i] = row
        if on_batch:
            on_batch(len(index))
    return outputs


def generate(
    model: Any,
    tokenizer: Any,
    prompts: list[str],
    max_new_tokens: int | list[int],
    batch_size: int,
    temperature: float = 0.0,
    top_p: float = 1.0,
    stop_loops: bool = False,
    on_batch: Callable[[int], None] | None = None,
) -> list[str]:
    """Completions for already-templated prompts, `batch_size` at a time (greedy by default)."""
    id_lists = tokenizer(prompts, add_special_tokens=False)["input_ids"]
    new = generate_ids(
        model, tokenizer, id_lists, max_new_tokens, batch_size, temperature=temperature,
        top_p=top_p, stop_loops=stop_loops, on_batch=on_batch,
    )  # fmt: skip
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


def resample_invalid(
    model: Any,
    tokenizer: Any,
    prompts: list[str],
    answers: list[str],
    is_valid: Any,
    tries: int,
    max_new_tokens: int | list[int],
    batch_size: int,
    temperature: float,
    top_p: float,
    seed: int = 0,
    stop_loops: bool = True,
) -> list[tuple[str, int, bool]]:
    """The seeds' "validate, retry when wrong": per prompt the first answer `is_valid(i, text)`
    accepts, among the raw answer and up to `tries` samples; with the generations it took and
    whether one was valid (else the raw answer is kept). A sample that starts `looping` is cut
    there (`stop_loops`): it would have run to the budget and failed its validator anyway; the
    raw answer is never cut. `max_new_tokens` is one budget or one per prompt: every task's
    invalid answers are then resampled in the same batches."""
    budgets = (
        max_new_tokens if isinstance(max_new_tokens, list) else [max_new_tokens] * len(prompts)
    )
    results = [(answer, 1, bool(is_valid(i, answer))) for i, answer in enumerate(answers)]
    torch.manual_seed(seed)
    for attempt in range(2, tries + 2):
        pending = [i for i, (_, _, valid) in enumerate(results) if not valid]
        if not pending:
            break
        drawn = generate(
            model, tokenizer, [prompts[i] for i in pending], [budgets[i] for i in pending],
            batch_size, temperature=temperature, top_p=top_p, stop_loops=stop_loops,
        )  # fmt: skip
        for i, text in zip(pending, drawn, strict=True):
            if is_valid(i, text):
                results[i] = (text, attempt, True)
            else:
                results[i] = (results[i][0], attempt, False)
    return results
