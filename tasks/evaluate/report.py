"""The promotion decision and the markdown evaluation report."""

from __future__ import annotations

from pathlib import Path

import pandas as pd


def promotion_decision(metrics: dict) -> dict:
    """Promote when the tuned model is more format-valid overall and regresses on no task."""
    reasons = []
    for task, tuned in metrics["tuned"].items():
        base = metrics["base"][task]["format_valid"]
        if task != "overall" and tuned["format_valid"] < base:
            reasons.append(
                f"{task}: tuned format validity {tuned['format_valid']:.2f} < base {base:.2f}"
            )
    base = metrics["base"]["overall"]["format_valid"]
    tuned = metrics["tuned"]["overall"]["format_valid"]
    if tuned <= base:
        reasons.append(f"overall: tuned format validity {tuned:.2f} is not above base {base:.2f}")
    promoted = not reasons
    if promoted:
        reasons.append(f"overall format validity {base:.2f} -> {tuned:.2f}, no task regressed")
    return {"promoted": promoted, "reasons": reasons}


def _example(output: str, limit: int = 600) -> str:
    text = output if len(output) <= limit else output[:limit] + "\n…"
    return "```\n" + text.replace("```", "'''") + "\n```"


def write_report(
    path: str, sample: pd.DataFrame, scored: pd.DataFrame, metrics: dict, decision: dict
) -> None:
    """Markdown: metrics per task and model, the decision, and one example per task and model."""
    lines = [
        "# Evaluation report",
        "",
        "| task | format valid, base | tuned | answer loss, base | tuned | records |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for task, tuned in metrics["tuned"].items():
        base = metrics["base"][task]
        lines.append(
            f"| {task} | {base['format_valid']:.2f} | {tuned['format_valid']:.2f} | "
            f"{base['answer_loss']:.3f} | {tuned['answer_loss']:.3f} | {tuned.get('n', '')} |"
        )
    verdict = "promoted" if decision["promoted"] else "not promoted"
    lines += ["", f"**Promotion: {verdict}.** " + " ".join(decision["reasons"]), ""]
    references = dict(zip(sample["record_id"], sample["output"], strict=True))
    for task, frame in scored.groupby("task"):
        lines += [f"## {task}", ""]
        first_id = frame["record_id"].iloc[0]
        lines += ["Reference:", _example(references[first_id]), ""]
        for row in frame[frame["record_id"] == first_id].itertuples():
            status = "valid" if row.format_valid else f"invalid ({row.problems})"
            lines += [f"{row.model} ({status}):", _example(row.output), ""]
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")
