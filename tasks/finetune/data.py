"""Tokenised training examples and length-grouped batches."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

import torch

from tasks.prompting import build_messages, render_prompt

IGNORE_INDEX = -100  # label value the loss skips: prompt tokens and padding


@dataclass
class Example:
    input_ids: list[int]
    labels: list[int]
    task: str = ""

    @property
    def answer_tokens(self) -> int:
        return sum(label != IGNORE_INDEX for label in self.labels)


def encode(tokenizer: Any, system: str, record: dict, max_seq_len: int) -> Example:
    """Prompt (chat template) + answer + end-of-turn; only answer tokens carry labels."""
    prompt = render_prompt(
        tokenizer, build_messages(system, record["instruction"], record["input"])
    )
    prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    answer_ids = tokenizer(record["output"] + tokenizer.eos_token, add_special_tokens=False)[
        "input_ids"
    ]
    ids = (prompt_ids + answer_ids)[:max_seq_len]
    labels = ([IGNORE_INDEX] * len(prompt_ids) + answer_ids)[:max_seq_len]
    return Example(ids, labels, record.get("task", ""))


def length_grouped_batches(examples: list[Example], batch_size: int, seed: int) -> list[list[int]]:
    """Batches of similar length (little padding), in a seed-determined order."""
    order = sorted(range(len(examples)), key=lambda i: (len(examples[i].input_ids), i))
    batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    random.Random(seed).shuffle(batches)
    return batches


def task_balanced_batches(
    examples: list[Example], batch_size: int, seed: int, window: int = 8
) -> list[list[int]]:
    """Batches that visit every task equally often (small tasks cycle), length-grouped locally.

    Tasks take turns example by example, so a short run sees as many user stories as methods;
    within windows of `window` batches, examples are sorted by length to keep padding low.
    """
    rng = random.Random(seed)
    by_task: dict[str, list[int]] = {}
    for index, example in enumerate(examples):
        by_task.setdefault(example.task, []).append(index)
    for indices in by_task.values():
        rng.shuffle(indices)
    longest = max(len(indices) for indices in by_task.values())
    order = [
        indices[turn % len(indices)]
        for turn in range(longest)
        for _, indices in sorted(by_task.items())
    ]
    span = batch_size * window
    batches = []
    for start in range(0, len(order), span):
        chunk = sorted(order[start : start + span], key=lambda i: len(examples[i].input_ids))
        batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    return batches


def collate(examples: list[Example], pad_id: int) -> dict[str, torch.Tensor]:
    """Right-pad a batch to its longest example."""
    width = max(len(e.input_ids) for e in examples)
    ids = torch.full((len(examples), width), pad_id, dtype=torch.long)
    labels = torch.full((len(examples), width), IGNORE_INDEX, dtype=torch.long)
    mask = torch.zeros((len(examples), width), dtype=torch.long)
    for row, e in enumerate(examples):
        n = len(e.input_ids)
        ids[row, :n] = torch.tensor(e.input_ids)
        labels[row, :n] = torch.tensor(e.labels)
        mask[row, :n] = 1
    return {"input_ids": ids, "labels": labels, "attention_mask": mask}
