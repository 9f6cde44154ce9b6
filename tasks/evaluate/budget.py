"""Generation budgets sized by the eval references, and the oracle that checks them.

A budget shorter than a correct answer scores that answer as invalid whatever the model
learnt, so each task's budget is its longest reference answer (in the base tokenizer's tokens,
end of turn included) plus a margin, capped by `evaluate.max_new_tokens`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Budget:
    tokens: int  # max_new_tokens for the task's generations
    longest_reference: int  # tokens of the task's longest reference answer, end of turn included
    capped: bool  # the cap is below longest_reference: some references cannot be reproduced


def reference_tokens(tokenizer: Any, output: str) -> list[int]:
    """The token ids a model emits for `output`, end of turn included (as in training)."""
    return tokenizer(output + tokenizer.eos_token, add_special_tokens=False)["input_ids"]


def task_budgets(records: list[dict], tokenizer: Any, margin: int, cap: int) -> dict[str, Budget]:
    """Per task: the longest reference plus `margin`, at most `cap` new tokens."""
    longest: dict[str, int] = {}
    for record in records:
        n = len(reference_tokens(tokenizer, record["output"]))
        longest[record["task"]] = max(longest.get(record["task"], 0), n)
    return {task: Budget(min(cap, n + margin), n, cap < n) for task, n in sorted(longest.items())}


def oracle_outputs(records: list[dict], tokenizer: Any, budgets: dict[str, Budget]) -> list[str]:
    """Each reference as a model would emit it within its task's budget (cut there, eos dropped).

    Scoring these must give every task its full primary metric; a task that scores less has a
    budget or a scorer that cannot recognise a correct answer.
    """
    outputs = []
    for record in records:
        ids = reference_tokens(tokenizer, record["output"])[: budgets[record["task"]].tokens]
        outputs.append(tokenizer.decode(ids, skip_special_tokens=True).strip())
    return outputs
