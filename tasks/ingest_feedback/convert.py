"""Ingested events -> SFT records (accept, edit), DPO pairs (edit) and KTO examples.

accept: an SFT record with the answer as given, and a KTO positive; edit: an SFT record with
the user's edited answer, and a DPO pair (chosen = edit, rejected = original); reject: a KTO
negative. Identical examples from several events become one, listing all their event ids, so
every record can be traced back to the feedback behind it.
"""

from __future__ import annotations

import ast
import re
import textwrap
from collections.abc import Iterable

import orjson
import pandas as pd

_JAVA_PUNCTUATION = re.compile(r"[{};]")


def answer_language(task: str, answer: str) -> str:
    """The language an answer is written in, as build_dataset's validators expect it."""
    if task in {"implement_method", "write_test"}:
        if not _JAVA_PUNCTUATION.search(answer):
            return "python"  # no brace or semicolon: not Java, no need to parse
        try:
            ast.parse(textwrap.dedent(answer))
        except SyntaxError:
            return "java"
        return "python"
    if task == "create_agile_user_story":
        return "zh" if re.search(r"[\u4e00-\u9fff]", answer) else "en"
    return {"design_restful_api": "markdown", "design_plantuml_datastructure": "plantuml"}.get(
        task, ""
    )


def split_user_turn(prompt_json: str) -> tuple[str, str]:
    """(instruction, input) of the last user turn: the inverse of prompting.user_message.

    The same split as the asset-built records, so build_dataset's duplicate check sees a
    feedback record and an asset record with the same input and answer as duplicates.
    """
    user_turn = [m["content"] for m in orjson.loads(prompt_json) if m["role"] == "user"][-1]
    instruction, _, input_text = user_turn.strip().partition("\n\n")
    return instruction.strip(), input_text.strip()


def _merged(keys: Iterable[tuple], event_ids: Iterable[str], actions: Iterable[str]) -> dict:
    """Distinct keys in first-seen order -> (every event id behind it, their actions)."""
    merged: dict[tuple, tuple[list[str], set[str]]] = {}
    for key, event_id, action in zip(keys, event_ids, actions, strict=True):
        ids, seen_actions = merged.setdefault(key, ([], set()))
        ids.append(event_id)
        seen_actions.add(action)
    return merged


def sft_records(events: pd.DataFrame) -> list[dict]:
    """SFT records in build_dataset's input form, with their event ids."""
    kept = events[events["action"].isin(["accept", "edit"])]
    answers = kept["edited_completion"].where(kept["action"] == "edit", kept["completion"])
    keys = (
        (task, *split_user_turn(prompt), answer)
        for task, prompt, answer in zip(kept["task"], kept["prompt"], answers, strict=True)
    )
    merged = _merged(keys, kept["event_id"], kept["action"])
    return [
        {
            "instruction": instruction,
            "input": input_text,
            "output": answer,
            "task": task,
            "language": answer_language(task, answer),
            "asset_id": f"feedback:{ids[0]}",
            "origin": "feedback_edit" if "edit" in actions else "feedback_accept",
            "event_ids": ids,
        }
        for (task, instruction, input_text, answer), (ids, actions) in merged.items()
    ]


def dpo_pairs(events: pd.DataFrame) -> list[dict]:
    """Preference pairs from edits: chosen = the user's edit, rejected = the model's answer."""
    edits = events[events["action"] == "edit"]
    columns = [edits[c] for c in ("task", "prompt", "edited_completion", "completion")]
    merged = _merged(zip(*columns, strict=True), edits["event_id"], edits["action"])
    return [
        {"prompt": orjson.loads(prompt), "chosen": chosen, "rejected": rejected, "task": task,
         "event_ids": ids}
        for (task, prompt, chosen, rejected), (ids, _) in merged.items()
    ]  # fmt: skip


def kto_examples(events: pd.DataFrame) -> list[dict]:
    """Unpaired examples: accepted answers labelled true, rejected answers labelled false."""
    rated = events[events["action"].isin(["accept", "reject"])]
    columns = [rated["task"], rated["prompt"], rated["completion"], rated["action"] == "accept"]
    merged = _merged(zip(*columns, strict=True), rated["event_id"], rated["action"])
    return [
        {"prompt": orjson.loads(prompt), "completion": completion, "label": bool(label),
         "task": task, "event_ids": ids}
        for (task, prompt, completion, label), (ids, _) in merged.items()
    ]  # fmt: skip
