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
  with `finetune.seed`, so replayed records are `share` of the round.

The init pointer (`finetune.init_pointer`, a dep of the finetune stage) names the adapter a
round starts from. It is `{"init": "base"}` while init is base, so a promotion never makes DVC
retrain a base round; with promoted it names the version and the sha256 of its weights, so a
new promotion makes the next `dvc repro` train again. Finetune, export and
`tasks.export.promote` rewrite it from the registry.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tasks.io import read_json, write_json
from tasks.params import FinetuneParams, Params
from tasks.registry import MANIFEST, promoted_bundle

ADAPTER = "adapter"  # the adapter's folder in a bundle
WEIGHTS = "adapter_model.safetensors"
ADAPTER_CONFIG = "adapter_config.json"
TRAINER_STATE = "trainer_state.json"  # the round's trainer_state, copied into the bundle


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
class InitAdapter:
    """The promoted adapter a round continues from."""

    version: str
    bundle: Path
    weights_sha256: str  # of adapter/adapter_model.safetensors, as the manifest records it
    trainer_state: dict | None = None  # the round that made it (None: exported before lineage)
    lora: dict = field(default_factory=dict)  # r, lora_alpha, target_modules of its config

    @property
    def adapter_dir(self) -> Path:
        return self.bundle / ADAPTER

    def identity(self) -> dict:
        return {"from": "promoted", "version": self.version, "weights_sha256": self.weights_sha256}

    def seen_content_ids(self) -> set[str]:
        ids = ((self.trainer_state or {}).get("data") or {}).get("content_ids")
        if ids is None:
            raise SystemExit(
                f"finetune.init is promoted, but the promoted version {self.version} records no "
                f"train split content ids ({self.bundle / TRAINER_STATE}: data.content_ids; it "
                "was exported before lineage was recorded), so which records are new is unknown: "
                "set finetune.init: base for this round"
            )
        return set(ids)

    def seen_event_ids(self) -> set[str]:
        """The feedback events the promoted adapter learned from (its visited records')."""
        return set(((self.trainer_state or {}).get("data") or {}).get("event_ids") or [])


def resolve(params: Params) -> tuple[InitAdapter | None, str]:
    """The adapter this round starts from (None: the base model), and a note when init is
    promoted but the round falls back to the base model (nothing promoted yet)."""
    if params.finetune.init == "base":
        return None, ""
    registry = params.export.registry_dir
    bundle = promoted_bundle(registry, verify=True)  # a tampered bundle fails here, loudly
    if bundle is None:
        return None, (
            f"finetune.init is promoted, but nothing is promoted in {registry} yet: "
            "this round trains from the base model"
        )
    manifest = read_json(bundle / MANIFEST)
    weights = manifest["files"].get(f"{ADAPTER}/{WEIGHTS}")
    if not weights:
        raise SystemExit(f"promoted bundle {bundle} has no {ADAPTER}/{WEIGHTS} in its manifest")
    state_file = bundle / TRAINER_STATE
    config = read_json(bundle / ADAPTER / ADAPTER_CONFIG)
    adapter = InitAdapter(
        version=manifest["version"],
        bundle=bundle,
        weights_sha256=weights,
        trainer_state=read_json(state_file) if state_file.is_file() else None,
        lora={k: config.get(k) for k in ("r", "lora_alpha", "target_modules")},
    )
    return adapter, ""


def pointer(step: FinetuneParams, adapter: InitAdapter | None, note: str = "") -> dict:
    """The init pointer's content: constant while init is base."""
    if step.init == "base":
        return {"init": "base"}
    if adapter is None:
        return {"init": "promoted", "version": None, "note": note}
    return {"init": "promoted"} | {k: v for k, v in adapter.identity().items() if k != "from"}


def write_pointer(params: Params, content: dict | None = None) -> dict:
    """Write the init pointer (`content`, else resolved from the registry now) if it changed."""
    content = content if content is not None else pointer(params.finetune, *resolve(params))
    path = Path(params.finetune.init_pointer)
    if not path.is_file() or read_json(path) != content:
        write_json(path, content)
    return content


@dataclass
class Selection:
    """The records a continued round trains on."""

    records: list[dict]  # in the train split's order
    new: int
    replayed: int
    earlier: int  # earlier records available for replay


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

    def is_new(r: dict) -> bool:
        return content_id(r) not in seen or bool(set(r.get("event_ids") or []) - seen_events)

    new = [r for r in records if is_new(r)]
    earlier = sorted((r for r in records if not is_new(r)), key=content_id)
    if not new:
        return Selection([], 0, 0, len(earlier))
    count = min(len(earlier), round(share / (1 - share) * len(new)))
    chosen = {content_id(r) for r in random.Random(seed).sample(earlier, count)}
    kept = [r for r in records if is_new(r) or content_id(r) in chosen]
    return Selection(kept, len(new), count, len(earlier))


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
