"""The base model's scores on the eval set: `python -m tasks.evaluate.base` (stage evaluate_base).

The base model and the frozen eval set change rarely, so these scores are computed once and
reused by every evaluation; they carry the digests they were computed for, and evaluate
recomputes them when those no longer match (another base model, eval set or setting).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from tasks.base_model import resolve
from tasks.evaluate.runner import EvalSet, prepare_eval_set, run_model
from tasks.generation import load_model
from tasks.io import read_json, read_jsonl, write_json, write_jsonl
from tasks.params import Params, load_params, step_parser

GENERATIONS, SUMMARY = "generations.jsonl", "summary.json"


def settings_digest(params: Params) -> str:
    """What changes the base model's scores besides the model and the eval set."""
    step = params.evaluate
    settings = {
        "system": params.prompt.system,
        "max_record_tokens": params.build_dataset.max_record_tokens,
        "budget": [step.budget_margin_tokens, step.max_new_tokens],
        "execution": step.execution.model_dump(),
        "resample": step.resample.model_dump(),
    }
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()


def base_model_digest(params: Params) -> str:
    """The base model's content digest from its descriptor."""
    return read_json(params.base_model.descriptor)["sha256"]


def expected_key(params: Params, eval_set: EvalSet) -> dict:
    """The digests a stored base evaluation must carry to be reused."""
    return {
        "base_model_sha256": base_model_digest(params),
        "eval_set_sha256": eval_set.sha256,
        "settings_sha256": settings_digest(params),
    }


def read_base(params: Params, eval_set: EvalSet) -> tuple[list[dict], dict] | None:
    """Stored base rows and summary when they were computed for this model, set and settings."""
    folder = Path(params.evaluate.base_dir)
    if not (folder / SUMMARY).exists() or not (folder / GENERATIONS).exists():
        return None
    summary = read_json(folder / SUMMARY)
    if any(summary.get(k) != v for k, v in expected_key(params, eval_set).items()):
        return None
    return read_jsonl(folder / GENERATIONS), summary


def evaluate_base(
    params: Params, model, tokenizer, eval_set: EvalSet, store: bool = True
) -> tuple[list[dict], dict]:
    """Score the base model; with `store`, save rows and summary (with digests) in base_dir."""
    rows, summary = run_model("base", model, tokenizer, eval_set, params)
    summary |= expected_key(params, eval_set) | {"eval_set": eval_set.label}
    if store:
        folder = Path(params.evaluate.base_dir)
        write_jsonl(folder / GENERATIONS, rows)
        write_json(folder / SUMMARY, summary)
    return rows, summary


def main(argv: list[str] | None = None) -> None:
    args = step_parser("Step 4a: score the base model on the eval set.").parse_args(argv)
    params = load_params(args.params)
    model, tokenizer = load_model(resolve(params.base_model))
    eval_set = prepare_eval_set(params, tokenizer, probes=False)
    rows, summary = evaluate_base(params, model, tokenizer, eval_set)
    print(f"base: {len(rows)} eval records scored in {summary['seconds']:.0f}s ({eval_set.label})")


if __name__ == "__main__":
    main()
