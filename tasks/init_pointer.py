"""Where a fine-tune round starts, as every step reads it: the base model or the registry's
promoted adapter (`finetune.init`), and the init pointer naming it.

The init pointer (`finetune.init_pointer`, a dep of the finetune stage) names the adapter a
round starts from. It is `{"init": "base"}` while init is base, so a promotion never makes DVC
retrain a base round; with promoted it names the version and the sha256 of its weights, so a
new promotion makes the next `dvc repro` train again. Finetune, export and
`tasks.export.promote` rewrite it from the registry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tasks.io import read_json, write_json
from tasks.params import FinetuneParams, Params
from tasks.registry import MANIFEST, promoted_bundle

ADAPTER = "adapter"  # the adapter's folder in a bundle
WEIGHTS = "adapter_model.safetensors"
ADAPTER_CONFIG = "adapter_config.json"
TRAINER_STATE = "trainer_state.json"  # the round's trainer_state, copied into the bundle


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
