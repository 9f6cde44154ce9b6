"""Tabby's event logs (~/.tabby/events/YYYY-MM-DD.json) as a feedback source.

Lines in the shape of crates/tabby-common/src/api/event.rs: a `LogEntry` {user, ts (epoch
ms), event} with the `Event` enum externally tagged in snake_case.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

from tasks.ingest_feedback.__main__ import ingest_sources, write_outputs
from tasks.ingest_feedback.ide import NOT_FEEDBACK
from tasks.io import read_parquet
from tests.ingest_feedback.factory import feedback_params
from tests.support import fake_aws_key_id

AWS_KEY = fake_aws_key_id()  # planted at run time, never a committed literal
DAY = 86_400_000
T0 = 1793614530000  # 2026-11-02T10:15:30Z


def entry(event_type: str, body: dict, ts: int, user: str | None = "alice@corp") -> dict:
    return {"user": user, "ts": ts, "event": {event_type: body}}


def completion(cid: str, ts: int, prefix: str = "def add(a, b):\n    ",
               filepath: str = "src/calc.py", **extra) -> dict:  # fmt: skip
    segments = {"prefix": prefix, "suffix": "\n\nprint(add(1, 2))\n", "filepath": filepath,
                "git_url": "https://git.example.com/shop"}  # fmt: skip
    body = {"completion_id": cid, "language": "python",
            "prompt": "<PRE> " + prefix + " <SUF>", "segments": segments,
            "choices": [{"index": 0, "text": f"return a + b  # {cid}"}],
            "user_agent": "tabby-agent/1.8.0 vscode/1.95.3"}  # fmt: skip
    return entry("completion", body | extra, ts)


def outcome(event_type: str, cid: str, ts: int, **extra) -> dict:
    body = {"completion_id": cid, "choice_index": 0, "view_id": f"view-{cid}"}
    if event_type != "view":
        body["elapsed"] = 1200
    return entry(event_type, body | extra, ts)


def write_day(folder: Path, day: str, lines: list[dict | str], append: bool = False) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    text = "".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines)
    with (folder / f"{day}.json").open("a" if append else "w", encoding="utf-8") as fh:
        fh.write(text)


def run(root: Path, events_dir: Path, **source):
    root.mkdir(parents=True, exist_ok=True)
    params = feedback_params(root, {"tabby": {"type": "tabby", "path": str(events_dir), **source}})
    tally = ingest_sources(params)
    write_outputs(params, tally)
    step = params.ingest_feedback
    return tally, read_parquet(step.events), read_parquet(step.rejects), params


def first_day() -> list[dict | str]:
    return [
        completion("cmpl-a", T0),
        outcome("view", "cmpl-a", T0 + 10),
        outcome("select", "cmpl-a", T0 + 900),
        completion("cmpl-b", T0 + 1000, filepath="tests/test_calc.py"),
        outcome("view", "cmpl-b", T0 + 1010),
        outcome("dismiss", "cmpl-b", T0 + 1500),
        completion("cmpl-c", T0 + 2000),
        outcome("view", "cmpl-c", T0 + 2010),  # undecided
        outcome("select", "cmpl-line", T0 + 2100, kind="line"),
        entry("chat_completion", {}, T0 + 2200),
        outcome("dismiss", "cmpl-never-logged", T0 + 2300),
        outcome("select", "cmpl-a", T0 + 2400, choice_index=3),
        entry("future_event", {"x": 1}, T0 + 2500),
        "{not json",
    ]


def test_selects_and_dismisses_are_paired_with_their_completion(tmp_path):
    write_day(tmp_path / "events", "2026-11-02", first_day())

    tally, events, rejects, _ = run(tmp_path / "run", tmp_path / "events")

    assert tally.lines == 14
    by_id = events.set_index("event_id")
    assert list(by_id.index) == ["tabby:cmpl-a:0:select", "tabby:cmpl-b:0:dismiss"]
    accepted = by_id.loc["tabby:cmpl-a:0:select"]
    assert accepted["action"] == "accept" and accepted["completion"] == "return a + b  # cmpl-a"
    assert accepted["task"] == "implement_method" and accepted["model_version"] == "tabby"
    assert accepted["client"] == "tabby/tabby-agent/1.8.0 vscode/1.95.3"
    assert accepted["user"] == hashlib.sha256(b"alice@corp").hexdigest()
    assert accepted["timestamp"] == "2026-11-02T10:15:30.900Z"  # when the verdict came
    assert "<FILL_HERE>" in json.loads(accepted["prompt"])[0]["content"]
    assert accepted["line"] == 3  # the select's line made it an event
    assert by_id.loc["tabby:cmpl-b:0:dismiss", "action"] == "reject"
    assert by_id.loc["tabby:cmpl-b:0:dismiss", "task"] == "write_test"
    reasons = dict(zip(rejects["line"], rejects["reason"], strict=True))
    assert reasons[9].startswith(NOT_FEEDBACK + "tabby select of one line of cmpl-line")
    assert reasons[10].startswith(NOT_FEEDBACK + "tabby chat_completion")
    assert reasons[11].startswith("tabby dismiss: no completion event for completion_id"
                                  " cmpl-never-logged")  # fmt: skip
    assert reasons[12] == "tabby select: completion cmpl-a has no choice 3"
    assert reasons[13].startswith("tabby: unknown event type")
    assert reasons[14].startswith("invalid JSON")
    # Completions and views are no events and no rejects: 6 lines, none of them garbage.
    assert len(events) + len(rejects) == tally.lines - 6


def test_a_verdict_in_a_later_run_and_file_finds_its_waiting_completion_once(tmp_path):
    events_dir = tmp_path / "events"
    write_day(events_dir, "2026-11-02", first_day())
    _, first, first_rejects, params = run(tmp_path / "run", events_dir)

    tally, again, again_rejects, _ = run(tmp_path / "run", events_dir)  # nothing new
    assert (tally.lines, len(again), len(again_rejects)) == (0, len(first), len(first_rejects))

    # cmpl-c is decided after midnight (UTC), in the next day's file; cmpl-a is logged again.
    write_day(events_dir, "2026-11-03", [
        outcome("select", "cmpl-c", T0 + DAY), outcome("select", "cmpl-a", T0 + DAY + 5),
        completion("cmpl-d", T0 + DAY + 10), outcome("dismiss", "cmpl-d", T0 + DAY + 20),
    ])  # fmt: skip
    write_day(events_dir, "2026-11-02", [outcome("dismiss", "cmpl-c", T0 + 3000)], append=True)
    tally, events, rejects, params = run(tmp_path / "run", events_dir)

    new = set(events["event_id"]) - set(first["event_id"])
    assert new == {"tabby:cmpl-c:0:dismiss", "tabby:cmpl-c:0:select", "tabby:cmpl-d:0:dismiss"}
    assert events["event_id"].is_unique
    [duplicate] = rejects["reason"].iloc[len(first_rejects) :]
    assert duplicate.startswith("duplicate event_id (already ingested from tabby/2026-11-02.json")
    late = events.set_index("event_id").loc["tabby:cmpl-c:0:select"]
    assert late["source_file"] == "2026-11-03.json" and late["completion"].endswith("cmpl-c")

    tally, *_ = run(tmp_path / "run", events_dir)
    assert (tally.lines, tally.events, tally.rejects) == (0, 0, 0)


def test_completions_wait_in_the_ledger_only_as_places_and_a_secret_is_scrubbed(tmp_path):
    events_dir = tmp_path / "events"
    leaky = f"AWS_ACCESS_KEY_ID = '{AWS_KEY}'\ndef add(a, b):\n    "
    write_day(events_dir, "2026-11-02", [completion("cmpl-s", T0, prefix=leaky)])
    _, events, _, params = run(tmp_path / "run", events_dir)
    ledger = Path(params.ingest_feedback.ledger_dir) / "ledger.sqlite"
    with sqlite3.connect(ledger) as db:
        assert db.execute("SELECT completion_id, piece FROM pending").fetchall() == [
            ("cmpl-s", "2026-11-02.json")
        ]
    assert events.empty

    write_day(events_dir, "2026-11-02", [outcome("select", "cmpl-s", T0 + 50)], append=True)
    _, events, _, params = run(tmp_path / "run", events_dir)

    assert list(events["event_id"]) == ["tabby:cmpl-s:0:select"]
    for blob in (ledger.read_bytes(), Path(params.ingest_feedback.events).read_bytes()):
        assert AWS_KEY.encode() not in blob and b"alice@corp" not in blob
    assert "<KEY>" in events["prompt"].iloc[0]
    assert json.loads(events["redactions"].iloc[0]) == {"AWS_KEY": 1}


def test_a_completion_older_than_pending_days_is_let_go(tmp_path):
    events_dir = tmp_path / "events"
    write_day(events_dir, "2026-11-02", [completion("cmpl-old", T0)])
    run(tmp_path / "run", events_dir, pending_days=1)
    write_day(
        events_dir,
        "2026-11-05",
        [completion("cmpl-new", T0 + 3 * DAY), outcome("select", "cmpl-old", T0 + 3 * DAY + 1)],
    )

    _, events, rejects, params = run(tmp_path / "run", events_dir, pending_days=1)

    assert events.empty
    assert (
        rejects["reason"]
        .iloc[-1]
        .startswith(
            "tabby select: no completion event for completion_id cmpl-old"
            " (none read, or older than 1 days)"
        )
    )
    ledger = Path(params.ingest_feedback.ledger_dir) / "ledger.sqlite"
    with sqlite3.connect(ledger) as db:
        assert db.execute("SELECT completion_id FROM pending").fetchall() == [("cmpl-new",)]


def test_an_old_completion_that_carried_its_user_inside_is_still_attributed(tmp_path):
    events_dir = tmp_path / "events"
    old = completion("cmpl-u", T0)
    old["event"]["completion"]["user"] = "bob"
    del old["user"]
    write_day(
        events_dir,
        "2026-01-02",
        [old, entry("select", {"completion_id": "cmpl-u", "choice_index": 0}, T0 + 5, None)],
    )

    _, events, _, _ = run(tmp_path / "run", events_dir)

    assert list(events["user"]) == [hashlib.sha256(b"bob").hexdigest()]
