"""Decontamination: no train record may share an n-gram of words with an eval answer.

Words are runs of letters and digits split at whitespace and punctuation, lower-cased; each
Chinese character counts as a word, since Chinese is written without spaces. The train side
is a record's input and output (the instruction wordings are shared by design).
"""

from __future__ import annotations

import re

import pandas as pd

from tasks.build_dataset.candidates import Reject

_WORD = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]|[^\W_]+")


def words(text: str) -> list[str]:
    """The words of a text as decontamination counts them."""
    return _WORD.findall(text.lower())


def ngrams(text: str, n: int) -> list[tuple[str, ...]]:
    """Every run of `n` consecutive words, in order (none when the text is shorter)."""
    found = words(text)
    return [tuple(found[i : i + n]) for i in range(len(found) - n + 1)]


def contamination(
    records: pd.DataFrame, n: int, frozen: list[dict] | None = None
) -> dict[str, tuple[str, tuple[str, ...]]]:
    """Train record id -> (eval record id, shared n-gram) for every contaminated train record.

    Answers of the frozen eval set (tasks.evaluate.freeze) count as eval answers too.
    """
    if n <= 0:
        return {}
    owners: dict[tuple[str, ...], str] = {}
    evals = records[records["split"] == "eval"].sort_values("record_id")
    answers = [(r.record_id, r.output) for r in evals.itertuples()]
    answers += [(r["record_id"], r["output"]) for r in frozen or []]
    for record_id, output in answers:
        for gram in ngrams(output, n):
            owners.setdefault(gram, record_id)
    found = {}
    for record in records[records["split"] == "train"].itertuples():
        grams = ngrams(record.input, n) + ngrams(record.output, n)
        shared = next((gram for gram in grams if gram in owners), None)
        if shared is not None:
            found[record.record_id] = (owners[shared], shared)
    return found


def frozen_overlap(records: pd.DataFrame, frozen: list[dict]) -> dict[str, str]:
    """Train record id -> frozen eval record id, for train records built from a frozen asset."""
    owners = {r["asset_id"]: r["record_id"] for r in sorted(frozen, key=lambda r: r["record_id"])}
    found = {}
    for record in records[records["split"] == "train"].itertuples():
        shared = next((asset for asset in record.assets if asset in owners), None)
        if shared is not None:
            found[record.record_id] = owners[shared]
    return found


def decontaminate(
    records: pd.DataFrame, n: int, frozen: list[dict] | None = None
) -> tuple[pd.DataFrame, list[Reject]]:
    """Records without the contaminated train ones, and a reject naming the eval record for each.

    With a frozen eval set, train records sharing an asset or an n-gram with it go too.
    """
    frozen = frozen or []
    overlap = frozen_overlap(records, frozen) if frozen else {}
    rejects = [
        Reject(
            r.asset_id,
            r.task,
            f"in the frozen eval set: shares an asset with {overlap[r.record_id]}",
        )
        for r in records[records["record_id"].isin(overlap)].itertuples()
    ]
    records = records[~records["record_id"].isin(overlap)]
    found = contamination(records, n, frozen)
    tasks = dict(zip(records["record_id"], records["task"], strict=True))
    tasks |= {r["record_id"]: r["task"] for r in frozen}
    for record in records[records["record_id"].isin(found)].itertuples():
        eval_id, gram = found[record.record_id]
        shown = " ".join(gram)
        shown = shown if len(shown) <= 60 else shown[:57] + "..."
        reason = (
            f"contaminated: shares the {n}-gram '{shown}' with eval record {eval_id} "
            f"({tasks[eval_id]})"
        )
        rejects.append(Reject(record.asset_id, record.task, reason))
    return records[~records["record_id"].isin(found)].reset_index(drop=True), rejects
