"""Where a fine-tune round starts: the base model or the registry's promoted adapter.

`finetune.init: promoted` continues from the promoted bundle's adapter (verified against its
manifest first, as serve and evaluate do) and trains on the train split's *new* records plus a
replay share of the earlier ones:

- a record's content id is the sha256 of its task, instruction, input and output;
- the promoted version's bundle holds the trainer_state of the round that made it, whose
  `data.content_ids` are the content ids of the whole train split that round started from;
- new: records of today's train split whose content id is not among those (new or changed
  assets, feedback merged since then); earlier: the others. The round trains on every new
  record and on `round(share / (1 - share) * new)` earlier ones (at most all of them), drawn
  with `finetune.seed`, so replayed records are `share` of the round. Training draws the new
  records first (each task's, in every epoch): a round shorter than an epoch still learns
  every one of them, and the replay fills the rest of its steps.

Which adapter a round starts from, and the init pointer naming it, are tasks/init_pointer.py's
(export rewrites the pointer after a promotion).
"""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from dataclasses import dataclass
from typing import Any

from tasks.init_pointer import WEIGHTS, InitAdapter


def content_id(record: dict) -> str:
    """What a record teaches: its task, instruction, input and output (not where it came from)."""
    text = "\0".join(str(record.get(k, "")) for k in ("task", "instruction", "input", "output"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def record_key(record: dict) -> str:
    """The dataset's record id (step 2 writes one on every record), else the content id."""
    return record.get("record_id") or content_id(record)


def tensors_sha256(tensors: dict[str, Any]) -> str:
    """Digest of named tensors (sorted by name, as float32 bytes): equal weights, equal digest."""
    digest = hashlib.sha256()
    for name in sorted(tensors):
        digest.update(name.encode() + b"\0")
        digest.update(tensors[name].detach().cpu().float().contiguous().numpy().tobytes())
    return digest.hexdigest()


@dataclass
class Selection:
    """The records a continued round trains on."""

    records: list[dict]  # in the train split's order
    new: int
    replayed: int
    earlier: int  # earlier records available for replay
    new_indices: tuple[int, ...] = ()  # which of `records` are new: training draws them first


def select(
    records: list[dict],
    seen: set[str],
    share: float,
    seed: int,
    seen_events: frozenset[str] | set[str] = frozenset(),
) -> Selection:
    """Every new record plus a seed-drawn replay share of the earlier ones (module docstring).

    New: content the adapter never trained on, or a record of feedback events it has not
    learned from (`seen_events`) - an edit that turns a failed answer into the answer the
    adapter was trained on already is still news: that prompt needs more training."""

    ids = [content_id(r) for r in records]  # once per record: each one hashes the record
    fresh = [
        cid not in seen or bool(set(r.get("event_ids") or []) - seen_events)
        for r, cid in zip(records, ids, strict=True)
    ]
    new = sum(fresh)
    earlier = sorted((i for i, f in enumerate(fresh) if not f), key=ids.__getitem__)
    if not new:
        return Selection([], 0, 0, len(earlier))
    count = min(len(earlier), round(share / (1 - share) * new))
    chosen = {ids[i] for i in random.Random(seed).sample(earlier, count)}
    kept = [i for i, f in enumerate(fresh) if f or ids[i] in chosen]
    first = tuple(j for j, i in enumerate(kept) if fresh[i])
    return Selection([records[i] for i in kept], new, count, len(earlier), first)


def lora_mismatch(model: Any, adapter: InitAdapter) -> str:
    """How the promoted adapter's LoRA shape differs from the model's (empty when it fits)."""
    config = model.peft_config["default"]
    ours = {"r": config.r, "lora_alpha": config.lora_alpha,
            "target_modules": sorted(config.target_modules)}  # fmt: skip
    targets = adapter.lora.get("target_modules")
    theirs = dict(adapter.lora) | {
        "target_modules": sorted([targets] if isinstance(targets, str) else targets or [])
    }
    differs = [k for k in ours if theirs.get(k) != ours[k]]
    return "; ".join(f"{k} {theirs.get(k)} (finetune.lora: {ours[k]})" for k in differs)


def load_adapter_weights(model: Any, adapter: InitAdapter) -> str:
    """Load the promoted adapter's LoRA weights into `model` (after checking their sha256 and
    shape); the digest of the weights as loaded (`tensors_sha256`)."""
    from peft import get_peft_model_state_dict, set_peft_model_state_dict
    from safetensors.torch import load_file

    from tasks.io import sha256_file

    if problem := lora_mismatch(model, adapter):
        raise SystemExit(
            f"the promoted adapter {adapter.version} has another LoRA shape than finetune.lora: "
            f"{problem}. Set finetune.lora to the adapter's, or finetune.init: base"
        )
    path = adapter.adapter_dir / WEIGHTS
    if sha256_file(path) != adapter.weights_sha256:  # changed since it was verified
        raise SystemExit(f"{path} no longer matches its bundle manifest; refusing to load it")
    weights = load_file(path)
    result = set_peft_model_state_dict(model, weights)
    if result.unexpected_keys:
        unexpected = result.unexpected_keys[:3]
        raise SystemExit(f"{path}: weights the model has no place for: {unexpected}")
    loaded = get_peft_model_state_dict(model)
    if set(loaded) != set(weights):
        missing = sorted(set(loaded) - set(weights))[:3]
        raise SystemExit(f"{path} lacks LoRA weights the model has: {missing}")
    return tensors_sha256(loaded)


def focused_weights(
    selection: Selection, weights: dict[str, float], focus: float
) -> dict[str, float]:
    """Turns per task for a continued round: each task's `weights` entry (default 1) times
    1 + `focus` x its new records that are corrections (origin feedback_edit)."""
    records = [selection.records[i] for i in selection.new_indices]
    corrections = Counter(r["task"] for r in records if r.get("origin") == "feedback_edit")
    if not focus or not corrections:
        return dict(weights)
    tasks = {r["task"] for r in selection.records} | set(weights)
    return {t: weights.get(t, 1.0) * (1 + focus * corrections.get(t, 0)) for t in sorted(tasks)}
