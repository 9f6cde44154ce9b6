"""Filtering candidates: enabled task, non-empty fields, valid output, our standards
(curation.py), length, no duplicates.

Validators run first (cheap), then the real PlantUML over all diagrams in one run when asked,
then token counting in batches with the base model's tokenizer, so nothing is tokenized that
is rejected anyway. Validation and counting run in parts, on a Dask cluster when configured.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd

from tasks.build_dataset.candidates import Candidate, Reject, chunks
from tasks.build_dataset.curation import standards_problem
from tasks.dsl import plantuml
from tasks.executor import IN_PROCESS, Parts
from tasks.formats import validate_output
from tasks.params import CurationParams
from tasks.prompting import build_messages, render_prompt, user_message

RECORD_COLUMNS = [
    "record_id", "task", "instruction", "input", "output", "language", "instruction_language",
    "instruction_kind", "method", "origin", "asset_id", "assets", "event_ids", "n_tokens",
]  # fmt: skip
TokenCounter = Callable[[Sequence[Candidate]], list[int]]
_SENTINEL_INSTRUCTION, _SENTINEL_INPUT = "\x00instruction\x00", "\x00input\x00"
_BATCH = 512
CANDIDATES_PER_PART = 512  # checked or counted per executor task


def record_id(task: str, instruction: str, input_text: str) -> str:
    """Stable id of a record: its task, instruction and input."""
    return hashlib.sha256(f"{task}\0{instruction}\0{input_text}".encode()).hexdigest()[:16]


def _reason(candidate: Candidate, reason: str) -> Reject:
    origin = "" if candidate.origin == "asset" else f" ({candidate.origin})"
    head, _, rest = reason.partition(":")
    # A file holds many methods (overloads among them): the reject names the one it is about.
    method = candidate.fields.get("name") if candidate.task == "implement_method" else None
    where = f" [method {method}]" if method else ""
    return Reject(candidate.assets[0], candidate.task, f"{head}{origin}:{rest}{where}")


def token_counter(tokenizer: Any, system: str) -> TokenCounter:
    """Tokens of prompt plus answer per candidate, tokenized in batches.

    The chat template is rendered once around placeholders and filled in per record; the first
    record is checked against a full rendering, and a template that does not embed the message
    verbatim falls back to rendering every record.
    """
    probe = render_prompt(tokenizer, build_messages(system, _SENTINEL_INSTRUCTION, _SENTINEL_INPUT))
    marker = user_message(_SENTINEL_INSTRUCTION, _SENTINEL_INPUT)
    prefix, _, suffix = probe.partition(marker) if probe.count(marker) == 1 else ("", "", "")
    eos = tokenizer.eos_token or ""

    def full(c: Candidate) -> str:
        return render_prompt(tokenizer, build_messages(system, c.instruction, c.input))

    def count(candidates: Sequence[Candidate]) -> list[int]:
        fast = bool(prefix) and bool(candidates)
        if fast:
            first = candidates[0]
            fast = prefix + user_message(first.instruction, first.input) + suffix == full(first)
        texts = [
            (prefix + user_message(c.instruction, c.input) + suffix if fast else full(c))
            + c.output
            + eos
            for c in candidates
        ]
        counts: list[int] = []
        for start in range(0, len(texts), _BATCH):
            counts += [len(ids) for ids in tokenizer(texts[start : start + _BATCH])["input_ids"]]
        return counts

    return count


def check_part(candidates: list[Candidate], standards: CurationParams) -> list[str | None]:
    """Per candidate, why it cannot be a record (empty fields, an invalid output, a broken
    standard: curation.py), or None."""
    reasons: list[str | None] = []
    for c in candidates:
        empty = [
            name for name in ("instruction", "input", "output") if not getattr(c, name).strip()
        ]
        if c.origin.startswith("feedback"):
            empty = [name for name in empty if name != "input"]  # feedback prompts are one turn
        if empty:
            reasons.append(f"empty: {', '.join(empty)}")
            continue
        problems = validate_output(c.task, c.output, c.language, c.method)
        if problems:
            reasons.append(f"invalid output: {'; '.join(str(p) for p in problems[:3])}")
            continue
        reasons.append(standards_problem(c.task, c.input, c.output, c.language, standards))
    return reasons


def count_part(candidates: list[Candidate], count_tokens: TokenCounter) -> list[int]:
    """Tokens of each candidate's prompt and answer (a part of the executor)."""
    return count_tokens(candidates)


def _valid(
    candidates: list[Candidate], standards: CurationParams, real_plantuml: bool, parts: Parts
) -> tuple[list[Candidate], list[Reject]]:
    kept, rejects = [], []
    checked = parts.map(check_part, chunks(candidates, CANDIDATES_PER_PART), standards)
    reasons = [reason for part in checked for reason in part]
    for c, reason in zip(candidates, reasons, strict=True):
        if reason is None:
            kept.append(c)
        else:
            rejects.append(_reason(c, reason))
    if not real_plantuml:
        return kept, rejects
    diagrams = [c for c in kept if c.language == "plantuml"]
    checked = plantuml.validate_many_with_plantuml([c.output for c in diagrams])
    failed = {id(c): problems for c, problems in zip(diagrams, checked, strict=True) if problems}
    for c in diagrams:
        if id(c) in failed:
            detail = "; ".join(str(p) for p in failed[id(c)][:3])
            rejects.append(_reason(c, f"invalid output: {detail}"))
    return [c for c in kept if id(c) not in failed], rejects


def _unique(candidates: list[Candidate]) -> tuple[list[Candidate], list[Reject]]:
    """The first candidate per prompt and per (input, output), except that feedback on a prompt
    (an accepted or edited answer) outranks the record mined from the assets for the same
    prompt: what a user kept is the newer judgement, and otherwise feedback on a prompt the
    dataset already has could never reach training. The order of the others is unchanged."""
    feedback: dict[str, Candidate] = {}
    for c in candidates:
        if c.origin.startswith("feedback"):
            feedback.setdefault(record_id(c.task, c.instruction, c.input), c)
    kept, rejects = [], []
    by_id: dict[str, str] = {}
    by_content: dict[tuple[str, str, str], str] = {}
    for c in candidates:
        rid = record_id(c.task, c.instruction, c.input)
        content = (c.task, c.input, c.output)
        preferred = feedback.get(rid)
        if preferred is not None and preferred is not c and not c.origin.startswith("feedback"):
            rejects.append(
                _reason(c, f"superseded: feedback {preferred.origin} on the same prompt is kept")
            )
        elif rid in by_id:
            rejects.append(_reason(c, f"duplicate: same instruction and input as {by_id[rid]}"))
        elif content in by_content:
            rejects.append(_reason(c, f"duplicate: same input and output as {by_content[content]}"))
        else:
            by_id[rid] = by_content[content] = c.assets[0]
            kept.append(c)
    return kept, rejects


def filter_candidates(
    candidates: list[Candidate],
    tasks: list[str],
    max_tokens: int,
    count_tokens: TokenCounter,
    standards: CurationParams,
    real_plantuml: bool = False,
    parts: Parts = IN_PROCESS,
) -> tuple[pd.DataFrame, list[Reject]]:
    """Records of enabled tasks that are complete, valid, up to `standards`, unique and short
    enough, plus rejects.

    The per-candidate checks and the token counting run in parts (in this process, or on a Dask
    cluster: tasks.executor), gathered in order; the real PlantUML run and the de-duplication
    see all the candidates at once.
    """
    enabled = [c for c in candidates if c.task in tasks]
    valid, rejects = _valid(enabled, standards, real_plantuml, parts)
    unique, duplicates = _unique(valid)
    rejects += duplicates
    counter = parts.share(count_tokens) if unique else count_tokens
    counted = parts.map(count_part, chunks(unique, CANDIDATES_PER_PART), counter)
    rows = []
    for c, n_tokens in zip(unique, [n for part in counted for n in part], strict=True):
        if n_tokens > max_tokens:
            rejects.append(
                _reason(c, f"too_long: {n_tokens} tokens > max_record_tokens {max_tokens}")
            )
            continue
        rows.append(
            {
                "record_id": record_id(c.task, c.instruction, c.input), "task": c.task,
                "instruction": c.instruction, "input": c.input, "output": c.output,
                "language": c.language, "instruction_language": c.instruction_language,
                "instruction_kind": c.kind or c.task, "method": c.method or "",
                "origin": c.origin, "asset_id": c.assets[0], "assets": list(c.assets),
                "event_ids": list(c.event_ids), "n_tokens": n_tokens,
            }
        )  # fmt: skip
    return pd.DataFrame(rows, columns=RECORD_COLUMNS), rejects
