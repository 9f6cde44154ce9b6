"""Ingested events -> SFT records (accept, edit), DPO pairs (edit) and KTO examples.

accept: an SFT record with the answer as given, and a KTO positive; edit: an SFT record with
the user's edited answer, and a DPO pair (chosen = edit, rejected = original); reject: a KTO
negative. Identical examples from several events become one, listing all their event ids, so
every record can be traced back to the feedback behind it.
"""

from __future__ import annotations

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from tasks.feedback_events import UNKNOWN_TASK
from tasks.task_specs import spec, specs


def answer_language(task: str, answer: str) -> str:
    """The language an answer is written in, as its task's validator expects it (its spec)."""
    return spec(task).language_of(answer) if task in specs() else ""


def split_user_turn(prompt_json: str) -> tuple[str, str]:
    """(instruction, input) of the last user turn: the inverse of prompting.user_message.

    The same split as the asset-built records, so build_dataset's duplicate check sees a
    feedback record and an asset record with the same input and answer as duplicates.
    """
    user_turn = [m["content"] for m in orjson.loads(prompt_json) if m["role"] == "user"][-1]
    instruction, _, input_text = user_turn.strip().partition("\n\n")
    return instruction.strip(), input_text.strip()


class Encoded:
    """The columns conversion reads, each dictionary-encoded once: an integer code per row and
    the distinct values. Selecting and grouping then move integers, never the texts (a million
    prompts are hundreds of MB); only each output's distinct examples become text again."""

    def __init__(self, events: pa.Table) -> None:
        self.event_id = events["event_id"]
        self.codes: dict[str, np.ndarray] = {}
        self.values: dict[str, pa.Array] = {}
        for name in ("task", "prompt", "completion", "edited_completion", "action"):
            encoded = events[name].combine_chunks().dictionary_encode(null_encoding="encode")
            self.codes[name] = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
            self.values[name] = encoded.dictionary
        # Per action, which rows have it: computed once, every conversion selects by them.
        codes = self.codes["action"]
        self._actions = {
            action: codes == code for code, action in enumerate(self.values["action"].to_pylist())
        }

    def is_action(self, action: str) -> np.ndarray:
        """Per row, whether the event's action is `action`."""
        return self._actions.get(action, np.zeros(len(self.codes["action"]), dtype=bool))

    def text(self, name: str, rows: np.ndarray) -> pa.Array:
        """The values of column `name` at `rows`."""
        return self.values[name].take(pa.array(self.codes[name][rows]))

    def sft_answers(self) -> tuple[np.ndarray, np.ndarray]:
        """Per row, a code for the SFT answer (the edit if there is one, else the completion),
        equal for equal texts whichever column they come from, and whether it is an edit."""
        is_edit = self.is_action("edit")
        completions = self.values["completion"]
        edits = self.values["edited_completion"]
        # An edited text equal to some completion takes that completion's code, others new ones.
        same = pc.fill_null(pc.index_in(edits, value_set=completions), -1)
        same = same.to_numpy(zero_copy_only=False).astype(np.int64)
        fresh = same < 0
        same[fresh] = len(completions) + np.arange(int(fresh.sum()))
        answer = np.where(is_edit, same[self.codes["edited_completion"]], self.codes["completion"])
        return answer, is_edit


def _code_of(encoded: Encoded, name: str, value: str) -> int:
    # The code of `value` in column `name`, -1 when no row has it.
    values = encoded.values[name].to_pylist()
    return values.index(value) if value in values else -1


def _first_seen_groups(keys: list[np.ndarray]) -> np.ndarray:
    # Per row, the number of its distinct key (the codes of all `keys`), numbered in order of
    # first appearance. Plain integer codes and numpy, so the order never depends on how a
    # hash table or a thread pool happened to visit the rows.
    codes = np.zeros(len(keys[0]), dtype=np.int64)
    for key in keys:
        _, codes = np.unique(codes * (int(key.max()) + 1) + key, return_inverse=True)
    _, first_rows, codes = np.unique(codes, return_index=True, return_inverse=True)
    rank = np.empty(len(first_rows), dtype=np.int64)
    rank[np.argsort(first_rows, kind="stable")] = np.arange(len(first_rows))
    return rank[codes.reshape(-1)]


def _merged(
    encoded: Encoded, rows: np.ndarray, keys: list[np.ndarray]
) -> tuple[np.ndarray, list[list[str]], np.ndarray]:
    # The distinct `keys` among `rows` (codes per row of the whole table) in first-seen order:
    # the first row of each, every event id behind it (in row order) and whether any of them
    # was an edit.
    if len(rows) == 0:
        return rows, [], np.zeros(0, dtype=bool)
    groups = _first_seen_groups([key[rows] for key in keys])
    order = np.argsort(groups, kind="stable")  # rows by group, each group in row order
    starts = np.concatenate([[0], np.cumsum(np.bincount(groups))])
    flat = encoded.event_id.take(pa.array(rows[order])).to_pylist()
    bounds = starts.tolist()
    ids = [flat[start:end] for start, end in zip(bounds, bounds[1:], strict=False)]
    edited = np.logical_or.reduceat(encoded.is_action("edit")[rows[order]], starts[:-1])
    return rows[order[starts[:-1]]], ids, edited


def _prompt_messages(encoded: Encoded, rows: np.ndarray) -> list[list[dict]]:
    codes = encoded.codes["prompt"][rows].tolist()
    parsed = {code: orjson.loads(encoded.values["prompt"][code].as_py()) for code in set(codes)}
    return [parsed[code] for code in codes]


def sft_records(events: pa.Table | Encoded) -> list[dict]:
    """SFT records in build_dataset's input form, with their event ids."""
    encoded = events if isinstance(events, Encoded) else Encoded(events)
    answer, is_edit = encoded.sft_answers()
    # An event of no known task (an IDE tool's chat) counts in the metrics, trains nothing.
    known = encoded.codes["task"] != _code_of(encoded, "task", UNKNOWN_TASK)
    rows = np.flatnonzero((is_edit | encoded.is_action("accept")) & known)
    # Instruction and input split from each distinct prompt once, coded as texts.
    turns = [split_user_turn(prompt) for prompt in encoded.values["prompt"].to_pylist()]
    split = []
    for part in (0, 1):
        texts = pa.array([turn[part] for turn in turns], pa.string()).dictionary_encode()
        per_prompt = texts.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        split.append(per_prompt[encoded.codes["prompt"]] if len(per_prompt) else per_prompt)
    keys = [encoded.codes["task"], *split, answer]
    first, ids, edited = _merged(encoded, rows, keys)
    prompts = encoded.codes["prompt"][first].tolist()
    answers = pc.if_else(
        pa.array(is_edit[first], pa.bool_()),
        encoded.text("edited_completion", first),
        encoded.text("completion", first),
    ).to_pylist()
    return [
        {
            "instruction": turns[prompt][0],
            "input": turns[prompt][1],
            "output": output,
            "task": task,
            "language": answer_language(task, output),
            "asset_id": f"feedback:{event_ids[0]}",
            "origin": "feedback_edit" if was_edited else "feedback_accept",
            "event_ids": event_ids,
        }
        for task, prompt, output, event_ids, was_edited in zip(
            encoded.text("task", first).to_pylist(), prompts, answers, ids, edited.tolist(),
            strict=True)
    ]  # fmt: skip


def dpo_pairs(events: pa.Table | Encoded) -> list[dict]:
    """Preference pairs from edits: chosen = the user's edit, rejected = the model's answer."""
    encoded = events if isinstance(events, Encoded) else Encoded(events)
    rows = np.flatnonzero(encoded.is_action("edit"))
    keys = [encoded.codes[name] for name in ("task", "prompt", "edited_completion", "completion")]
    first, ids, _ = _merged(encoded, rows, keys)
    return [
        {"prompt": prompt, "chosen": chosen, "rejected": rejected, "task": task, "event_ids": i}
        for task, prompt, chosen, rejected, i in zip(
            encoded.text("task", first).to_pylist(), _prompt_messages(encoded, first),
            encoded.text("edited_completion", first).to_pylist(),
            encoded.text("completion", first).to_pylist(), ids, strict=True)
    ]  # fmt: skip


def kto_examples(events: pa.Table | Encoded) -> list[dict]:
    """Unpaired examples: accepted answers labelled true, rejected answers labelled false."""
    encoded = events if isinstance(events, Encoded) else Encoded(events)
    accepted = encoded.is_action("accept")
    rows = np.flatnonzero(accepted | encoded.is_action("reject"))
    keys = [encoded.codes[name] for name in ("task", "prompt", "completion")]
    first, ids, _ = _merged(encoded, rows, [*keys, accepted.astype(np.int64)])
    return [
        {"prompt": prompt, "completion": completion, "label": label, "task": task,
         "event_ids": i}
        for task, prompt, completion, label, i in zip(
            encoded.text("task", first).to_pylist(), _prompt_messages(encoded, first),
            encoded.text("completion", first).to_pylist(), accepted[first].tolist(), ids,
            strict=True)
    ]  # fmt: skip
