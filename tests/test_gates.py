import json
from pathlib import Path

import pandas as pd
import pytest

from tasks.gates import GateFailed, GateInput, run_gate, validate_frame
from tasks.identify_assets.scan import scan_directory, to_frames
from tasks.io import write_parquet
from tests.support import REPO

SUITES = REPO / "expectations"


@pytest.fixture
def assets_params(repo_params, tmp_path):
    """Params whose identify_assets outputs and gate reports live in tmp_path."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "fees.py").write_text("def fee(amount: int) -> int:\n    return amount // 100\n")
    (src / "config.yaml").write_text("db:\n  password: hunter22\n")
    inventory, contents = to_frames(
        scan_directory("s", repo_params.identify_assets.sources["samples"].model_copy(
            update={"path": str(src), "exclude": []}), repo_params.identify_assets.filters)
    )  # fmt: skip
    step = repo_params.identify_assets.model_copy(
        update={"inventory": str(tmp_path / "inv.parquet"), "contents": str(tmp_path / "c.parquet")}
    )
    write_parquet(step.inventory, inventory)
    write_parquet(step.contents, contents)
    gates = repo_params.gates.model_copy(
        update={"report_dir": str(tmp_path / "reports"), "suite_dir": str(SUITES)}
    )
    return repo_params.model_copy(update={"identify_assets": step, "gates": gates})


def test_clean_assets_pass_and_write_a_result_and_data_docs(assets_params):
    result = run_gate("assets", assets_params)
    assert result.success and result.rows == 2
    report = Path(assets_params.gates.report_dir)
    assert json.loads((report / "assets.json").read_text())["success"] is True
    assert (report / "assets" / "data_docs" / "index.html").exists()


def test_a_planted_secret_fails_the_assets_gate_without_printing_it(assets_params):
    contents = pd.read_parquet(assets_params.identify_assets.contents)
    contents.loc[contents["asset_id"] == "s:fees.py", "text"] += (
        "\nAWS_KEY = 'AKIAIOSFODNN7EXAMPLE'\n"
    )
    write_parquet(assets_params.identify_assets.contents, contents)

    with pytest.raises(GateFailed) as failure:
        run_gate("assets", assets_params)

    message = str(failure.value)
    assert "expect_column_values_to_be_in_set on column 'secret_left'" in message
    assert "s:fees.py" in message and "AWS_KEY" in message
    assert "AKIAIOSFODNN7EXAMPLE" not in message
    saved = (Path(assets_params.gates.report_dir) / "assets.json").read_text()
    assert "AKIAIOSFODNN7EXAMPLE" not in saved and '"success": false' in saved


def feedback_frame(**changes):
    row = {
        "event_id": "e1",
        "schema_version": 1,
        "action": "accept",
        "edited_completion": None,
        "completion": "x",
        "user": "a" * 64,
        "is_rejected": False,
        "row_id": "a.jsonl:1",
    }
    return row | changes


def test_a_planted_bad_event_fails_the_feedback_gate(tmp_path):
    frame = pd.DataFrame(
        [
            feedback_frame(),
            feedback_frame(event_id="e2", row_id="a.jsonl:2", action="edit"),  # edit without text
            feedback_frame(event_id="e1", row_id="a.jsonl:3", user="alice"),  # dup id, raw user
        ]
    )
    gate_input = GateInput(frame, ["row_id"], {"max_reject_ratio": 0.5})
    result = validate_frame("feedback", gate_input, SUITES / "feedback.json", tmp_path)
    failed = {(f.expectation, f.column): f for f in result.failures}
    assert not result.success
    assert (
        failed[("expect_column_values_to_not_be_null", "edited_completion")].sample_rows[0][
            "row_id"
        ]
        == "a.jsonl:2"
    )
    assert failed[("expect_column_values_to_be_unique", "event_id")].unexpected_count == 2
    assert ("expect_column_values_to_match_regex", "user") in failed


def test_too_many_rejected_events_fail_the_feedback_gate(tmp_path):
    rejected = [feedback_frame(event_id="", is_rejected=True, row_id=f"x:{n}") for n in (2, 3)]
    frame = pd.DataFrame([feedback_frame(), *rejected])
    result = validate_frame("feedback", GateInput(frame, ["row_id"], {"max_reject_ratio": 0.5}),
                            SUITES / "feedback.json", tmp_path)  # fmt: skip
    assert [f.column for f in result.failures] == ["is_rejected"]
