"""The build_dataset stage's inputs written for a test: the tiny model, contents, feedback."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from tasks.base_model import provision
from tasks.io import write_json, write_jsonl, write_parquet
from tasks.params import Params
from tests.support import write_params

# One ingested feedback record (an edit), as step 6 writes them.
FEEDBACK = {
    "instruction": "Write test for follow code\n\ndef f():\n    return 1", "input": "",
    "output": "def test_f():\n    assert f() == 1", "task": "write_test",
    "language": "python", "asset_id": "feedback:e1", "origin": "feedback_edit",
    "event_ids": ["e1"],
}  # fmt: skip


def stage_inputs(work: Path, tiny_params: Params, contents: pd.DataFrame, **overrides) -> Path:
    """The build_dataset stage's inputs in `work` (the tiny model, `contents`, FEEDBACK) and its
    params file, with room for every record and `overrides` merged in; the params' path."""
    params_path = write_params(
        work / "params.yaml",
        {"base_model": tiny_params.base_model.model_dump(),
         "build_dataset": {"max_record_tokens": 100_000, "real_plantuml": "off"}, **overrides},
    )  # fmt: skip
    write_json(work / tiny_params.base_model.descriptor, provision(tiny_params.base_model))
    write_parquet(work / tiny_params.identify_assets.contents, contents)
    write_jsonl(work / tiny_params.ingest_feedback.records, [FEEDBACK])
    return params_path
