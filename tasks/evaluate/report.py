"""The promotion decision and the markdown evaluation report."""

from __future__ import annotations

from pathlib import Path

import pandas as pd


def promotion_decision(metrics: dict) -> dict:
    """Promote when the tuned model is at least as format-valid as the base on every task."""
    reasons, promoted = [], True
    for task, tuned in metrics["tuned"].items():
        if task == "overall":
            continue
        base = metrics["base"][task]["format_valid"]
        if tuned["format_valid"] < base:
            promoted = False
            reasons.append(
                f"{task}: tuned format validity {tuned['format_valid']:.2f} < base {base:.2f}"
            )
    if promoted:
        reasons.append("tuned matches or beats base on format validity for every task")
    return {"promoted": promoted, "reasons": reasons}


def _example(output: str, limit: int = 600) -> str:
    text = output if len(output) <= limit else output[:limit] + "\n…"
    return "```\n" + text.replace("```", "'''") + "\n```"


def write_report(
    path: str, sample: pd.DataFrame, scored: pd.DataFrame, metrics: dict, decision: dict
) -> None:
    """Markdown: metrics per task and model, the decision, and one example per task and model."""
    lines = ["# Evaluation report", "", "| task | base format valid | tuned format valid | n |",
             "| --- | --- | --- | --- |"]  # fmt: skip
    for task, tuned in metrics["tuned"].items():
        base = metrics["base"][task]
        base_valid, tuned_valid = base["format_valid"], tuned["format_valid"]
        lines.append(f"| {task} | {base_valid:.2f} | {tuned_valid:.2f} | {tuned.get('n', '')} |")
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
