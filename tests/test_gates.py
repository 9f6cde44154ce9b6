import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from tasks.gates import GateFailed, GateInput, run_gate, validate_frame
from tasks.gates import main as gates_main
from tasks.identify_assets.__main__ import main as merge_main
from tasks.identify_assets.__main__ import merge_sources
from tasks.identify_assets.gate import gate_input as assets_gate_input
from tasks.identify_assets.scan import main as scan_main
from tasks.identify_assets.scan import scan_source, write_scan
from tasks.ingest_feedback.gate import with_reject_ratio
from tasks.io import write_parquet
from tasks.params import IdentifyAssetsParams
from tests.identify_assets.planted import planted_corpus
from tests.support import REPO, fake_aws_key_id

SUITES = REPO / "expectations"


def assets_step_params(repo_params, tmp_path, src):
    """Params that scan `src` as source 's', with every output and report in tmp_path."""
    step = repo_params.identify_assets.model_dump() | {
        "sources": {"s": {"type": "dir", "path": str(src)}},
        **{k: str(tmp_path / k) for k in ("scan_dir", "inventory", "contents", "rejects")},
        "cache_dir": str(tmp_path / "cache"),
    }
    gates = repo_params.gates.model_copy(
        update={"report_dir": str(tmp_path / "reports"), "suite_dir": str(SUITES)}
    )
    return repo_params.model_copy(
        update={"identify_assets": IdentifyAssetsParams.model_validate(step), "gates": gates}
    )


def run_step_one(params) -> None:
    """Step 1's two stages, as DVC runs them, on params already written to a file."""
    step = params.identify_assets
    for name in step.sources:
        write_scan(Path(step.scan_dir) / name, scan_source(name, step)[0])
    inventory, contents = merge_sources(step)
    write_parquet(step.inventory, inventory)
    write_parquet(step.contents, contents)


@pytest.fixture
def assets_params(repo_params, tmp_path):
    """Params whose identify_assets outputs and gate reports live in tmp_path."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "fees.py").write_text("def fee(amount: int) -> int:\n    return amount // 100\n")
    (src / "config.yaml").write_text("db:\n  password: hunter22\n")
    params = assets_step_params(repo_params, tmp_path, src)
    run_step_one(params)
    return params


def test_clean_assets_pass_and_write_a_result_and_data_docs(assets_params):
    result = run_gate("assets", assets_params)
    assert result.success and result.rows == 2
    report = Path(assets_params.gates.report_dir)
    assert json.loads((report / "assets.json").read_text())["success"] is True
    assert (report / "assets" / "data_docs" / "index.html").exists()


def test_a_planted_secret_fails_the_assets_gate_without_printing_it(assets_params):
    key_id = fake_aws_key_id()
    contents = pd.read_parquet(assets_params.identify_assets.contents)
    contents.loc[contents["asset_id"] == "s:fees.py", "text"] += f"\nAWS_KEY = '{key_id}'\n"
    write_parquet(assets_params.identify_assets.contents, contents)

    with pytest.raises(GateFailed) as failure:
        run_gate("assets", assets_params)

    message = str(failure.value)
    assert "expect_column_values_to_be_in_set on column 'secret_left'" in message
    assert "s:fees.py" in message and "AWS_KEY" in message
    assert key_id not in message
    saved = (Path(assets_params.gates.report_dir) / "assets.json").read_text()
    assert key_id not in saved and '"success": false' in saved


def test_every_assets_expectation_can_fail(assets_params, tmp_path):
    gate_input = assets_gate_input(assets_params)
    frame = pd.concat([gate_input.frame] + [gate_input.frame.iloc[[1]]] * 2, ignore_index=True)
    keys = ["asset_id", "source", "path", "kind", "language", "status", "bytes", "lines"]
    frame.loc[3, [*keys, "redaction_count"]] = None  # row 3: no key at all
    frame.loc[0, ["content_sha256", "cluster_id", "encoding", "sha256"]] = None  # row 0: kept
    frame.loc[0, ["reason", "content_matches_status", "commit"]] = ["why?", False, "not-a-sha"]
    frame.loc[1, ["kind", "status", "secret_left"]] = ["binary", "lost", "AWS_KEY"]
    frame.loc[2, ["status", "reason"]] = ["rejected", None]  # row 2: duplicates row 1
    frame["is_rejected"] = True
    frame["extra_column"] = 1
    parameters = gate_input.parameters | {"content_rows": 99}
    result = validate_frame(
        "assets", GateInput(frame, ["asset_id"], parameters), SUITES / "assets.json", tmp_path
    )
    suite = json.loads((SUITES / "assets.json").read_text())["expectations"]
    failed = {(f.expectation, f.column) for f in result.failures}
    never_failed = [
        (e["type"], e["kwargs"].get("column"))
        for e in suite
        if (e["type"], e["kwargs"].get("column")) not in failed
    ]
    assert never_failed == [("expect_table_row_count_to_be_between", None)]  # needs 0 rows


def test_no_planted_secret_reaches_any_output_log_or_report(repo_params, tmp_path, capfd):
    corpus = planted_corpus()
    params = assets_step_params(repo_params, tmp_path, corpus.write(tmp_path / "src"))
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(params.model_dump(), sort_keys=False))

    scan_main(["s", "--params", str(path)])
    merge_main(["--params", str(path)])
    gates_main(["assets", "--params", str(path)])

    reports = [p for p in (tmp_path / "reports").glob("**/*.*") if p.suffix in {".json", ".html"}]
    outputs = [
        *(pd.read_parquet(p).map(str).to_csv() for p in tmp_path.glob("**/*.parquet")),
        *(p.read_text() for p in reports),
        "".join(capfd.readouterr()),
    ]
    pieces = [part for value in corpus.values for part in value.split("\n")]
    assert not [part for part in pieces if any(part in text for text in outputs)]
    inventory = pd.read_parquet(params.identify_assets.inventory)
    assert inventory["redaction_count"].sum() >= len(corpus.secrets) >= 100
    rejected = inventory.loc[inventory["status"] == "rejected", "reason"]
    assert rejected.str.startswith("duplicate:").all()  # once scrubbed, the key files are equal


def feedback_frame(**changes):
    row = {
        "row_kind": "event",
        "event_id": "e1",
        "schema_version": 1,
        "timestamp": "2026-11-01T09:15:00Z",
        "action": "accept",
        "edited_completion": None,
        "completion": "x",
        "latency_ms": 800.0,
        "user": "a" * 64,
        "reason": None,
        "is_rejected": False,
        "leaked_secrets": "",
        "row_id": "a.jsonl:1",
    }
    return row | changes


def test_a_planted_bad_event_fails_the_feedback_gate(tmp_path):
    frame = pd.DataFrame(
        [
            feedback_frame(),
            feedback_frame(event_id="e2", row_id="a.jsonl:2", action="edit"),  # edit without text
            feedback_frame(event_id="e1", row_id="a.jsonl:3", user="alice"),  # dup id, raw user
            feedback_frame(event_id="e3", row_id="a.jsonl:4", action="edit", edited_completion=""),
            feedback_frame(event_id="e4", row_id="a.jsonl:5", action="maybe", schema_version=2),
            feedback_frame(event_id="e5", row_id="a.jsonl:6", timestamp="yesterday"),
            feedback_frame(event_id="e6", row_id="a.jsonl:7", latency_ms=-1.0, completion=""),
            feedback_frame(event_id=None, row_id="a.jsonl:8"),
            feedback_frame(row_kind="rejected", is_rejected=True, row_id="a.jsonl:9"),  # no reason
            feedback_frame(
                row_kind="sft", is_rejected=None, row_id="sft:1:e1", leaked_secrets="EMAIL"
            ),
        ]  # fmt: skip
    )
    gate_input = GateInput(with_reject_ratio(frame), ["row_id"], {"max_reject_ratio": 0.5})
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
    assert failed[("expect_column_values_to_be_in_set", "leaked_secrets")].sample_rows == [
        {"row_id": "sft:1:e1", "leaked_secrets": "EMAIL"}
    ]
    # Every expectation but the reject ratio can fail, and here does.
    assert len(result.failures) == result.evaluated - 1


def test_too_many_rejected_events_fail_the_feedback_gate(tmp_path):
    rejected = [
        feedback_frame(row_kind="rejected", event_id=None, is_rejected=True, reason="invalid JSON",
                       row_id=f"x:{n}")
        for n in (2, 3)
    ]  # fmt: skip
    record = feedback_frame(row_kind="kto", is_rejected=None, row_id="kto:1:e1")
    frame = with_reject_ratio(pd.DataFrame([feedback_frame(), *rejected, record]))
    result = validate_frame("feedback", GateInput(frame, ["row_id"], {"max_reject_ratio": 0.5}),
                            SUITES / "feedback.json", tmp_path)  # fmt: skip
    assert [f.column for f in result.failures] == ["reject_ratio"]
    assert result.failures[0].sample_rows[0]["reject_ratio"] == pytest.approx(2 / 3)


def test_no_feedback_yet_passes_the_feedback_gate(tmp_path):
    frame = with_reject_ratio(pd.DataFrame(columns=[*feedback_frame()]))
    result = validate_frame("feedback", GateInput(frame, ["row_id"], {"max_reject_ratio": 0.5}),
                            SUITES / "feedback.json", tmp_path)  # fmt: skip
    assert result.success and result.rows == 0
