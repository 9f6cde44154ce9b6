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


def contamination(records: pd.DataFrame, n: int) -> dict[str, tuple[str, tuple[str, ...]]]:
    """Train record id -> (eval record id, shared n-gram) for every contaminated train record."""
    if n <= 0:
        return {}
    owners: dict[tuple[str, ...], str] = {}
    evals = records[records["split"] == "eval"].sort_values("record_id")
    for record in evals.itertuples():
        for gram in ngrams(record.output, n):
            owners.setdefault(gram, record.record_id)
    found = {}
    for record in records[records["split"] == "train"].itertuples():
        grams = ngrams(record.input, n) + ngrams(record.output, n)
        shared = next((gram for gram in grams if gram in owners), None)
        if shared is not None:
            found[record.record_id] = (owners[shared], shared)
    return found


def decontaminate(records: pd.DataFrame, n: int) -> tuple[pd.DataFrame, list[Reject]]:
    """Records without the contaminated train ones, and a reject naming the eval record for each."""
    found = contamination(records, n)
    tasks = dict(zip(records["record_id"], records["task"], strict=True))
    rejects = []
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
