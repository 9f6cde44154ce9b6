"""The base model's answers on the frozen eval set: `python -m tasks.evaluate.base`
(stage evaluate_base).

The base model and the frozen eval set change rarely, so the base model's raw answers (and
answer losses) are generated once and reused by every evaluation, which scores them again with
today's validators and sandbox: a change to a validator or to steps 1-2 never makes the base
model generate again. They carry the digests they were generated for (base model, eval set,
generation settings); evaluate generates them itself, for that run only, when those no longer
match or when there is no frozen eval set (`python -m tasks.evaluate.freeze` makes one).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path

from tasks.base_model import resolve
from tasks.evaluate.runner import EvalSet, prepare_eval_set, run_model, score_outputs
from tasks.generation import load_model
from tasks.io import read_json, read_jsonl, write_json, write_jsonl
from tasks.params import Params, load_params, step_parser

GENERATIONS, SUMMARY = "generations.jsonl", "summary.json"


def settings_digest(params: Params) -> str:
    """What changes the base model's answers besides the model and the eval set."""
    step = params.evaluate
    settings = {
        "system": params.prompt.system,
        "max_record_tokens": params.build_dataset.max_record_tokens,
        "budget": [step.budget_margin_tokens, step.max_new_tokens],
        "code_samples": [step.execution.samples, step.execution.temperature],
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
    """The stored base answers, scored now, when they were generated for this model, eval set
    and settings; else None."""
    folder = Path(params.evaluate.base_dir)
    if not (folder / SUMMARY).exists() or not (folder / GENERATIONS).exists():
        return None
    summary = read_json(folder / SUMMARY)
    if any(summary.get(k) != v for k, v in expected_key(params, eval_set).items()):
        return None
    return rescore(params, eval_set, read_jsonl(folder / GENERATIONS)), summary


def rescore(params: Params, eval_set: EvalSet, stored: list[dict]) -> list[dict]:
    """Score stored answers again (validators, metrics, sandboxed execution of today)."""
    by_id = {row["record_id"]: row for row in stored}
    rows = [by_id[r] for r in eval_set.frame["record_id"]]
    samples = {i: row["code_samples"] for i, row in enumerate(rows) if row.get("code_samples")}
    outputs = [row["output"] for row in rows]
    losses = [row["answer_loss"] for row in rows]
    return score_outputs("base", eval_set, outputs, params, losses, None, samples or None)


def reusable(params: Params, eval_set: EvalSet) -> dict[str, dict]:
    """Stored answers still valid for a new version of the eval set, by record id: those of
    the same base model and settings, for a record in the set, generated with the budget its
    task has now (a budget grows with a task's longest reference). A new eval set version
    that adds records, or a task, then generates only those."""
    folder = Path(params.evaluate.base_dir)
    if not (folder / SUMMARY).exists() or not (folder / GENERATIONS).exists():
        return {}
    summary = read_json(folder / SUMMARY)
    key = expected_key(params, eval_set)
    if any(summary.get(k) != key[k] for k in ("base_model_sha256", "settings_sha256")):
        return {}
    budgets = summary.get("budgets", {})
    wanted = set(eval_set.frame["record_id"])
    return {
        row["record_id"]: row
        for row in read_jsonl(folder / GENERATIONS)
        if row["record_id"] in wanted
        and budgets.get(row["task"]) == eval_set.budgets[row["task"]].tokens
    }


def _subset(eval_set: EvalSet, record_ids: set[str]) -> EvalSet:
    frame = eval_set.frame[eval_set.frame["record_id"].isin(record_ids)].reset_index(drop=True)
    budgets = {task: eval_set.budgets[task] for task in sorted(set(frame["task"]))}
    return replace(eval_set, frame=frame, budgets=budgets)


def evaluate_base(
    params: Params, model, tokenizer, eval_set: EvalSet, store: bool = True
) -> tuple[list[dict], dict]:
    """The base model's raw answers, scored; with `store`, saved (with digests and budgets) in
    base_dir. Stored answers that are still valid (`reusable`) are kept, not generated again."""
    kept_rows = reusable(params, eval_set) if store else {}
    new_ids = set(eval_set.frame["record_id"]) - set(kept_rows)
    generated: dict[str, dict] = {}
    summary: dict = {"seconds": 0.0}
    if new_ids:
        rows, summary = run_model(
            "base", model, tokenizer, _subset(eval_set, new_ids), params, resample=False
        )
        generated = {row["record_id"]: row for row in rows}
    ordered = [generated.get(r) or kept_rows[r] for r in eval_set.frame["record_id"]]
    rows = rescore(params, eval_set, ordered) if kept_rows else ordered
    summary |= expected_key(params, eval_set) | {"eval_set": eval_set.label}
    summary |= {
        "budgets": {task: budget.tokens for task, budget in eval_set.budgets.items()},
        "generated": len(generated),
        "reused": len(kept_rows),
    }
    if store:
        folder = Path(params.evaluate.base_dir)
        kept = ("record_id", "task", "output", "answer_loss", "code_samples")
        write_jsonl(folder / GENERATIONS, [{k: r[k] for k in kept if k in r} for r in ordered])
        write_json(folder / SUMMARY, summary)
    return rows, summary


def main(argv: list[str] | None = None) -> None:
    args = step_parser("Step 4a: the base model's answers on the frozen eval set.").parse_args(argv)
    params = load_params(args.params)
    folder = Path(params.evaluate.base_dir)
    if not Path(params.evaluate.frozen_eval).exists():
        # Nothing stable to store answers for: evaluate generates the base answers each run.
        folder.mkdir(parents=True, exist_ok=True)
        (folder / GENERATIONS).write_text("")
        write_json(folder / SUMMARY, {"eval_set": None, "reason": "no frozen eval set"})
        print(
            f"base: no frozen eval set at {params.evaluate.frozen_eval}; evaluate will generate "
            "the base answers on every run (`python -m tasks.evaluate.freeze` makes one)"
        )
        return
    model, tokenizer = load_model(resolve(params.base_model))
    # Answers only: the sandboxed runs belong to scoring, which evaluate does on every run.
    eval_set = prepare_eval_set(params, tokenizer, probes=False, projects=False)
    rows, summary = evaluate_base(params, model, tokenizer, eval_set)
    print(
        f"base: {len(rows)} eval records ({eval_set.label}): {summary['generated']} answered in "
        f"{summary['seconds']:.0f}s, {summary['reused']} stored answers reused"
    )


if __name__ == "__main__":
    main()
