"""Prefect artifacts of a flywheel run, built from the outputs the stages wrote.

Every run publishes them, also when DVC skipped every stage, so the latest run in the UI always
shows the current dataset, training, metrics, promotion decision and bundle. Each is small: a
table or a short markdown page, read from the paths in params.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from prefect.artifacts import create_markdown_artifact, create_table_artifact

from flows.finetune import training_summary
from tasks.io import read_json
from tasks.params import Params

MODELS = ("base", "tuned", "promoted")


def gate_table(result: dict) -> list[dict]:
    """One row per failed expectation of a gate result, or one row saying all were met."""
    rows = [
        {
            "expectation": failure["expectation"],
            "column": failure["column"],
            "offending rows": failure["unexpected_count"],
            "observed": str(failure["observed"]),
            # the step's own account: which task, how many records, which threshold
            "what is wrong": "; ".join(failure.get("details", [])),
        }
        for failure in result["failures"]
    ]
    met = {"expectation": "all", "column": "", "offending rows": 0, "observed": "met"}
    return rows or [met | {"what is wrong": ""}]


def publish_gate(report: Path, stage: str) -> None:
    """The gate's results as a table, with a link to its Great Expectations Data Docs."""
    if not report.exists():
        return
    result = read_json(report)
    verdict = "passed" if result["success"] else "FAILED"
    # The table is the content; the Data Docs path is relative to the checkout that ran it (a
    # file:// link would point into that machine's file system, useless from the web UI).
    create_table_artifact(
        key=stage.replace("_", "-"),
        table=gate_table(result),
        description=f"Gate {result['gate']}: {verdict}, {result['evaluated']} expectations on "
        f"{result['rows']} rows. Data Docs in the checkout: `{result['data_docs']}`",
    )


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


def bundle_markdown(params: Params, manifest: dict) -> str:
    """Where the bundle of this run is: the bundle folder, the registry and S3 when configured."""
    version = manifest["version"]
    registry = Path(params.export.registry_dir).resolve()
    lines = [
        f"# Bundle {version}",
        "",
        "| where | location |",
        "| --- | --- |",
        f"| bundle | `{Path(params.export.bundle_dir).resolve()}` |",
        f"| registry | `{registry / 'versions' / version}` |",
    ]
    s3 = params.export.s3
    if s3.bucket:
        prefix = "/".join(p.strip("/") for p in (s3.prefix, "versions", version) if p.strip("/"))
        lines.append(f"| S3 | `s3://{s3.bucket}/{prefix}/` |")
    promoted = "yes: serving and the next evaluation use it" if manifest["promoted"] else "no"
    lines += ["", f"Promoted: {promoted}. {len(manifest['files'])} files, sha256 in manifest.json."]
    return "\n".join(lines) + "\n"


def publish_run_artifacts(repo: Path, params: Params) -> list[str]:
    """Publish every artifact whose source file exists; return the keys published."""
    published = []
    with contextlib.chdir(repo):
        card = Path(params.build_dataset.card)
        if card.exists():
            create_markdown_artifact(key="dataset-card", markdown=card.read_text("utf-8"))
            published.append("dataset-card")
        if Path(params.finetune.trainer_state).exists():
            create_markdown_artifact(key="training-summary", markdown=training_summary(repo))
            published.append("training-summary")
        if Path(params.evaluate.details).exists():
            create_table_artifact(
                key="evaluation-metrics",
                table=metrics_table(read_json(params.evaluate.details)),
                description="Primary metric per task (0..1) and answer loss, base vs tuned vs "
                "promoted",
            )
            published.append("evaluation-metrics")
        if Path(params.evaluate.promotion).exists():
            markdown = promotion_markdown(read_json(params.evaluate.promotion))
            create_markdown_artifact(key="promotion-decision", markdown=markdown)
            published.append("promotion-decision")
        manifest = Path(params.export.bundle_dir) / "manifest.json"
        if manifest.exists():
            markdown = bundle_markdown(params, read_json(manifest))
            create_markdown_artifact(key="bundle", markdown=markdown)
            published.append("bundle")
    return published
