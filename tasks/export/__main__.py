"""Assemble the bundle, then publish it to the local registry (and S3 when configured).

Bundle: adapter, tokenizer, prompts, generation config, model card, IDE connection files
(autodev.json, continue.yaml, IDE.md), an Ollama Modelfile, optionally a merged model, and a
manifest with the sha256 of every file.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from tasks.base_model import resolve
from tasks.export.bundle_recipes import MODELFILE, engine_recipes, modelfile
from tasks.export.card import model_card
from tasks.export.figures import write_figures
from tasks.export.ide import autodev_config, continue_yaml, ide_readme
from tasks.export.merge import save_merged
from tasks.init_pointer import TRAINER_STATE, write_pointer
from tasks.io import apply_umask, read_json, sha256_file, write_json
from tasks.params import Params, load_params, step_parser
from tasks.registry import MANIFEST, publish
from tasks.task_specs import all_instructions

TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "chat_template.jinja",
                   "special_tokens_map.json")  # fmt: skip


def bundle_version(params: Params, adapter_dir: Path) -> str:
    """Content-derived version: the same adapter and prompts always give the same version."""
    digest = hashlib.sha256()
    for path in sorted(adapter_dir.iterdir()):
        digest.update(path.name.encode() + sha256_file(path).encode())
    digest.update(params.prompt.system.encode())
    return f"{params.base_model.name}-lora-{digest.hexdigest()[:12]}"


def write_manifest(
    bundle: Path, version: str, base_model: str, promoted: bool, lineage: dict | None = None
) -> dict:
    """manifest.json: the version, how it was judged, and the sha256 of every other file."""
    files = {
        p.relative_to(bundle).as_posix(): sha256_file(p)
        for p in sorted(bundle.rglob("*"))
        if p.is_file() and p.name != MANIFEST
    }
    manifest = {"version": version, "base_model": base_model, "promoted": promoted}
    manifest |= (lineage or {}) | {"files": files}
    write_json(bundle / MANIFEST, manifest)
    return manifest


def assemble_bundle(params: Params, bundle: Path, base_dir: Path) -> dict:
    """Write the whole bundle for the current adapter into `bundle`; return its manifest."""
    adapter_dir = Path(params.finetune.adapter_dir)
    shutil.rmtree(bundle, ignore_errors=True)
    # without peft's README.md, an empty model-card template: MODEL_CARD.md describes the adapter
    shutil.copytree(adapter_dir, bundle / "adapter", ignore=shutil.ignore_patterns("README.md"))
    trainer_state = Path(params.finetune.trainer_state)
    state = read_json(trainer_state) if trainer_state.is_file() else {}
    if state:  # the round's lineage: what it started from and trained on (tasks.lineage)
        shutil.copy2(trainer_state, bundle / TRAINER_STATE)
    (bundle / "tokenizer").mkdir()
    for name in TOKENIZER_FILES:
        if (base_dir / name).exists():
            shutil.copy2(base_dir / name, bundle / "tokenizer" / name)
    if params.export.merged:
        save_merged(base_dir, adapter_dir, bundle / "merged")
    version = bundle_version(params, adapter_dir)
    write_json(
        bundle / "generation_config.json",
        {"max_new_tokens": params.evaluate.max_new_tokens, "do_sample": False},
    )
    write_json(
        bundle / "prompts.json",
        {
            "system": params.prompt.system,
            "user_message": "{instruction}\n\n{input}",
            "instructions": all_instructions(),
        },
    )
    metrics = read_json(params.evaluate.details)
    decision = read_json(params.evaluate.promotion)
    (bundle / MODELFILE).write_text(modelfile(params, version, bundle))
    engines = engine_recipes(params, version, bundle)
    figures = write_figures(bundle, params.finetune.live_dir, metrics)
    (bundle / "MODEL_CARD.md").write_text(
        model_card(params, version, metrics, decision, state, engines=engines, figures=figures)
    )
    write_json(bundle / "autodev.json", autodev_config(params.serve, version))
    (bundle / "IDE.md").write_text(ide_readme(params.serve, version, engines))
    (bundle / "continue.yaml").write_text(
        continue_yaml(params.serve, version, context_length(base_dir))
    )
    experiment = experiment_name()
    compared = decision.get("promoted_bundle")
    lineage = {
        "gate_passed": decision["promoted"],
        "experiment": experiment,  # set: a candidate; only the main line moves the pointer
        "compared_with": Path(compared).name if compared else None,
        "eval_set_sha256": decision.get("eval_set_sha256"),
        # lineage: the adapter the round started from and the train split it read
        "init": state.get("init", {"from": "base"} if state else None),
        "train_sha256": state.get("train_sha256"),
    }
    promoted = decision["promoted"] and experiment is None
    apply_umask(bundle)  # readable as the umask allows (peft / safetensors write 0600)
    return write_manifest(bundle, version, params.base_model.name, promoted, lineage)


def context_length(base_dir: Path) -> int | None:
    """The base model's context in tokens (what the server checks prompts against), if known."""
    config = base_dir / "config.json"
    return read_json(config).get("max_position_embeddings") if config.is_file() else None


def experiment_name() -> str | None:
    """The experiment this run belongs to: `dvc exp run` sets DVC_EXP_NAME, the flywheel flow
    with --experiment sets LLMOPS_EXPERIMENT; None on the main line."""
    return os.environ.get("DVC_EXP_NAME") or os.environ.get("LLMOPS_EXPERIMENT") or None


def main(argv: list[str] | None = None) -> None:
    args = step_parser("Step 5: export the model bundle and publish it.").parse_args(argv)
    params = load_params(args.params)
    bundle = Path(params.export.bundle_dir)
    manifest = assemble_bundle(params, bundle, resolve(params.base_model))
    version, promoted, experiment = (
        manifest["version"],
        manifest["promoted"],
        manifest["experiment"],
    )
    print(f"bundle {version} at {bundle} ({len(manifest['files'])} files, promoted={promoted})")
    if manifest["gate_passed"] and experiment:
        print(
            f"experiment {experiment}: {version} passed the gate and is published as a candidate; "
            f"the promoted model is unchanged (`python -m tasks.export.promote {version}`)"
        )
    publish(bundle, params.export.registry_dir, promote=promoted)
    print(f"registry {params.export.registry_dir}: published {version}, promoted={promoted}")
    write_pointer(params)  # finetune.init: promoted: the next round starts from the new one
    if params.export.s3.bucket:
        from tasks.export.s3 import publish_s3

        s3 = publish_s3(bundle, params.export.s3, promote=promoted)
        print(
            f"s3://{params.export.s3.bucket}/{params.export.s3.prefix}: {len(s3.uploaded)} "
            f"uploaded, {len(s3.skipped)} already there, promoted={s3.promoted}"
        )


if __name__ == "__main__":
    main()
