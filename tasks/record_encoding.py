"""A record as the model sees it: prompt (chat template) + answer, labels on the answer only.

Fine-tuning trains on these examples, evaluation measures the answer loss on the same encoding,
and generation pads its batches the same way.
"""

from __future__ import annotations

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


def encode(
    tokenizer: Any, system: str, record: dict, max_seq_len: int, train_on_inputs: bool = False
) -> Example:
    """Prompt (chat template) + answer + end-of-turn; only answer tokens carry labels.

    With `train_on_inputs` the prompt tokens carry labels too (the seeds' original setting).
    """
    prompt = render_prompt(
        tokenizer, build_messages(system, record["instruction"], record["input"])
    )
    prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    answer_ids = tokenizer(record["output"] + tokenizer.eos_token, add_special_tokens=False)[
        "input_ids"
    ]
    ids = (prompt_ids + answer_ids)[:max_seq_len]
    prompt_labels = list(prompt_ids) if train_on_inputs else [IGNORE_INDEX] * len(prompt_ids)
    labels = (prompt_labels + answer_ids)[:max_seq_len]
    return Example(ids, labels, record.get("task", ""))


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
