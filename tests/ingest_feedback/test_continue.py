"""Continue's dev data (~/.continue/dev_data/<schema>/<eventName>.jsonl) as a feedback source."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd

from tasks.ingest_feedback.__main__ import ingest_sources, write_outputs
from tasks.ingest_feedback.continue_dev import EVENTS, map_line
from tasks.ingest_feedback.gate import gate_input
from tasks.ingest_feedback.ide import NOT_FEEDBACK, infer_task
from tasks.io import read_jsonl, read_parquet
from tests.ingest_feedback import continue_fixtures as cf
from tests.ingest_feedback.factory import feedback_params

USER_HASH = hashlib.sha256(cf.USER_TOKEN.encode()).hexdigest()


def every_documented_event() -> dict[str, list[dict | str]]:
    """Each event type of each schema version Continue defines, in its documented shape."""
    edited = "def fee(amount):\n    return round(amount * 0.03, 2)  # rounded\n"
    return {
        "0.2.0/autocomplete.jsonl": [
            cf.autocomplete("cmp-accepted", True),
            cf.autocomplete("cmp-rejected", False),
            cf.autocomplete("cmp-test", True, filepath="file:///work/shop/tests/test_calc.py"),
            cf.autocomplete("cmp-secret", True, prefix=f"AWS = '{cf.AWS_KEY}'\ndef add(a, b):\n"),
            cf.autocomplete("cmp-shown", None),  # no verdict
        ],
        "0.2.0/editOutcome.jsonl": [
            cf.edit_outcome(True),
            cf.edit_outcome(True, new_code=edited),
            cf.edit_outcome(False),
        ],
        "0.2.0/chatFeedback.jsonl": [
            cf.chat_feedback(True),
            cf.chat_feedback(False, completion="Use a list."),
            cf.chat_feedback(None, completion="Use a set."),
        ],
        "0.2.0/nextEditOutcome.jsonl": [
            cf.next_edit_outcome("ne-1", True),
            cf.next_edit_outcome("ne-2", False),
            cf.next_edit_outcome("ne-3", None, aborted=True),
        ],
        **{f"0.2.0/{name}.jsonl": [event] for name, event in cf.no_verdict_events().items()},
        "0.1.0/autocomplete.jsonl": [cf.autocomplete_0_1_0("old-1", True)],
        "0.1.0/chatFeedback.jsonl": [cf.chat_feedback_0_1_0(True)],
        "0.1.0/quickEdit.jsonl": [cf.quick_edit_0_1_0()],
        "0.1.0/tokensGenerated.jsonl": [cf.tokens_generated_0_1_0()],
        "0.3.0/autocomplete.jsonl": [cf.autocomplete("future", True) | {"schema": "0.3.0"}],
        "0.2.0/quickEdit.jsonl": [cf.quick_edit_0_1_0()],  # not a 0.2.0 event
        "0.2.0/bogus.jsonl": ["{not json"],
    }


def run(root: Path, dev_data: Path, **source):
    root.mkdir(parents=True, exist_ok=True)
    params = feedback_params(root, {"ide": {"type": "continue", "path": str(dev_data), **source}})
    tally = ingest_sources(params)
    write_outputs(params, tally)
    step = params.ingest_feedback
    return tally, read_parquet(step.events), read_parquet(step.rejects), params


def test_every_documented_event_type_is_mapped_or_rejected_with_a_reason(tmp_path):
    files = every_documented_event()
    cf.write_dev_data(tmp_path / "dev_data", files)

    tally, events, rejects, params = run(tmp_path / "run", tmp_path / "dev_data")

    assert tally.lines == sum(len(lines) for lines in files.values())
    assert len(events) + len(rejects) == tally.lines  # every line accounted for, once
    by_id = events.set_index("event_id")
    assert by_id.loc["continue:cmp-accepted", "action"] == "accept"
    assert by_id.loc["continue:cmp-rejected", "action"] == "reject"
    assert by_id.loc["continue:cmp-test", "task"] == "write_test"
    assert by_id.loc["continue:cmp-accepted", "task"] == "implement_method"
    assert by_id.loc["continue:ne-1", "action"] == "accept"
    assert by_id.loc["continue:ne-2", "action"] == "reject"
    assert by_id.loc["continue:old-1", "client"] == "continue/schema-0.1.0"
    accepted = by_id.loc["continue:cmp-accepted"]
    assert accepted["model_version"] == "flywheel-v3" and accepted["latency_ms"] == 412
    assert accepted["client"] == "continue/1.0.9" and accepted["user"] == USER_HASH
    assert accepted["timestamp"] == "2026-11-02T10:15:30.123Z"
    [turn] = json.loads(accepted["prompt"])
    assert turn["role"] == "user" and "def add(a, b):\n    <FILL_HERE>\n\nprint" in turn["content"]
    assert (
        by_id.loc["continue:ne-1", "timestamp"] == "2026-11-02T10:15:30.123Z"
    )  # epoch ms, normalised

    edits = events[events["source_file"] == "0.2.0/editOutcome.jsonl"]
    assert list(edits["action"]) == ["accept", "edit", "reject"]
    assert edits["edited_completion"].iloc[1].endswith("# rounded\n")
    assert "charge a 3% fee" in json.loads(edits["prompt"].iloc[0])[0]["content"]
    assert set(edits["task"]) == {"write_test"}  # tests/test_fees.py
    chats = events[events["source_file"] == "0.2.0/chatFeedback.jsonl"]
    assert list(chats["action"]) == ["accept", "reject"] and set(chats["task"]) == {"unknown"}

    reasons = dict(zip(rejects["source_file"], rejects["reason"], strict=True))
    for name in ("tokensGenerated", "chatInteraction", "editInteraction",
                 "nextEditWithHistory", "toolUsage"):  # fmt: skip
        assert reasons[f"0.2.0/{name}.jsonl"].startswith(
            f"{NOT_FEEDBACK}continue event '{name}' carries no answer to learn from"
        )
    assert reasons["0.1.0/quickEdit.jsonl"].startswith(
        f"{NOT_FEEDBACK}continue event 'quickEdit' carries no answer to learn from"
    )
    assert (
        reasons["0.1.0/chatFeedback.jsonl"]
        == "continue chatFeedback (schema 0.1.0) has no timestamp"
    )
    assert reasons["0.3.0/autocomplete.jsonl"] == (
        "continue dev data in schema version '0.3.0': not a schema version we know (0.1.0, 0.2.0)"
    )
    assert reasons["0.2.0/quickEdit.jsonl"].startswith(
        "continue schema 0.2.0 has no event 'quickEdit'"
    )
    assert reasons["0.2.0/bogus.jsonl"].startswith("continue schema 0.2.0 has no event 'bogus'")
    by_line = rejects.set_index(["source_file", "line"])["reason"]
    assert "has no 'accepted' verdict" in by_line[("0.2.0/autocomplete.jsonl", 5)]
    assert "has no thumbs up or down" in by_line[("0.2.0/chatFeedback.jsonl", 3)]
    assert "aborted" in by_line[("0.2.0/nextEditOutcome.jsonl", 3)]
    # Every version's every event was written, so every documented type was exercised.
    assert {f"{v}/{n}.jsonl" for v, names in EVENTS.items() for n in names} <= set(files)

    # SFT: accepts and edits of known tasks; the chat's unknown task only counts in metrics.
    records = read_jsonl(params.ingest_feedback.records)
    assert records and all(r["task"] != "unknown" for r in records)
    metrics = json.loads(Path(params.ingest_feedback.rates).read_text())
    assert "unknown" in json.dumps(metrics)
    headline = json.loads(Path(params.ingest_feedback.metrics).read_text())
    assert headline["n"] == metrics["overall"]["events"] == len(events)
    assert headline["accept"] == round(metrics["overall"]["accept_rate"], 2)  # 2 decimals
    # The gate's reject ratio leaves out lines that are not feedback (not garbage).
    frame = gate_input(params).frame
    garbage = rejects["reason"].map(lambda r: not r.startswith(NOT_FEEDBACK)).sum()
    assert frame["reject_ratio"].iloc[0] == garbage / (len(events) + garbage)


def test_a_secret_in_a_prefix_and_the_raw_user_id_never_reach_the_events(tmp_path):
    cf.write_dev_data(tmp_path / "dev_data", {"0.2.0/autocomplete.jsonl": [
        cf.autocomplete("cmp-secret", True, prefix=f"AWS = '{cf.AWS_KEY}'\ndef add(a, b):\n"),
    ]})  # fmt: skip

    _, events, rejects, params = run(tmp_path / "run", tmp_path / "dev_data")

    stored = Path(params.ingest_feedback.events).read_bytes()
    ledger = (Path(params.ingest_feedback.ledger_dir) / "ledger.sqlite").read_bytes()
    assert len(events) == 1 and rejects.empty
    for blob in (stored, ledger, Path(params.ingest_feedback.records).read_bytes()):
        assert cf.AWS_KEY.encode() not in blob and cf.USER_TOKEN.encode() not in blob
    assert "<KEY>" in events["prompt"].iloc[0]
    assert json.loads(events["redactions"].iloc[0]) == {"AWS_KEY": 1}


def test_reruns_and_appended_lines_count_every_event_once(tmp_path):
    dev_data = tmp_path / "dev_data"
    cf.write_dev_data(dev_data, every_documented_event())
    _, first_events, first_rejects, _ = run(tmp_path / "run", dev_data)

    tally, events, rejects, _ = run(tmp_path / "run", dev_data)  # nothing new
    assert (tally.lines, tally.events, tally.rejects) == (0, 0, 0)
    assert len(events) == len(first_events) and len(rejects) == len(first_rejects)

    cf.write_dev_data(dev_data, {
        "0.2.0/autocomplete.jsonl": [cf.autocomplete("cmp-new", False),
                                     cf.autocomplete("cmp-accepted", True)],  # logged again
        "0.2.0/chatFeedback.jsonl": [cf.chat_feedback(True, completion="Use Counter.")],
    }, append=True)  # fmt: skip
    tally, events, rejects, _ = run(tmp_path / "run", dev_data)

    assert (tally.lines, tally.events) == (3, 2)
    assert events["event_id"].is_unique and len(events) == len(first_events) + 2
    [again] = rejects["reason"].iloc[len(first_rejects) :]
    assert again == "duplicate event_id (already ingested from ide/0.2.0/autocomplete.jsonl:1)"


def test_the_same_event_logged_twice_without_an_id_gets_one_stable_id():
    line = json.dumps(cf.edit_outcome(True)).encode()
    reordered = json.dumps(dict(reversed(cf.edit_outcome(True).items()))).encode()

    first = map_line(line, "0.2.0", "editOutcome")
    second = map_line(reordered, "0.2.0", "editOutcome")

    assert first.event_id == second.event_id and first.event_id.startswith("continue:")


def test_a_schema_field_naming_an_unknown_version_is_rejected_naming_the_known_ones():
    line = json.dumps(cf.autocomplete("x", True) | {"schema": "9.9.9"}).encode()

    result = map_line(line, "0.2.0", "autocomplete")

    assert result.event is None
    assert "'9.9.9'" in result.reason and "(0.1.0, 0.2.0)" in result.reason


def test_level_no_code_events_say_there_is_no_code():
    event = cf.autocomplete("nc", True)
    for key in ("prefix", "suffix", "prompt", "completion"):
        del event[key]

    result = map_line(json.dumps(event).encode(), "0.2.0", "autocomplete")

    assert result.reason.startswith(NOT_FEEDBACK) and "noCode" in result.reason


def test_tasks_are_inferred_from_the_file_path():
    assert infer_task("file:///repo/src/test/java/shop/LedgerTest.java") == "write_test"
    assert infer_task("/repo/web/cart.spec.ts") == "write_test"
    assert infer_task("C:\\repo\\shop\\ledger.py") == "implement_method"
    assert infer_task("/repo/README.md") == "unknown" and infer_task(None) == "unknown"
    assert infer_task(None, "python") == "implement_method"


def test_a_missing_optional_folder_is_skipped(tmp_path):
    tally, events, rejects, _ = run(tmp_path / "run", tmp_path / "absent", optional=True)

    assert tally.lines == 0 and events.empty and rejects.empty
    assert isinstance(events, pd.DataFrame)
