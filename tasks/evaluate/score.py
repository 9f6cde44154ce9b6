"""Per-record scores and per-task aggregates for the evaluation metrics.

Primary metric per task (what the promotion gate compares), from its spec (tasks/task_specs):
- design_restful_api: cell_valid, the share of table cells the cell-level validator accepts;
- create_agile_user_story, split_user_story_tasks, design_plantuml_datastructure: format_valid
  (the template / diagram validator);
- implement_method, write_test: pass@1 over records that can run against tests, else
  syntax_valid (Python ast; Java, TypeScript, JavaScript: tree-sitter without ERROR / MISSING
  nodes);
- the Spring tasks and design_plantuml_java_datastructure: format_valid.
answer_loss (teacher-forced cross-entropy of the reference answer) moves before the strict
validators do on a small model; the gate compares it against the promoted model.
valid_at_n is format validity after up to N validate-and-resample tries (evaluate.resample):
reported beside format_valid, never instead of it.
"""

from __future__ import annotations

import pandas as pd
import sacrebleu

from tasks.dsl import code_units
from tasks.formats import validate_output
from tasks.task_specs import spec, specs
from tasks.task_specs._scores import api_table_scores

PRIMARY = {name: task.primary_metric for name, task in specs().items()}
# Averaged per task and model; a task's value is absent when no record of it has the score.
METRICS = (
    "format_valid", "exact_match", "answer_loss", "bleu", "chrf", "cell_valid",
    "restful_violations_per_table", "ac_count", "syntax_valid", "pass@1", "valid_at_n", "tries",
)  # fmt: skip
__all__ = ["api_table_scores", "primary_metrics", "score_record", "syntax_valid", "task_metrics"]


def syntax_valid(code: str, language: str) -> bool:
    """Whether code parses in its language (Python ast; Java, TypeScript, JavaScript with
    tree-sitter, no ERROR/MISSING node; a method or class body alone counts)."""
    return code_units.syntax_valid(code, language)


def score_record(task: str, method: str | None, language: str, reference: str, output: str) -> dict:
    """Format validity (with its first problems), exact match, BLEU / chrF and the task's scores.

    `method` is the record's method name (implement_method must define exactly that method);
    instructions are paraphrased in two languages, so it comes from the record, not the text.
    """
    problems = validate_output(task, output, language, method or None)
    scores = {
        "format_valid": not problems,
        "problems": "; ".join(str(p) for p in problems[:3]),
        "exact_match": output.strip() == reference.strip(),
        "bleu": sacrebleu.sentence_bleu(output, [reference]).score,
        "chrf": sacrebleu.sentence_chrf(output, [reference]).score,
    }
    extra = spec(task).scores
    return scores | extra(output, language) if extra else scores


def primary_metric(task: str, frame: pd.DataFrame) -> str:
    """The task's primary metric; pass@1 for code tasks when any record could run."""
    if "pass@1" in frame and frame["pass@1"].notna().any():
        return "pass@1"
    return PRIMARY.get(task, "format_valid")


def primary_metrics(scored: pd.DataFrame) -> dict[str, str]:
    """{task: primary metric}, decided over every model's rows so that all compare alike."""
    return {str(task): primary_metric(str(task), rows) for task, rows in scored.groupby("task")}


def task_metrics(scored: pd.DataFrame) -> dict:
    """{model: {task: {metric: value, primary, primary_metric, n}}} plus an overall mean."""
    metrics: dict[str, dict] = {}
    names = [name for name in METRICS if name in scored]
    names += sorted(c for c in scored if c.startswith("pass@") and c not in names)
    primary = primary_metrics(scored)
    for model, frame in scored.groupby("model"):
        metrics[model] = {}
        for task, rows in frame.groupby("task"):
            values = rows[names].astype(float).mean()
            entry = {k: round(float(v), 4) for k, v in values.items() if pd.notna(v)}
            name = primary[str(task)]
            entry |= {"n": len(rows), "primary_metric": name, "primary": entry.get(name, 0.0)}
            if "pass@1" in rows:
                entry["executed"] = int(rows["pass@1"].notna().sum())
            metrics[model][task] = entry
        tasks = list(metrics[model].values())
        metrics[model]["overall"] = {
            name: round(sum(t[name] for t in tasks) / len(tasks), 4)
            for name in ("primary", "format_valid", "valid_at_n", "exact_match", "answer_loss")
            if all(name in t for t in tasks)
        }
    return metrics
