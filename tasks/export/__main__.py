"""Assemble the bundle: adapter, tokenizer, prompts, generation config, model card, manifest."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from tasks.base_model import resolve
from tasks.build_dataset.instructions import all_instructions
from tasks.io import read_json, sha256_file, write_json
from tasks.params import Params, load_params, step_parser

TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "chat_template.jinja",
                   "special_tokens_map.json")  # fmt: skip


def _git_commit() -> str:
    result = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True)
    return result.stdout.strip() if result.returncode == 0 else "unknown"


def bundle_version(params: Params, adapter_dir: Path) -> str:
    """Content-derived version: the same adapter and prompts always give the same version."""
    digest = hashlib.sha256()
    for path in sorted(adapter_dir.iterdir()):
        digest.update(path.name.encode() + sha256_file(path).encode())
    digest.update(params.prompt.system.encode())
    return f"{params.base_model.name}-lora-{digest.hexdigest()[:12]}"


def model_card(params: Params, version: str, metrics: dict, decision: dict) -> str:
    """Markdown model card: lineage, params, metrics and the promotion decision."""
    base = read_json(params.base_model.descriptor)
    data = params.build_dataset
    step, lora = params.finetune, params.finetune.lora
    verdict = "promoted" if decision["promoted"] else "not promoted"
    lines = [
        f"# {version}",
        "",
        f"LoRA adapter for `{base['name']}`, fine-tuned on this organisation's assets.",
        "",
        f"- Base model: `{base['name']}` from `{base['source']}` (sha256 `{base['sha256'][:16]}`)",
        f"- Training data: `{data.train}` (sha256 `{sha256_file(data.train)[:16]}`)",
        f"- Eval data: `{data.eval}` (sha256 `{sha256_file(data.eval)[:16]}`)",
        f"- Git commit: `{_git_commit()}`",
        f"- Exported: {datetime.now(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}",
        f"- LoRA: r={lora.r}, alpha={lora.alpha}, dropout={lora.dropout}, "
        f"targets={lora.target_modules}",
        f"- Training: {step.max_steps} steps, micro-batch {step.micro_batch_size}, "
        f"lr {step.learning_rate}, seed {step.seed}",
        f"- Promotion: {verdict}: {' '.join(decision['reasons'])}",
        "",
        "| task | format valid, base | tuned | answer loss, base | tuned |",
        "| --- | --- | --- | --- | --- |",
    ]
    for task, tuned in metrics["tuned"].items():
        base = metrics["base"][task]
        lines.append(
            f"| {task} | {base['format_valid']:.2f} | {tuned['format_valid']:.2f} | "
            f"{base['answer_loss']:.3f} | {tuned['answer_loss']:.3f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    args = step_parser("Step 5: export the model bundle.").parse_args(argv)
    params = load_params(args.params)
    bundle = Path(params.export.bundle_dir)
    adapter_dir = Path(params.finetune.adapter_dir)
    shutil.rmtree(bundle, ignore_errors=True)
    shutil.copytree(adapter_dir, bundle / "adapter")
    base_dir = resolve(params.base_model)
    (bundle / "tokenizer").mkdir()
    for name in TOKENIZER_FILES:
        if (base_dir / name).exists():
            shutil.copy2(base_dir / name, bundle / "tokenizer" / name)
    version = bundle_version(params, adapter_dir)
    write_json(
        bundle / "generation_config.json",
        {
            "max_new_tokens": params.evaluate.max_new_tokens,
            "do_sample": False,
        },
    )
    write_json(
        bundle / "prompts.json",
        {
            "system": params.prompt.system,
            "user_message": "{instruction}\n\n{input}",
            "instructions": all_instructions(),
        },
    )
    metrics = read_json(params.evaluate.metrics)
    decision = read_json(params.evaluate.promotion)
    (bundle / "MODEL_CARD.md").write_text(model_card(params, version, metrics, decision))
    files = {
        p.relative_to(bundle).as_posix(): sha256_file(p)
        for p in sorted(bundle.rglob("*"))
        if p.is_file()
    }
    write_json(
        bundle / "manifest.json",
        {
            "version": version,
            "base_model": params.base_model.name,
            "promoted": decision["promoted"],
            "files": files,
        },
    )
    print(f"bundle {version} at {bundle} ({len(files)} files, promoted={decision['promoted']})")


if __name__ == "__main__":
    main()
