"""Length-grouped and task-balanced batches of tokenised examples, and packed rows (the
examples themselves are tasks/record_encoding.py's, shared with evaluation)."""

from __future__ import annotations

import math
import random
from collections.abc import Collection

import torch

from tasks.record_encoding import IGNORE_INDEX, Example


def length_grouped_batches(
    examples: list[Example], batch_size: int, seed: int, first: Collection[int] = ()
) -> list[list[int]]:
    """Batches of similar length (little padding), in a seed-determined order; the examples in
    `first` (a continued round's new records) fill the first batches."""
    first = set(first)
    groups = [sorted(first), sorted(set(range(len(examples))) - first)]
    batches = []
    for group in groups:
        order = sorted(group, key=lambda i: (len(examples[i].input_ids), i))
        part = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
        random.Random(seed).shuffle(part)
        batches += part
    return batches


def task_balanced_batches(
    examples: list[Example],
    batch_size: int,
    seed: int,
    window: int = 8,
    weights: dict[str, float] | None = None,
    first: Collection[int] = (),
) -> list[list[int]]:
    """Batches that visit every task equally often (small tasks cycle), length-grouped locally.

    Tasks take turns example by example, so a short run sees as many user stories as methods;
    `weights` scale a task's turns (0.5: every other turn, 2: two examples a turn). A task's
    examples in `first` (a continued round's new records) are its first draws, so a round
    shorter than an epoch trains on every new record before it replays earlier ones. Within
    windows of `window` batches, examples are sorted by length to keep padding low.
    """
    rng = random.Random(seed)
    weights = weights or {}
    first = set(first)
    by_task: dict[str, list[int]] = {}
    for index, example in enumerate(examples):
        by_task.setdefault(example.task, []).append(index)
    for indices in by_task.values():
        rng.shuffle(indices)
        indices.sort(key=lambda i: i not in first)  # stable: shuffled within each group
    longest = max(len(indices) for indices in by_task.values())
    credit = dict.fromkeys(by_task, 0.0)
    drawn = dict.fromkeys(by_task, 0)
    order = []
    for _turn in range(longest):
        for task, indices in sorted(by_task.items()):
            credit[task] += weights.get(task, 1.0)
            while credit[task] >= 1:
                order.append(indices[drawn[task] % len(indices)])
                drawn[task] += 1
                credit[task] -= 1
    span = batch_size * window
    batches = []
    for start in range(0, len(order), span):
        chunk = sorted(order[start : start + span], key=lambda i: len(examples[i].input_ids))
        batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    return batches


def pack_rows(examples: list[Example], row_len: int) -> list[list[int]]:
    """Spread examples over as few rows of at most `row_len` tokens as fit, evenly filled.

    Longest first, each onto the emptiest row (so the rows, padded to the longest, waste
    little); one more row whenever an example does not fit.
    """
    order = sorted(range(len(examples)), key=lambda i: (-len(examples[i].input_ids), i))
    total = sum(len(e.input_ids) for e in examples)
    count = max(1, math.ceil(total / row_len))
    while True:
        rows: list[list[int]] = [[] for _ in range(count)]
        loads = [0] * count
        for index in order:
            row = min(range(count), key=lambda r: (loads[r], r))
            if loads[row] + len(examples[index].input_ids) > row_len:
                break
            rows[row].append(index)
            loads[row] += len(examples[index].input_ids)
        else:
            return rows
        count += 1


def collate_packed(examples: list[Example], pad_id: int, row_len: int) -> dict[str, torch.Tensor]:
    """Pack a batch into few rows; position ids restart per example, so attention stays inside it.

    Without an attention mask, transformers reads the position-id resets as packed sequences and
    builds a block-diagonal causal mask: no token attends across a record boundary. Row tails are
    padding with its own positions and no labels.
    """
    rows = pack_rows(examples, row_len)
    width = max(sum(len(examples[i].input_ids) for i in row) for row in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    labels = torch.full((len(rows), width), IGNORE_INDEX, dtype=torch.long)
    positions = torch.zeros((len(rows), width), dtype=torch.long)
    for r, row in enumerate(rows):
        start = 0
        for index in row:
            example = examples[index]
            n = len(example.input_ids)
            ids[r, start : start + n] = torch.tensor(example.input_ids)
            labels[r, start : start + n] = torch.tensor(example.labels)
            labels[r, start] = IGNORE_INDEX  # never predicted from the previous record's end
            positions[r, start : start + n] = torch.arange(n)
            start += n
        positions[r, start:] = torch.arange(width - start)
    return {"input_ids": ids, "labels": labels, "position_ids": positions}
