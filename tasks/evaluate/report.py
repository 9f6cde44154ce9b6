"""The promotion gate and the markdown evaluation report."""

from __future__ import annotations

import pandas as pd

from tasks.evaluate.compare import IMPROVED, REGRESSED, TIE, Comparison, describe
from tasks.io import atomic_path
from tasks.params import GateThresholds

MODELS = ("base", "tuned", "promoted")  # the models a metrics file may score


def promotion_decision(
    against_base: dict[str, Comparison],
    against_promoted: dict[str, Comparison] | None,
    loss_against_promoted: Comparison | None,
    metrics: dict,
    gate: GateThresholds,
    confidence: float,
) -> dict:
    """Promote when tuned improves on enough tasks (interval above zero) and on none is worse
    than base, keeps up with the promoted model on every primary metric and the answer loss,
    and regurgitates under the ceiling; every failed check is a reason, then what was checked."""
    failures, notes = [], []
    primary = {task: metrics["tuned"][task]["primary_metric"] for task in against_base}
    improved = [t for t, c in against_base.items() if c.verdict == IMPROVED]
    tied = [t for t, c in against_base.items() if c.verdict == TIE]
    for task, c in against_base.items():
        if c.verdict == REGRESSED:
            failures.append(
                f"{task}: tuned is worse than base, {describe(c, primary[task], confidence)}"
            )
    summary = (
        f"tuned improves on {len(improved)} of {len(against_base)} tasks against base "
        f"(interval above zero: {', '.join(improved) or 'none'}; tied: {', '.join(tied) or 'none'})"
    )
    if len(improved) < gate.min_improved_tasks:
        failures.append(f"{summary}; the gate needs {gate.min_improved_tasks}")
    else:
        notes.append(summary)
    if against_promoted is None:
        notes.append("no promoted model yet: comparison against it skipped")
    else:
        for task, c in against_promoted.items():
            if c.verdict == REGRESSED or c.delta < -gate.tolerance:
                failures.append(
                    f"{task}: worse than the promoted model, "
                    f"{describe(c, primary[task], confidence)} (tolerance {gate.tolerance})"
                )
        if loss_against_promoted is not None and loss_against_promoted.delta > gate.loss_tolerance:
            failures.append(
                "answer loss rose against the promoted model, "
                f"{describe(loss_against_promoted, 'mean answer loss', confidence)} "
                f"(tolerance {gate.loss_tolerance})"
            )
        else:
            notes.append(
                "kept up with the promoted model on every primary metric and the answer loss"
            )
    rate = metrics.get("regurgitation", {}).get("tuned")
    if rate is not None and rate > gate.max_regurgitation:
        failures.append(f"regurgitation {rate:.2f} is above the ceiling {gate.max_regurgitation}")
    elif rate is not None:
        notes.append(f"regurgitation {rate:.2f} is within the ceiling {gate.max_regurgitation}")
    return {"promoted": not failures, "reasons": failures + notes, "failures": failures}


def _example(output: str, limit: int = 600) -> str:
    text = output if len(output) <= limit else output[:limit] + "\n…"
    return "```\n" + text.replace("```", "'''") + "\n```"


def _metric_table(metrics: dict, models: list[str]) -> list[str]:
    against_base = metrics.get("comparisons", {}).get("base", {})
    lines = [
        "| task | n | primary metric | "
        + " | ".join(models)
        + " | tuned - base (95% CI) | verdict | format validity raw / @N | answer loss |",
        "| --- | --- | --- | " + " | ".join("---" for _ in models) + " | --- | --- | --- | --- |",
    ]
    for task, tuned in metrics["tuned"].items():
        if task == "overall":
            continue
        values = " | ".join(f"{metrics[m][task]['primary']:.2f}" for m in models)
        losses = " → ".join(f"{metrics[m][task].get('answer_loss', 0):.3f}" for m in models)
        c = against_base.get(task)
        delta = f"{c['delta']:+.2f} ({c['low']:+.2f}..{c['high']:+.2f})" if c else "-"
        at_n = tuned.get("valid_at_n")
        validity = f"{tuned.get('format_valid', 0):.2f} / " + (
            f"{at_n:.2f}" if at_n is not None else "-"
        )
        lines.append(
            f"| {task} | {c['n'] if c else tuned['n']} | {tuned['primary_metric']} | {values} | "
            f"{delta} | {c['verdict'] if c else '-'} | {validity} | {losses} |"
        )
    return lines


def render_report(
    sample: pd.DataFrame, scored: pd.DataFrame, metrics: dict, decision: dict, eval_set: str
) -> str:
    """Markdown: metrics per task and model, the decision, best and worst tuned example per task."""
    models = [m for m in ("base", "tuned", "promoted") if m in metrics]
    verdict = "promoted" if decision["promoted"] else "not promoted"
    rates = metrics.get("regurgitation", {})
    lines = [
        "# Evaluation report",
        "",
        f"Eval set: {eval_set}",
        "",
        *_metric_table(metrics, models),
    ]
    lines += [
        "",
        "Regurgitation (greedy continuation reproduces the training answer): "
        + ", ".join(f"{m} {rate:.2f}" for m, rate in rates.items() if m in models),
        "",
        f"**Promotion: {verdict}.** " + "; ".join(decision["reasons"]) + ".",
        "",
    ]
    references = dict(zip(sample["record_id"], sample["output"], strict=True))
    tuned = scored[scored["model"] == "tuned"]
    for task, frame in tuned.groupby("task"):
        primary = metrics["tuned"][task]["primary_metric"]
        ranked = frame.assign(_rank=frame[primary].astype(float).fillna(0)).sort_values(
            ["_rank", "chrf"], ascending=False
        )
        lines += [f"## {task}", ""]
        for label, row in (("Best", ranked.iloc[0]), ("Worst", ranked.iloc[-1])):
            status = "valid" if row["format_valid"] else f"invalid ({row['problems']})"
            lines += [
                f"**{label}** ({row['record_id']}, {primary} {float(row['_rank']):.2f}, "
                f"chrF {row['chrf']:.1f}, {status}):",
                _example(row["output"]),
                "Reference:",
                _example(references[row["record_id"]]),
                "",
            ]
            if len(ranked) == 1:
                break
    return "\n".join(lines) + "\n"


def write_report(path: str, markdown: str) -> None:
    """Write the report atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(markdown, encoding="utf-8")


def metrics_table(metrics: dict) -> list[dict]:
    """Per task: n, primary metric for base, tuned and (when there is one) promoted, tuned - base
    with its interval and verdict, and answer loss."""
    models = [m for m in MODELS if m in metrics]
    against_base = metrics.get("comparisons", {}).get("base", {})
    rows = []
    for task, tuned in metrics["tuned"].items():
        row = {"task": task, "metric": tuned.get("primary_metric", "mean primary")}
        if task in against_base:
            c = against_base[task]
            row |= {
                "n": c["n"],
                "tuned - base": c["delta"],
                "interval": f"{c['low']:+.2f}..{c['high']:+.2f}",
                "verdict": c["verdict"],
            }
        for model in models:
            scores = metrics[model][task]
            row[model] = round(scores.get("primary", scores.get("format_valid", 0.0)), 4)
            row[f"{model} answer loss"] = round(scores.get("answer_loss", 0.0), 4)
        rows.append(row)
    return rows


def promotion_markdown(decision: dict) -> str:
    """The promotion decision and every reason behind it."""
    verdict = "promoted" if decision["promoted"] else "NOT promoted"
    reasons = "\n".join(f"- {reason}" for reason in decision["reasons"])
    return f"# Promotion: {verdict}\n\n{reasons}\n\nEval set: `{decision.get('eval_set', '?')}`\n"
