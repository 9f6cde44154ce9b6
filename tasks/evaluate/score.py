"""Per-record scores and per-task aggregates for the evaluation metrics."""

from __future__ import annotations

import pandas as pd

from tasks.formats import validate_output

# format_valid is the primary metric; answer_loss (teacher-forced cross-entropy of the
# reference answer) moves before the strict validators do, so it shows early learning.
METRICS = ("format_valid", "exact_match", "answer_loss")


def score_record(task: str, method: str | None, language: str, reference: str, output: str) -> dict:
    """Format validity (the task's validator), its problems, and exact match.

    `method` is the record's method name (implement_method must define exactly that method);
    instructions are paraphrased in two languages, so it comes from the record, not the text.
    """
    problems = validate_output(task, output, language, method or None)
    return {
        "format_valid": not problems,
        "problems": "; ".join(str(p) for p in problems[:3]),
        "exact_match": output.strip() == reference.strip(),
    }


def task_metrics(scored: pd.DataFrame) -> dict:
    """{model: {task: {metric: value}}} plus an overall mean per model."""
    metrics: dict[str, dict] = {}
    for model, frame in scored.groupby("model"):
        per_task = frame.groupby("task")[list(METRICS)].mean()
        metrics[model] = {
            task: {k: round(float(v), 4) for k, v in row.items()}
            | {"n": int((frame["task"] == task).sum())}
            for task, row in per_task.iterrows()
        }
        metrics[model]["overall"] = {
            name: round(float(per_task[name].mean()), 4) for name in METRICS
        }
    return metrics
