"""The feedback ledger in PostgreSQL (`ingest_feedback.ledger: postgresql://...`), tested against
a real server this module starts (Debian's postgresql: `make test` installs it): the same
ingestion as SQLite, and several ingesters writing at once with every event stored once."""

from __future__ import annotations

import glob
import json
import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from contextlib import closing
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

from tasks.ingest_feedback import ledger
from tasks.ingest_feedback.__main__ import main
from tasks.ingest_feedback.ingest import ledger_columns, process_chunk, reject_kind
from tasks.ingest_feedback.sources import Chunk, Watermark
from tasks.params import ParamsError, load_params
from tests.ingest_feedback import continue_fixtures as cf
from tests.ingest_feedback.factory import event, feedback_params, write_events
from tests.ingest_feedback.test_continue import every_documented_event
from tests.ingest_feedback.test_tabby import DAY, T0, completion, first_day, outcome, write_day
from tests.support import REPO

psycopg = pytest.importorskip("psycopg", reason="psycopg (the PostgreSQL driver) not installed")

OUTPUTS = ("events", "rejects", "records", "dpo", "kto", "metrics", "rates", "daily",
           "retrain_decision")  # fmt: skip
DUPLICATE = re.compile(r"duplicate event_id \(already ingested from (.+)/(.+):(\d+)\)")


def _postgres_bin() -> Path | None:
    found = shutil.which("initdb")
    candidates = [found] if found else sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(candidates[-1]).parent if candidates else None


def _server_account() -> dict:
    """subprocess arguments that run the server as an unprivileged user: initdb and postgres
    refuse to run as root."""
    if os.geteuid() != 0:
        return {}
    for name in ("postgres", "nobody"):
        try:
            account = pwd.getpwnam(name)
        except KeyError:
            continue
        return {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}
    pytest.skip("running as root and no unprivileged account (postgres, nobody) to run PostgreSQL")


class Server:
    """A PostgreSQL server in a temporary folder, listening only on a unix socket there, every
    connection trusted (no password anywhere)."""

    port = 5432  # names the socket file only: no TCP port is opened
    user = "ledger"

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.account = _server_account()
        self.root = Path(tempfile.mkdtemp(prefix="ledger-pg-"))
        if self.account:
            os.chown(self.root, self.account["user"], self.account["group"])

    def _run(self, *command: str) -> None:
        result = subprocess.run(
            [str(self.bin_dir / command[0]), *command[1:]],
            capture_output=True,
            text=True,
            cwd=self.root,
            **self.account,
        )
        if result.returncode:
            log = self.root / "server.log"
            tail = log.read_text()[-3000:] if log.exists() else ""
            raise RuntimeError(f"{command[0]} failed: {result.stderr}{result.stdout}\n{tail}")

    def start(self) -> None:
        data = str(self.root / "data")
        self._run("initdb", "-D", data, "-U", self.user, "--auth=trust", "-E", "UTF8",
                  "--locale=C", "--no-sync")  # fmt: skip
        # Durability is not what is tested here: no fsync, for speed on a small machine.
        options = (f"-k {self.root} -c listen_addresses= -p {self.port} -c fsync=off"
                   " -c full_page_writes=off -c max_connections=40")  # fmt: skip
        self._run("pg_ctl", "-D", data, "-l", str(self.root / "server.log"), "-o", options,
                  "-w", "-t", "60", "start")  # fmt: skip

    def stop(self) -> None:
        try:
            if (self.root / "data" / "postmaster.pid").exists():
                self._run("pg_ctl", "-D", str(self.root / "data"), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str) -> str:
        return f"postgresql://{self.user}@/{database}?host={self.root}&port={self.port}"

    def new_database(self) -> str:
        name = f"ledger_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url("postgres"), autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {name}")
        return self.url(name)


@pytest.fixture(scope="module")
def server():
    bin_dir = _postgres_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL server binaries not found (Debian: apt-get install postgresql)")
    server = Server(bin_dir)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture
def url(server) -> str:
    """A new, empty database for one test's ledger."""
    return server.new_database()


def params_at(root: Path, sources: dict, **step):
    root.mkdir(parents=True, exist_ok=True)
    return feedback_params(root, sources, **step)


def pg_params(root: Path, url: str, sources: dict, **step):
    return params_at(root, sources, ledger=url, **step)


def run_step(params) -> None:
    main(["--params", str(Path(params.ingest_feedback.ledger_dir).parent / "params.yaml")])


def ledger_state(params) -> dict:
    step = params.ingest_feedback
    with closing(ledger.open_ledger(step.ledger_dir, step.ledger)) as connection:
        return {
            "events": ledger.all_events(connection),
            "rejects": ledger.all_rejects(connection),
            "marks": {name: ledger.watermarks(connection, name) for name in step.sources},
            "pending": {
                name: ledger.pending_completions(connection, name) for name in step.sources
            },
            "known": ledger.known_event_ids(connection),
        }


def outputs(params) -> dict[str, object]:
    step = params.ingest_feedback
    found = {}
    for name in OUTPUTS:
        path = Path(getattr(step, name))
        found[name] = pq.read_table(path) if path.suffix == ".parquet" else path.read_bytes()
    return found


def odd_text_events() -> list[dict | str]:
    """Events whose text PostgreSQL cannot hold as it is (U+0000) or that look like its escape."""
    return [
        event(event_id="nul-\x00-id", completion="a\x00b\x00", client="cli\x01ent"),
        event(
            event_id="soh",
            completion="\x01\x02 and \x01\x01",
            action="edit",
            edited_completion="\x00",
        ),
        event(event_id="empty-vs-null", action="reject", edited_completion=""),
        event(event_id="quotes", completion='say "hi",\r\n\\. then\n"', task="write_test"),
        event(event_id="unicode", completion="é 中文 🙂", model_version="m2"),
        event(event_id="secret", prompt=[{"role": "user", "content": "mail bob@example.com"}]),
    ]


def mixed_inputs(root: Path) -> dict:
    """Every kind of source (dir, Continue, Tabby), with duplicates, broken lines and odd text."""
    write_events(root / "inbox" / "a.jsonl", [
        *odd_text_events(), event(event_id="e1"), event(event_id="e1"), "{broken", "",
        event(event_id="bad", action="maybe"), event(event_id="e2", latency_ms=0.1),
    ])  # fmt: skip
    write_events(root / "inbox" / "b.jsonl", [event(event_id="e2"), event(event_id="e3")])
    cf.write_dev_data(root / "dev_data", every_documented_event())
    write_day(root / "tabby", "2026-11-02", first_day())
    return {
        "inbox": {"type": "dir", "path": str(root / "inbox")},
        "ide": {"type": "continue", "path": str(root / "dev_data")},
        "tabby": {"type": "tabby", "path": str(root / "tabby")},
    }


def more_inputs(root: Path) -> None:
    with (root / "inbox" / "a.jsonl").open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(event(event_id="e3")) + "\n" + json.dumps(event(event_id="e4")) + "\n")
    write_day(root / "tabby", "2026-11-03", [
        outcome("select", "cmpl-c", T0 + DAY), completion("cmpl-d", T0 + DAY + 10),
        outcome("dismiss", "cmpl-d", T0 + DAY + 20),
    ])  # fmt: skip


def test_given_the_same_inputs_when_ingested_then_postgresql_holds_and_outputs_what_sqlite_does(
    tmp_path, url
):
    sources = mixed_inputs(tmp_path / "in")
    lite = params_at(tmp_path / "sqlite", sources, batch_size=3)
    pg = pg_params(tmp_path / "pg", url, sources, batch_size=3)

    for _ in range(2):  # the second run finds nothing new
        for params in (lite, pg):
            run_step(params)
        assert ledger_state(pg) == ledger_state(lite)
        assert outputs(pg) == outputs(lite)
    more_inputs(tmp_path / "in")  # appended lines, a late verdict for a waiting completion
    for params in (lite, pg):
        run_step(params)

    state = ledger_state(pg)
    assert state == ledger_state(lite)
    assert outputs(pg) == outputs(lite)
    events = state["events"].to_pylist()
    by_id = {row["event_id"]: row for row in events}
    assert by_id["nul-\x00-id"]["completion"] == "a\x00b\x00"  # U+0000 stored and read back
    assert by_id["soh"]["completion"] == "\x01\x02 and \x01\x01"
    assert by_id["empty-vs-null"]["edited_completion"] is None  # "" is stored as no edit
    assert by_id["quotes"]["completion"] == 'say "hi",\r\n\\. then\n"'
    assert "bob@example.com" not in by_id["secret"]["prompt"]
    assert "tabby:cmpl-c:0:select" in by_id
    kinds = Counter(map(reject_kind, state["rejects"]["reason"].to_pylist()))
    assert kinds == {"not_feedback": 12, "invalid_event": 8, "duplicate": 3, "invalid_json": 2}


def stale_batch(source: str, piece: str, lines: list, seen: dict) -> tuple:
    """A batch as a worker prepares it from its (possibly out of date) view of the ledger."""
    raw = [(x if isinstance(x, str) else json.dumps(x)).encode() for x in lines]
    chunk = Chunk(source, piece, raw, 1, Watermark(sum(len(x) + 1 for x in raw), len(raw)))
    prepared, rejects = process_chunk(chunk, seen)
    return chunk, ledger_columns(prepared, source, piece), rejects


def test_given_an_event_another_writer_stored_first_when_a_batch_commits_then_it_is_a_duplicate(
    url,
):
    first = ledger.open_ledger(None, url, writing=True)
    second = ledger.open_ledger(None, url, writing=True)
    with closing(first), closing(second):
        ledger.commit_batch(
            first, *stale_batch("east", "x.jsonl", [event(), event(event_id="e2")], {})
        )
        # The second worker read the ledger before that commit: e1 and e2 look new to it.
        chunk, columns, rejects = stale_batch(
            "west",
            "y.jsonl",
            [event(event_id="e2"), event(event_id="e3"), event(event_id="e2")],
            {},
        )
        mine = "duplicate event_id (already ingested from west/y.jsonl:1)"  # its own view
        assert rejects == [("west", "y.jsonl", 3, "e2", mine)]
        stored = ledger.commit_batch(second, chunk, columns, rejects)

    assert list(stored[0]) == ["e3"]
    with closing(ledger.open_ledger(None, url)) as reader:
        events = ledger.all_events(reader)
        rejects = ledger.all_rejects(reader).to_pylist()
        marks = ledger.watermarks(reader, "west")
    assert events["event_id"].to_pylist() == ["e1", "e2", "e3"]
    assert [(r["line"], r["reason"]) for r in rejects] == [
        (1, "duplicate event_id (already ingested from east/x.jsonl:2)"),  # was stored meanwhile
        (3, "duplicate event_id (already ingested from east/x.jsonl:2)"),  # names the stored row
    ]
    assert marks == {"y.jsonl": chunk.end}


def test_given_a_commit_in_flight_with_the_same_event_when_a_batch_commits_then_it_waits_for_it(
    url,
):
    writer = ledger.open_ledger(None, url, writing=True)
    other = psycopg.connect(url)  # another worker, mid-transaction, has inserted e1
    with closing(writer), closing(other):
        ledger.commit_batch(writer, *stale_batch("east", "x.jsonl", [event(event_id="e0")], {}))
        other.execute(
            "INSERT INTO feedback_ledger.events (seq, event_id, source, source_file, line)"
            " VALUES (1, 'e1', 'north', 'n.jsonl', 7)"
        )
        batch = stale_batch("west", "y.jsonl", [event(event_id="e1"), event(event_id="e5")], {})
        done: list = []
        committing = threading.Thread(
            target=lambda: done.append(ledger.commit_batch(writer, *batch))
        )
        committing.start()
        committing.join(timeout=2)
        assert committing.is_alive()  # waits on the other transaction's e1
        other.commit()
        committing.join(timeout=30)
        assert not committing.is_alive()

    assert list(done[0][0]) == ["e5"]
    with closing(ledger.open_ledger(None, url)) as reader:
        rejects = ledger.all_rejects(reader).to_pylist()
        assert sorted(ledger.known_event_ids(reader)) == ["e0", "e1", "e5"]
    assert [(r["source"], r["line"], r["reason"]) for r in rejects] == [
        ("west", 1, "duplicate event_id (already ingested from north/n.jsonl:7)")
    ]


def test_given_a_writer_holding_a_source_when_another_claims_it_then_it_waits_until_the_first_ends(
    url,
):
    holder = ledger.open_ledger(None, url, writing=True)
    ledger.claim_sources(holder, ["east", "shared"])
    claimed = threading.Event()

    def claim(sources: list[str]) -> None:
        with closing(ledger.open_ledger(None, url, writing=True)) as connection:
            ledger.claim_sources(connection, sources)
            claimed.set()

    with closing(ledger.open_ledger(None, url, writing=True)) as free:
        ledger.claim_sources(free, ["west"])  # another source: at once
    waiting = threading.Thread(target=claim, args=(["west", "shared"],))
    waiting.start()
    assert not claimed.wait(timeout=2)
    holder.close()  # a writer that ends, however it ends, lets its sources go
    assert claimed.wait(timeout=30)
    waiting.join()


def generated_sources(root: Path, names: list[str], files: int = 3, per_file: int = 1500) -> dict:
    """One folder per source, every folder holding the same events in another order (ids shared
    across files and folders), plus broken lines: worst-case overlap between workers."""
    for turn, name in enumerate(names):
        for f in range(files):
            lines = []
            for n in range(per_file)[:: -1 if turn % 2 else 1]:  # the next folder backwards
                action = ("accept", "edit", "reject")[n % 3]
                lines.append(event(
                    event_id=f"f{f}-{n}" if n % 40 else f"shared-{n}",
                    completion=f"def fee():\n    return {n}\n", action=action,
                    edited_completion=f"def fee():\n    return {n + 1}\n"
                    if action == "edit" else None,
                ))  # fmt: skip
                if n % 101 == 0:
                    lines.append("{broken")
            write_events(root / name / f"{f}.jsonl", lines)
    return {name: {"type": "dir", "path": str(root / name)} for name in names}


def gate(url: str) -> psycopg.Connection:
    """A transaction that holds off every insert into the events table until it ends."""
    with closing(ledger.open_ledger(None, url, writing=True)):  # the tables, if not there yet
        pass
    held = psycopg.connect(url)
    held.execute("LOCK TABLE feedback_ledger.events IN EXCLUSIVE MODE")  # reads go on
    return held


def wait_until_blocked(url: str, sessions: int) -> None:
    with psycopg.connect(url, autocommit=True) as watcher:
        deadline = time.monotonic() + 240
        query = ("SELECT count(*) FROM pg_stat_activity"
                 " WHERE datname = current_database() AND wait_event_type = 'Lock'")  # fmt: skip
        while watcher.execute(query).fetchone()[0] < sessions:
            assert time.monotonic() < deadline, "the ingesters never reached their first commit"
            time.sleep(0.05)


def start_ingester(params) -> subprocess.Popen:
    path = Path(params.ingest_feedback.ledger_dir).parent / "params.yaml"
    command = [sys.executable, "-m", "tasks.ingest_feedback", "--params", str(path)]
    return subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def wait_all(processes: list[subprocess.Popen]) -> list[str]:
    logs = []
    for process in processes:
        out, _ = process.communicate(timeout=300)
        logs.append(out.decode())
        assert process.returncode == 0, out.decode()[-3000:]
    return logs


def assert_each_line_once(state: dict, sources: dict) -> None:
    """Every non-blank line of every source file is exactly one event or one reject, every
    duplicate names the row the ledger holds, and every watermark is at its file's end."""
    events, rejects = state["events"].to_pylist(), state["rejects"].to_pylist()
    places = Counter((r["source"], r["source_file"], r["line"]) for r in events + rejects)
    expected = set()
    for name, source in sources.items():
        for path in sorted(Path(source["path"]).glob("*.jsonl")):
            data = path.read_bytes()
            lines = data.split(b"\n")[:-1]
            expected |= {(name, path.name, n) for n, line in enumerate(lines, 1) if line.strip()}
            assert state["marks"][name][path.name] == Watermark(len(data), len(lines), "")
    assert set(places) == expected and set(places.values()) == {1}
    stored = {r["event_id"]: (r["source"], r["source_file"], r["line"]) for r in events}
    assert len(stored) == len(events)
    for reject in rejects:
        if match := DUPLICATE.fullmatch(reject["reason"]):
            src, piece, line = match.groups()
            assert stored[reject["event_id"]] == (src, piece, int(line))


@pytest.mark.slow  # four ingestion processes
def test_given_two_ingesters_at_once_on_overlapping_inputs_then_every_event_is_stored_once(
    tmp_path, url
):
    sources = generated_sources(tmp_path / "in", ["east", "west"])
    workers = [pg_params(tmp_path / name, url, {name: sources[name]}, batch_size=200)
               for name in sources]  # fmt: skip
    serial = params_at(tmp_path / "serial", sources, batch_size=200)  # SQLite, one run

    held = gate(url)
    ingesters = [start_ingester(params) for params in workers]
    wait_until_blocked(url, len(ingesters))  # each with its first batch, waiting to insert it
    held.close()  # from here on both write at once
    wait_all(ingesters)
    run_step(serial)

    both = pg_params(tmp_path / "both", url, sources)  # reads the whole ledger
    state, expected = ledger_state(both), ledger_state(serial)
    assert_each_line_once(state, sources)
    order = state["events"]["source"].to_pylist()  # by seq: batches of both, interleaved
    assert sum(a != b for a, b in zip(order, order[1:], strict=False)) >= 1
    assert set(state["known"]) == set(expected["known"])  # every event, once
    kinds = Counter(map(reject_kind, state["rejects"]["reason"].to_pylist()))
    assert kinds == Counter(map(reject_kind, expected["rejects"]["reason"].to_pylist()))
    # Another run finds nothing new and changes nothing.
    [log] = wait_all([start_ingester(workers[0])])
    assert "0 new lines, 0 events ingested, 0 rejected" in log
    assert ledger_state(both) == state


@pytest.mark.slow  # three ingestion processes
def test_given_two_ingesters_of_the_same_source_at_once_then_the_ledger_is_one_serial_run(
    tmp_path, url
):
    sources = generated_sources(tmp_path / "in", ["inbox"], files=2, per_file=1000)
    workers = [pg_params(tmp_path / name, url, sources, batch_size=200) for name in ("a", "b")]
    serial = params_at(tmp_path / "serial", sources, batch_size=200)

    logs = wait_all([start_ingester(params) for params in workers])
    run_step(serial)

    state, expected = ledger_state(workers[0]), ledger_state(serial)
    assert_each_line_once(state, sources)
    assert state == expected  # one worker ingested it all, the other found nothing new
    assert sum("feedback: 0 new lines" in log for log in logs) == 1
    for params in workers:
        run_step(params)  # outputs from the whole ledger, whichever worker wrote it
        assert outputs(params) == outputs(serial)


def test_given_a_ledger_url_when_params_are_loaded_then_only_postgresql_without_a_password_passes(
    tmp_path,
):
    raw = yaml.safe_load((REPO / "params.yaml").read_text())
    path = tmp_path / "params.yaml"

    def load(location: str):
        raw["ingest_feedback"]["ledger"] = location
        path.write_text(yaml.safe_dump(raw))
        return load_params(path).ingest_feedback.ledger

    assert load("sqlite") == "sqlite"
    assert load("postgresql://ingest@db.internal:5432/feedback") == (
        "postgresql://ingest@db.internal:5432/feedback"
    )
    planted = uuid.uuid4().hex  # a password, made up at run time
    for bad in (f"postgresql://ingest:{planted}@db/feedback", f"postgres:///f?password={planted}"):
        with pytest.raises(ParamsError, match="no password in the URL") as refused:
            load(bad)
        assert planted not in str(refused.value)
    with pytest.raises(ParamsError, match="sqlite or a postgresql:// URL"):
        load("mysql://db/feedback")
