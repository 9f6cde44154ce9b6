"""Score the tuned (and promoted) model on the eval set against the base model, and decide.

Every eval record is generated with its task's budget; per task, tuned - base is a paired
comparison with a bootstrap interval, and the promotion gate decides on those intervals.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from tasks.base_model import resolve
from tasks.evaluate.base import evaluate_base, read_base
from tasks.evaluate.compare import compare_models, compare_overall, count_verdicts
from tasks.evaluate.report import promotion_decision, render_report, write_report
from tasks.evaluate.runner import prepare_eval_set, regurgitation_rate, run_model
from tasks.evaluate.sandbox import isolation
from tasks.evaluate.score import primary_metrics, task_metrics
from tasks.generation import load_model, merge_adapter
from tasks.io import write_json, write_jsonl
from tasks.params import Params, load_params, step_parser

FRACTIONS = (
    "primary",
    "format_valid",
    "valid_at_n",
    "exact_match",
    "cell_valid",
    "syntax_valid",
    "pass@1",
)


def headline(details: dict) -> dict[str, dict]:
    """The figures `dvc metrics show` prints, one file each: per task n and its primary metric
    base / tuned / delta with the interval (low, high) and the tuned answer loss; overall the
    means, format validity, the improved tasks and the promotion. Short names and two decimals,
    shared across files and steps, keep the table narrow (every metric is in details.json)."""

    def short(value: float | None) -> float | None:
        return None if value is None else round(value, 2)

    files: dict[str, dict] = {}
    for task, c in details["comparisons"]["base"].items():
        files[task] = {
            "n": c["n"], "base": short(c["before"]), "tuned": short(c["after"]),
            "delta": short(c["delta"]), "low": short(c["low"]), "high": short(c["high"]),
            "loss": short(details["tuned"][task].get("answer_loss")),
        }  # fmt: skip
    base, tuned = details["base"]["overall"], details["tuned"]["overall"]
    overall = {
        "base": short(base.get("primary")), "tuned": short(tuned.get("primary")),
        "valid": short(tuned.get("format_valid")), "loss": short(tuned.get("answer_loss")),
        "improved": details["verdicts"]["improved"],
        "promoted": details["promotion"]["promoted"],
    }  # fmt: skip
    if base.get("primary") is not None and tuned.get("primary") is not None:
        overall["delta"] = short(tuned["primary"] - base["primary"])
    files["overall"] = {k: v for k, v in overall.items() if v is not None}
    return {
        name: {k: v for k, v in figures.items() if v is not None} for name, figures in files.items()
    }


def write_headline(metrics_dir: str | Path, files: dict[str, dict]) -> None:
    """<name>.json per headline file; files of tasks no longer evaluated are removed."""
    folder = Path(metrics_dir)
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.json"):
        if stale.stem not in files:
            stale.unlink()
    for name, figures in files.items():
        write_json(folder / f"{name}.json", figures)


def plot_rows(metrics: dict, task: str, models: list[str]) -> list[dict]:
    """One bar per 0..1 metric and model, for the task's plot."""
    return [
        {"metric": f"{metric} ({model})", "value": metrics[model][task][metric]}
        for metric in FRACTIONS
        for model in models
        if metric in metrics[model][task]
    ]


def main(argv: list[str] | None = None) -> None:
    args = step_parser("Step 4: evaluate tuned (and promoted) against base.").parse_args(argv)
    params = load_params(args.params)
    step = params.evaluate
    model_dir = resolve(params.base_model)
    model, tokenizer = load_model(model_dir)
    eval_set = prepare_eval_set(params, tokenizer)
    sandbox = isolation() or "no sandbox: Python records are not run"
    print(
        f"eval set: {eval_set.label}, {len(eval_set.frame)} records; "
        f"{len(eval_set.projects)} executable assets ({sandbox}); budgets: "
        + ", ".join(f"{t}={b.tokens}" for t, b in eval_set.budgets.items())
    )
    stored = read_base(params, eval_set)
    if stored is None:
        print(
            f"base: {step.base_dir} holds no answers for this base model, eval set and "
            "settings (`dvc repro evaluate_base` stores them): generating them for this run only"
        )
        stored = evaluate_base(params, model, tokenizer, eval_set, store=False)
    else:
        print(f"base: stored answers scored again ({step.base_dir})")
    results = {"base": stored}
    rates = {"base": regurgitation_rate(model, tokenizer, eval_set, params)}
    model = merge_adapter(model, Path(params.finetune.adapter_dir))
    results["tuned"] = run_model("tuned", model, tokenizer, eval_set, params)
    rates["tuned"] = regurgitation_rate(model, tokenizer, eval_set, params)
    bundle = promoted_bundle_dir(params)
    if bundle is not None:
        model, tokenizer = load_model(model_dir, bundle / "adapter")
        results["promoted"] = run_model("promoted", model, tokenizer, eval_set, params)
        rates["promoted"] = regurgitation_rate(model, tokenizer, eval_set, params)

    scored = pd.DataFrame([row for rows, _ in results.values() for row in rows])
    details = task_metrics(scored)
    details["regurgitation"] = rates
    details["generation_seconds"] = {name: s["seconds"] for name, (_, s) in results.items()}
    details["budgets"] = {t: vars(b) for t, b in eval_set.budgets.items()}
    details["eval_set"] = {"label": eval_set.label, "sha256": eval_set.sha256}
    primary = primary_metrics(scored)
    against_base = compare_models(scored, primary, "base", "tuned", step.bootstrap)
    against_promoted = loss = None
    if "promoted" in results:
        against_promoted = compare_models(scored, primary, "promoted", "tuned", step.bootstrap)
        loss = compare_overall(scored, "answer_loss", "promoted", "tuned", step.bootstrap)
    details["comparisons"] = {"base": {t: c.as_dict() for t, c in against_base.items()}}
    if against_promoted is not None:
        details["comparisons"]["promoted"] = {t: c.as_dict() for t, c in against_promoted.items()}
        details["comparisons"]["promoted_answer_loss"] = loss.as_dict()
    details["verdicts"] = count_verdicts(against_base)
    decision = promotion_decision(
        against_base, against_promoted, loss, details, step.gate, step.bootstrap.confidence
    )
    details["promotion"] = {"promoted": decision["promoted"]}
    write_json(step.details, details)
    write_headline(step.metrics, headline(details))
    write_jsonl(
        step.generations, scored.astype(object).where(scored.notna(), None).to_dict("records")
    )
    models = list(results)
    for task in primary:
        write_json(Path(step.plots_dir) / f"{task}.json", plot_rows(details, task, models))
    write_report(
        step.report, render_report(eval_set.frame, scored, details, decision, eval_set.label)
    )
    write_json(
        step.promotion,
        decision | {"eval_set": eval_set.label, "eval_set_sha256": eval_set.sha256,
                    "promoted_bundle": str(bundle) if bundle else None},
    )  # fmt: skip
    for task, c in against_base.items():
        print(
            f"{task}: {primary[task]} base {c.before:.2f} -> tuned {c.after:.2f} "
            f"({c.delta:+.2f}, CI {c.low:+.2f}..{c.high:+.2f}, n={c.n}): {c.verdict}"
        )
    verdict = "promoted" if decision["promoted"] else "not promoted"
    print(f"promotion: {verdict} ({decision['reasons'][0]})")


def promoted_bundle_dir(params: Params) -> Path | None:
    """The last promoted bundle from the registry of the export step, if there is one."""
    from tasks.registry import promoted_bundle

    return promoted_bundle(params.export.registry_dir)


if __name__ == "__main__":
    main()
