"""The feedback flow: step 6 (ingest feedback, then its gate) on its own schedule.

The same stage tasks as the flywheel, so an hourly ingestion is versioned and cached exactly as
the nightly run and `dvc repro` would do it; the nightly flywheel then finds these stages
current and goes on from the ledger. Ingestion is forced: the server's inbox and S3 prefixes
are not DVC deps (DVC refuses a dep that may not exist), so only reading them tells whether
there is anything new. With nothing new the ledger, and so every output, stays the same and
the stages downstream stay current.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from prefect import flow

import tasks  # noqa: F401 - sets the offline / no-telemetry environment first
from flows.flywheel import dvc_stage, gate_stage, with_retries
from tasks.params import load_params

INGEST_STAGE = "ingest_feedback"
GATE_STAGE = "gate_feedback"


@flow(name="feedback")
def feedback(repo_dir: str = ".") -> dict[str, str]:
    """Ingest new feedback events and gate them; return what happened to each stage."""
    repo = str(Path(repo_dir).resolve())
    with contextlib.chdir(repo):
        params = load_params()
    report = str(params.gates.report_path(GATE_STAGE))
    ingest = with_retries(dvc_stage, INGEST_STAGE, params)
    ingested = ingest(repo, INGEST_STAGE, force=True, return_state=True)
    gated = gate_stage(repo, GATE_STAGE, report, wait_for=[ingested], return_state=True)
    return {INGEST_STAGE: ingested.result(), GATE_STAGE: gated.result()}


if __name__ == "__main__":
    feedback()
