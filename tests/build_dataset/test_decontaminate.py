"""Decontamination: train records sharing an n-gram with an eval answer are dropped, named."""

from __future__ import annotations

import pandas as pd

from tasks.build_dataset.decontaminate import decontaminate, ngrams, words

SHARED = "given an active standing order to my landlord when I pause it until September"


def records(*rows) -> pd.DataFrame:
    columns = ["record_id", "task", "split", "input", "output", "asset_id"]
    return pd.DataFrame(rows, columns=columns)


def test_words_split_at_punctuation_and_count_each_chinese_character():
    assert words("Pause(orderId, until); return ORDER.id") == [
        "pause", "orderid", "until", "return", "order", "id",
    ]  # fmt: skip
    assert words("暂停定期转账 AC 1") == ["暂", "停", "定", "期", "转", "账", "ac", "1"]
    assert ngrams("a b c", 2) == [("a", "b"), ("b", "c")] and ngrams("a b", 3) == []


def test_given_a_train_record_sharing_an_eval_answers_ngram_when_decontaminated_then_dropped():
    frame = records(
        ("e1", "story", "eval", "topic", f"User Story: x\n{SHARED}", "eval.md"),
        ("t1", "tasks", "train", f"AC 1: {SHARED.upper()}!", "Tasks: x", "copy.feature"),
        ("t2", "story", "train", "topic", "an active standing order to my landlord", "other.md"),
        ("t3", "story", "train", "e1's answer is not an input here", "Tasks: x", "x.md"),
    )
    kept, rejects = decontaminate(frame, 13)
    assert list(kept["record_id"]) == ["e1", "t2", "t3"]
    (reject,) = rejects
    assert (reject.asset_id, reject.task) == ("copy.feature", "tasks")
    assert reject.reason.startswith("contaminated: shares the 13-gram 'given an active")
    assert reject.reason.endswith("with eval record e1 (story)")


def test_given_a_shorter_ngram_or_none_when_decontaminated_then_the_setting_decides():
    frame = records(
        ("e1", "t", "eval", "x", "alpha beta gamma delta", "a"),
        ("t1", "t", "train", "beta gamma delta", "y", "b"),
    )
    assert decontaminate(frame, 13)[1] == []
    assert len(decontaminate(frame, 3)[1]) == 1
    assert decontaminate(frame, 0)[1] == []  # turned off


def test_given_a_frozen_eval_set_when_decontaminated_then_its_assets_and_ngrams_stay_out():
    frame = records(
        ("t1", "story", "train", "topic", "User Story: y", "frozen.md"),
        ("t2", "story", "train", "topic", f"copy: {SHARED}", "elsewhere.md"),
        ("t3", "story", "train", "topic", "unrelated answer", "clean.md"),
    )
    frame["assets"] = frame["asset_id"].map(lambda asset: [asset])
    frozen = [{"record_id": "f1", "task": "story", "asset_id": "frozen.md", "output": SHARED}]
    kept, rejects = decontaminate(frame, 13, frozen)
    assert list(kept["record_id"]) == ["t3"]
    assert rejects[0].reason == "in the frozen eval set: shares an asset with f1"
    assert rejects[1].reason.endswith("with eval record f1 (story)")
