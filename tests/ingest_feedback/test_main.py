import json
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from tasks.finetune.__main__ import consumed
from tasks.gates import GateFailed, run_gate
from tasks.ingest_feedback.__main__ import main
from tasks.ingest_feedback.ledger import LEDGER_FILE
from tasks.io import write_json
from tests.ingest_feedback.factory import event, feedback_params, write_events
from tests.support import REPO

SAMPLES = REPO / "samples" / "feedback" / "inbox"
OUTPUTS = ("events", "rejects", "records", "dpo", "kto", "metrics", "rates", "daily")


def outputs(params) -> dict[str, bytes]:
    step = params.ingest_feedback
    return {name: Path(getattr(step, name)).read_bytes() for name in OUTPUTS}


def run_step(root: Path, capsys=None) -> str:
    main(["--params", str(root / "params.yaml")])
    return capsys.readouterr().out if capsys else ""


@pytest.mark.slow  # runs the Great Expectations gate
def test_given_the_sample_inbox_when_ingested_twice_then_events_are_stored_once(tmp_path, capsys):
    shutil.copytree(SAMPLES, tmp_path / "inbox")
    params = feedback_params(tmp_path)
    first = run_step(tmp_path, capsys)
    assert "13 events ingested, 2 rejected" in first and "feedback: retrain:" in first
    before = outputs(params)
    shutil.copy(SAMPLES / "2026-11-01.jsonl", tmp_path / "inbox" / "copy.jsonl")  # resent
    second = run_step(tmp_path, capsys)
    assert "0 events ingested, 7 rejected (duplicate=7)" in second
    assert "no retrain recorded yet" in second  # no model has been trained on the feedback yet
    write_json(params.finetune.trainer_state, {"feedback_snapshot": consumed(params)})  # trained
    assert "feedback: no retrain: only 0 new events" in run_step(tmp_path, capsys)
    after = outputs(params)
    assert {k: v for k, v in after.items() if k != "rejects"} == {
        k: v for k, v in before.items() if k != "rejects"
    }
    rejects = pd.read_parquet(params.ingest_feedback.rejects)
    assert rejects["reason"].str.startswith("duplicate event_id (already ingested from").sum() == 7
    records = [json.loads(line) for line in before["records"].decode().splitlines()]
    assert len(records) == 10 and all(r["event_ids"] for r in records)
    assert len(before["dpo"].decode().splitlines()) == 5
    result = run_gate("feedback", params)
    assert result.success and result.rows == 13 + 9 + 10 + 5 + 8


@pytest.mark.slow  # runs the Great Expectations gate
def test_given_a_leaked_secret_in_a_record_when_gated_then_the_gate_fails(tmp_path):
    write_events(tmp_path / "inbox" / "a.jsonl", [event()])
    params = feedback_params(tmp_path)
    run_step(tmp_path)
    records = Path(params.ingest_feedback.records)
    leaked = json.loads(records.read_text()) | {"output": "ask ann@example.org"}
    records.write_text(json.dumps(leaked) + "\n")
    with pytest.raises(GateFailed, match="leaked_secrets"):
        run_gate("feedback", params)


def generated_inbox(root, files=3, per_file=4000):
    for f in range(files):
        lines = []
        for n in range(per_file):
            action = ("accept", "edit", "reject")[n % 3]
            lines.append(event(
                event_id=f"f{f}-{n}" if n % 50 else f"shared-{n}",  # repeated across files
                completion=f"def fee():\n    return {n}\n", action=action,
                edited_completion=f"def fee():\n    return {n + 1}\n" if action == "edit" else None,
            ))  # fmt: skip
            if n % 97 == 0:
                lines.append("{broken")
        write_events(root / "inbox" / f"{f}.jsonl", lines)


def ledger_count(params) -> int:
    path = f"{params.ingest_feedback.ledger_dir}/{LEDGER_FILE}"
    try:
        with sqlite3.connect(path, timeout=5) as connection:
            return connection.execute("SELECT count(*) FROM events").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


@pytest.mark.slow
def test_given_an_ingestion_killed_mid_way_when_rerun_then_every_event_is_there_once(tmp_path):
    clean, killed = tmp_path / "clean", tmp_path / "killed"
    for root in (clean, killed):
        generated_inbox(root)
    clean_params = feedback_params(clean, batch_size=100)
    params = feedback_params(killed, batch_size=100)
    command = [
        sys.executable,
        "-m",
        "tasks.ingest_feedback",
        "--params",
        str(killed / "params.yaml"),
    ]
    process = subprocess.Popen(command, cwd=REPO)
    deadline = time.monotonic() + 120
    while ledger_count(params) < 2000 and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    stored = ledger_count(params)
    assert 2000 <= stored < 11_000  # killed part-way through
    subprocess.run(command, cwd=REPO, check=True, capture_output=True)
    subprocess.run([*command[:-1], str(clean / "params.yaml")], cwd=REPO, check=True,
                   capture_output=True)  # fmt: skip

    events = pd.read_parquet(params.ingest_feedback.events)
    assert events["event_id"].is_unique
    assert len(events) == 3 * 4000 - 2 * 80  # "shared-*" ids count once
    assert outputs(params) == outputs(clean_params)
