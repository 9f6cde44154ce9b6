"""The promotion gate and the markdown evaluation report."""

from __future__ import annotations

import pandas as pd

from tasks.io import atomic_path
from tasks.params import GateThresholds


def _beats_base(task: str, tuned: dict, base: dict, loss_tiebreak: bool) -> str | None:
    """None when tuned beats base on the task's primary metric, else the reason it does not."""
    name = tuned["primary_metric"]
    if tuned["primary"] > base["primary"]:
        return None
    if tuned["primary"] == base["primary"] and loss_tiebreak:
        if tuned.get("answer_loss", 0) < base.get("answer_loss", 0):
            return None
        return (
            f"{task}: {name} tied at {tuned['primary']:.2f} and answer loss did not improve "
            f"({base.get('answer_loss', 0):.3f} -> {tuned.get('answer_loss', 0):.3f})"
        )
    return f"{task}: tuned {name} {tuned['primary']:.2f} does not beat base {base['primary']:.2f}"


def promotion_decision(metrics: dict, gate: GateThresholds) -> dict:
    """Promote when tuned beats base on every task, keeps up with the promoted model, and
    regurgitates under the ceiling; every failed check is a reason, then what was checked."""
    failures, notes = [], []
    tasks = [task for task in metrics["tuned"] if task != "overall"]
    for task in tasks:
        failure = _beats_base(
            task, metrics["tuned"][task], metrics["base"][task], gate.loss_tiebreak
        )
        if failure:
            failures.append(failure)
    promoted = metrics.get("promoted")
    if promoted is None:
        notes.append("no promoted model yet: regression check against it skipped")
    else:
        for task in tasks:
            before, now = promoted[task]["primary"], metrics["tuned"][task]["primary"]
            if now < before - gate.tolerance:
                failures.append(
                    f"{task}: {metrics['tuned'][task]['primary_metric']} {now:.2f} regressed "
                    f"beyond tolerance {gate.tolerance} from the promoted model's {before:.2f}"
                )
        notes.append(f"no task regressed beyond {gate.tolerance} against the promoted model")
    rate = metrics.get("regurgitation", {}).get("tuned")
    if rate is not None and rate > gate.max_regurgitation:
        failures.append(f"regurgitation {rate:.2f} is above the ceiling {gate.max_regurgitation}")
    elif rate is not None:
        notes.append(f"regurgitation {rate:.2f} is within the ceiling {gate.max_regurgitation}")
    if not failures:
        notes.insert(0, f"tuned beats base on the primary metric of all {len(tasks)} tasks")
    return {"promoted": not failures, "reasons": failures + notes, "failures": failures}


def _example(output: str, limit: int = 600) -> str:
    text = output if len(output) <= limit else output[:limit] + "\n…"
    return "```\n" + text.replace("```", "'''") + "\n```"


def _metric_table(metrics: dict, models: list[str]) -> list[str]:
    lines = [
        "| task | primary metric | " + " | ".join(models) + " | answer loss | chrF | records |",
        "| --- | --- | " + " | ".join("---" for _ in models) + " | --- | --- | --- |",
    ]
    for task, tuned in metrics["tuned"].items():
        if task == "overall":
            continue
        values = " | ".join(f"{metrics[m][task]['primary']:.2f}" for m in models)
        losses = " → ".join(f"{metrics[m][task].get('answer_loss', 0):.3f}" for m in models)
        chrf = " → ".join(f"{metrics[m][task].get('chrf', 0):.1f}" for m in models)
        lines.append(
            f"| {task} | {tuned['primary_metric']} | {values} | {losses} | {chrf} | {tuned['n']} |"
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
