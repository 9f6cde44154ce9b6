"""Prefect artifacts of a flywheel run, built from the outputs the stages wrote.

Every run publishes them, also when DVC skipped every stage, so the latest run in the UI always
shows the current dataset, training, metrics, promotion decision and bundle. Each is small: a
table or a short markdown page, read from the paths in params.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from prefect.artifacts import create_markdown_artifact, create_table_artifact

from tasks.evaluate.report import metrics_table, promotion_markdown
from tasks.export.report import bundle_markdown
from tasks.finetune.report import training_summary
from tasks.gates import gate_table
from tasks.io import read_json
from tasks.params import Params


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


def publish_run_artifacts(repo: Path, params: Params) -> list[str]:
    """Publish every artifact whose source file exists; return the keys published."""
    published = []
    with contextlib.chdir(repo):
        card = Path(params.build_dataset.card)
        if card.exists():
            create_markdown_artifact(key="dataset-card", markdown=card.read_text("utf-8"))
            published.append("dataset-card")
        if Path(params.finetune.trainer_state).exists():
            create_markdown_artifact(key="training-summary", markdown=training_summary(params))
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
