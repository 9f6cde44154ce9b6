"""DPO on the feedback's preference pairs, beside the SFT loss.

Step 6 turns every edit into a pair (ingest_feedback.dpo): chosen = the user's edit, rejected =
the model's own answer. SFT on the edit only raises the chosen answer; the DPO term (Rafailov et
al. 2023, eq. 7) also lowers the answer users threw away, relative to the adapter the run
started from (the reference, whose log-probabilities are computed once, before the first step):

    loss = -log sigmoid(beta * ((pi_c - ref_c) - (pi_r - ref_r)))

with pi / ref the summed log-probabilities of an answer's tokens given its prompt. Each
optimizer step adds `weight` x this loss over `pairs_per_step` pairs, drawn in a seed-fixed
order that cycles, so a resumed run draws the pairs it would have drawn.
"""

from __future__ import annotations

import random
from typing import Any

import torch

from tasks.params import PreferenceParams
from tasks.prompting import render_prompt
from tasks.record_encoding import IGNORE_INDEX, Example, collate


def encode_messages(
    tokenizer: Any, messages: list[dict], answer: str, max_seq_len: int, task: str = ""
) -> Example:
    """record_encoding.encode for a prompt already in chat messages (a feedback event's).

    Kept here rather than in tasks/record_encoding.py, which is a dep of evaluate_base: a change
    there regenerates the base model's stored answers (25 minutes) though none would differ.
    """
    prompt = render_prompt(tokenizer, messages)
    prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    answer_ids = tokenizer(answer + tokenizer.eos_token, add_special_tokens=False)["input_ids"]
    ids = (prompt_ids + answer_ids)[:max_seq_len]
    labels = ([IGNORE_INDEX] * len(prompt_ids) + answer_ids)[:max_seq_len]
    return Example(ids, labels, task)


def encode_pairs(
    tokenizer: Any, system: str, pairs: list[dict], max_seq_len: int
) -> list[tuple[Example, Example]]:
    """(chosen, rejected) examples; the system prompt is added where the event's prompt lacks
    one, so a pair reads as training and serving prompts do. A pair whose prompt fills
    max_seq_len (no answer token left) is dropped."""
    return [pair for _, pair in _encoded(tokenizer, system, pairs, max_seq_len)]


def _encoded(
    tokenizer: Any, system: str, pairs: list[dict], max_seq_len: int
) -> list[tuple[int, tuple[Example, Example]]]:
    encoded = []
    for index, pair in enumerate(pairs):
        messages = list(pair["prompt"])
        if system and not any(m.get("role") == "system" for m in messages):
            messages.insert(0, {"role": "system", "content": system})
        task = pair.get("task", "")
        chosen, rejected = (
            encode_messages(tokenizer, messages, pair[side], max_seq_len, task=task)
            for side in ("chosen", "rejected")
        )
        if chosen.answer_tokens and rejected.answer_tokens:
            encoded.append((index, (chosen, rejected)))
    return encoded


def answer_logprobs(model: Any, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """Per row: the summed log-probability of its answer tokens (only those logits computed)."""
    labels = batch["labels"]
    predicts = torch.zeros_like(labels, dtype=torch.bool)
    predicts[:, :-1] = labels[:, 1:] != IGNORE_INDEX
    inputs = {k: v for k, v in batch.items() if k != "labels"}
    logits = model(**inputs, logits_to_keep=predicts, use_cache=False).logits.float()
    targets = labels[:, 1:][predicts[:, :-1]]
    token_logprobs = torch.log_softmax(logits, -1).gather(-1, targets[:, None]).squeeze(-1)
    rows = predicts.nonzero(as_tuple=True)[0]
    return torch.zeros(len(labels), device=logits.device).index_add(0, rows, token_logprobs)


def pair_batch(pairs: list[tuple[Example, Example]], pad_id: int) -> dict[str, torch.Tensor]:
    """Chosen answers in the first half of the rows, their rejected answers in the second."""
    return collate([c for c, _ in pairs] + [r for _, r in pairs], pad_id)


def dpo_loss(
    policy: torch.Tensor, reference: torch.Tensor, beta: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean DPO loss and mean reward margin; rows: the chosen half, then the rejected half."""
    half = len(policy) // 2
    ratios = policy - reference
    margin = ratios[:half] - ratios[half:]
    return -torch.nn.functional.logsigmoid(beta * margin).mean(), margin.mean().detach()


class Pairs:
    """The pairs, their reference log-probabilities, and which pairs step n trains on."""

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        system: str,
        pairs: list[dict],
        params: PreferenceParams,
        max_seq_len: int,
        seed: int,
        device: torch.device,
    ):
        encoded = _encoded(tokenizer, system, pairs, max_seq_len)
        self.sources = [index for index, _ in encoded]  # indices into `pairs`
        self.pairs = [pair for _, pair in encoded]
        self.pad_id, self.params, self.device = tokenizer.pad_token_id, params, device
        self.order = list(range(len(self.pairs)))
        random.Random(seed).shuffle(self.order)
        size = params.pairs_per_step
        was_training = model.training
        model.eval()  # the reference: the starting weights, dropout off
        with torch.no_grad():
            chosen, rejected = [], []
            for start in range(0, len(self.pairs), size):
                part = self.pairs[start : start + size]
                values = answer_logprobs(model, self._batch(part))
                chosen.append(values[: len(part)])
                rejected.append(values[len(part) :])
        model.train(was_training)
        self.reference_chosen = torch.cat(chosen) if chosen else torch.zeros(0)
        self.reference_rejected = torch.cat(rejected) if rejected else torch.zeros(0)

    def _batch(self, part: list[tuple[Example, Example]]) -> dict[str, torch.Tensor]:
        return {k: v.to(self.device) for k, v in pair_batch(part, self.pad_id).items()}

    def for_step(self, step: int) -> list[int]:
        """Indices of the pairs optimizer step `step` (0-based) trains on."""
        size = min(self.params.pairs_per_step, len(self.order))
        start = step * size
        return [self.order[(start + i) % len(self.order)] for i in range(size)]

    def visited(self, steps: int) -> list[int]:
        """Indices into the given pairs of those the first `steps` steps trained on."""
        return sorted({self.sources[i] for step in range(steps) for i in self.for_step(step)})

    def loss(self, model: Any, step: int) -> tuple[torch.Tensor, torch.Tensor]:
        """weight x the DPO loss of step `step`'s pairs, and their mean reward margin."""
        chosen = self.for_step(step)
        policy = answer_logprobs(model, self._batch([self.pairs[i] for i in chosen]))
        reference = torch.cat([self.reference_chosen[chosen], self.reference_rejected[chosen]])
        loss, margin = dpo_loss(policy, reference.to(policy.device), self.params.beta)
        return self.params.weight * loss, margin
