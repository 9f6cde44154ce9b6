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

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

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


def _first_seen_groups(columns: list[pa.ChunkedArray]) -> np.ndarray:
    # Per row, the number of its distinct key (the values of all `columns`), numbered in order
    # of first appearance. Plain integer codes and numpy, so the order never depends on how a
    # hash table or a thread pool happened to visit the rows.
    codes = np.zeros(len(columns[0]), dtype=np.int64)
    for column in columns:
        encoded = column.combine_chunks().dictionary_encode(null_encoding="encode")
        values = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        _, codes = np.unique(codes * len(encoded.dictionary) + values, return_inverse=True)
    _, first_rows, codes = np.unique(codes, return_index=True, return_inverse=True)
    rank = np.empty(len(first_rows), dtype=np.int64)
    rank[np.argsort(first_rows, kind="stable")] = np.arange(len(first_rows))
    return rank[codes.reshape(-1)]


def _merged(table: pa.Table, keys: list[str]) -> pa.Table:
    # Distinct `keys` in first-seen order, each with every event id behind it (`ids`, in row
    # order) and whether any of them was an edit (`edited`).
    if table.num_rows == 0:
        empty = {"ids": pa.array([], pa.list_(pa.string())), "edited": pa.array([], pa.bool_())}
        return (
            table.select(keys)
            .append_column("ids", empty["ids"])
            .append_column("edited", empty["edited"])
        )
    groups = _first_seen_groups([table[key] for key in keys])
    order = np.argsort(groups, kind="stable")  # rows by group, each group in row order
    offsets = np.concatenate([[0], np.cumsum(np.bincount(groups))])
    is_edit = pc.equal(table["action"], "edit").to_numpy(zero_copy_only=False)[order]
    ids = pa.ListArray.from_arrays(
        pa.array(offsets, pa.int32()), table["event_id"].take(pa.array(order)).combine_chunks()
    )
    merged = table.select(keys).take(pa.array(order[offsets[:-1]]))
    merged = merged.append_column("ids", ids)
    return merged.append_column("edited", pa.array(np.logical_or.reduceat(is_edit, offsets[:-1])))


def _of_actions(events: pa.Table, *actions: str) -> pa.Table:
    return events.filter(pc.is_in(events["action"], pa.array(actions)))


def _distinct_prompts(prompts: pa.ChunkedArray) -> tuple[list[str], pa.Array]:
    # Distinct prompt texts and, per row, the index of its prompt among them.
    encoded = prompts.combine_chunks().dictionary_encode()
    return encoded.dictionary.to_pylist(), encoded.indices


def sft_records(events: pa.Table) -> list[dict]:
    """SFT records in build_dataset's input form, with their event ids."""
    kept = _of_actions(events, "accept", "edit")
    answers = pc.if_else(
        pc.equal(kept["action"], "edit"), kept["edited_completion"], kept["completion"]
    )
    prompts, prompt_index = _distinct_prompts(kept["prompt"])
    turns = [split_user_turn(prompt) for prompt in prompts]  # each distinct prompt once
    keyed = pa.table(
        {
            "task": kept["task"],
            "instruction": pa.array([t[0] for t in turns]).take(prompt_index),
            "input": pa.array([t[1] for t in turns]).take(prompt_index),
            "answer": answers,
            "event_id": kept["event_id"],
            "action": kept["action"],
        }
    )
    merged = _merged(keyed, ["task", "instruction", "input", "answer"]).to_pydict()
    return [
        {
            "instruction": instruction,
            "input": input_text,
            "output": answer,
            "task": task,
            "language": answer_language(task, answer),
            "asset_id": f"feedback:{ids[0]}",
            "origin": "feedback_edit" if edited else "feedback_accept",
            "event_ids": ids,
        }
        for task, instruction, input_text, answer, ids, edited in zip(*merged.values(), strict=True)
    ]


def _prompt_messages(prompts: list[str]) -> list[list[dict]]:
    parsed = {prompt: orjson.loads(prompt) for prompt in dict.fromkeys(prompts)}
    return [parsed[prompt] for prompt in prompts]


def dpo_pairs(events: pa.Table) -> list[dict]:
    """Preference pairs from edits: chosen = the user's edit, rejected = the model's answer."""
    merged = _merged(
        _of_actions(events, "edit"), ["task", "prompt", "edited_completion", "completion"]
    ).to_pydict()
    prompts = _prompt_messages(merged["prompt"])
    return [
        {"prompt": prompt, "chosen": chosen, "rejected": rejected, "task": task, "event_ids": ids}
        for task, prompt, chosen, rejected, ids in zip(
            merged["task"], prompts, merged["edited_completion"], merged["completion"],
            merged["ids"], strict=True)
    ]  # fmt: skip


def kto_examples(events: pa.Table) -> list[dict]:
    """Unpaired examples: accepted answers labelled true, rejected answers labelled false."""
    rated = _of_actions(events, "accept", "reject")
    rated = rated.append_column("label", pc.equal(rated["action"], "accept"))
    merged = _merged(rated, ["task", "prompt", "completion", "label"]).to_pydict()
    prompts = _prompt_messages(merged["prompt"])
    return [
        {"prompt": prompt, "completion": completion, "label": label, "task": task,
         "event_ids": ids}
        for task, prompt, completion, label, ids in zip(
            merged["task"], prompts, merged["completion"], merged["label"], merged["ids"],
            strict=True)
    ]  # fmt: skip
