"""Regurgitation: how often a model continues a training answer verbatim.

For a seeded sample of train records, the prompt plus the first k answer tokens goes in, the
model decodes m tokens greedily, and the record counts as regurgitated when those are exactly
the next m tokens of the training answer (the extraction test of Carlini et al., 2021).
"""

from __future__ import annotations

import random
from typing import Any

from tasks.generation import generate_ids
from tasks.prompting import build_messages, render_prompt


def sample_records(records: list[dict], samples: int, min_tokens: int, tokenizer: Any, seed: int):
    """Up to `samples` records (seeded) whose answer has at least `min_tokens` tokens."""
    rng = random.Random(seed)
    shuffled = sorted(records, key=lambda r: r["record_id"])
    rng.shuffle(shuffled)
    chosen = []
    for record in shuffled:
        if len(chosen) == samples:
            break
        if len(tokenizer(record["output"], add_special_tokens=False)["input_ids"]) >= min_tokens:
            chosen.append(record)
    return chosen


def probes(
    tokenizer: Any, records: list[dict], system: str, k: int, m: int
) -> tuple[list[list[int]], list[list[int]]]:
    """Per record: prompt ids plus the first k answer tokens, and the next m answer tokens."""
    prompts, targets = [], []
    for record in records:
        messages = build_messages(system, record["instruction"], record["input"])
        prompt_ids = tokenizer(render_prompt(tokenizer, messages), add_special_tokens=False)
        answer_ids = tokenizer(record["output"], add_special_tokens=False)["input_ids"]
        prompts.append(prompt_ids["input_ids"] + answer_ids[:k])
        targets.append(answer_ids[k : k + m])
    return prompts, targets


def verbatim(continued: list[list[int]], targets: list[list[int]]) -> list[bool]:
    """Whether each continuation starts with its whole target."""
    return [
        len(target) > 0 and out[: len(target)] == target
        for out, target in zip(continued, targets, strict=True)
    ]


def regurgitation(
    model: Any, tokenizer: Any, records: list[dict], system: str, k: int, m: int, batch_size: int
) -> list[bool]:
    """Per record: whether greedy decoding after k answer tokens reproduces the next m."""
    prompts, targets = probes(tokenizer, records, system, k, m)
    return verbatim(generate_ids(model, tokenizer, prompts, m, batch_size), targets)
