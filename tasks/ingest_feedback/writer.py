"""The ledger's writer: a child process that commits batches while the parent prepares the next.

Why a process and not a thread: sqlite3's `executemany` gives up the GIL around every row's
step and must win it back for the next row's parameters; beside a thread busy in Python it
waits a switch interval (5 ms) each time. Measured here: 200,000 rows took 1.1 s alone and
232 s beside a busy thread. A process has its own interpreter.

Work is split so that both processes are busy: the parent parses, validates, de-duplicates
and scrubs a batch and writes its events as JSON lines (scrubbed: exactly what will be
stored) to a file in the ledger folder; the writer decodes them (one msgspec call), builds the
ledger columns, commits them with the batch's rejects and watermark in one transaction
(`ledger.commit_batch`), writes the same rows back as an Arrow IPC file (the outputs are built
from the run's new events in memory) and acknowledges; at most one batch is in flight. Files,
not the pipe, carry the bulk: a pipe cost the parent about 3 s per million events. The writer
holds `ledger_dir/writer.lock` for its whole life and says it is ready only once it has it, so
the parent reads the ledger's state (known event ids, watermarks) only when no other writer
can change it: not a concurrent ingestion, and not the writer of a run that was killed, which
finishes the batch it had received, then sees its pipe closed and exits. With a PostgreSQL
ledger (`ingest_feedback.ledger`) the lock guards only this folder's batch files: the writer
also holds the run's sources in the database (`ledger.claim_sources`) before it says it is
ready, so several workers (each with its own ledger_dir) write to one ledger at once.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pickle
import subprocess
import sys
import traceback
from collections.abc import Sequence
from contextlib import closing
from multiprocessing.connection import Connection
from pathlib import Path

import msgspec
import pyarrow as pa

from tasks.feedback_events import Event
from tasks.ingest_feedback import ledger
from tasks.ingest_feedback.ingest import Prepared, ledger_columns
from tasks.ingest_feedback.sources import Chunk

LOCK_FILE = "writer.lock"
BATCH_FILES = ".batch-*"  # batches on their way to and from the writer, deleted once read
_encode_lines = msgspec.json.Encoder().encode_lines
_decode_lines = msgspec.json.Decoder(Event).decode_lines
REPO = Path(__file__).resolve().parents[2]


class WriterDied(RuntimeError):
    """The writer process ended without acknowledging a batch."""


def _report(replies: Connection, exc: Exception) -> None:
    trace = traceback.format_exc()
    with contextlib.suppress(OSError):  # the parent is gone: nobody to tell
        try:
            replies.send(("error", exc, trace))
        except (pickle.PicklingError, TypeError, AttributeError):  # it does not pickle
            replies.send(("error", RuntimeError(f"{type(exc).__name__}: {exc}"), trace))


def _serve(
    ledger_dir: str, location: str, sources: list[str], requests: Connection, replies: Connection
) -> None:
    Path(ledger_dir).mkdir(parents=True, exist_ok=True)
    with (Path(ledger_dir) / LOCK_FILE).open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when this process ends, however it ends
        try:
            connection = ledger.open_ledger(ledger_dir, location, writing=True)
            ledger.claim_sources(connection, sources)  # PostgreSQL: held until this ends
        except Exception as exc:  # noqa: BLE001 - reported to the parent, which raises it
            _report(replies, exc)
            return
        for stale in Path(ledger_dir).glob(BATCH_FILES):  # left by a writer that was killed
            stale.unlink()
        replies.send(("ready",))
        with closing(connection):
            while True:
                try:
                    batch_file, events_file, chunk, lines, scrubbed, rejects = requests.recv()
                except (EOFError, OSError):
                    return  # the parent closed the pipe or died: nothing more to commit
                try:
                    events = _decode_lines(Path(batch_file).read_bytes())
                    redactions = ["{}"] * len(events)
                    for at, counts in scrubbed.items():
                        redactions[at] = counts
                    prepared = Prepared(events, lines, redactions)
                    columns = ledger_columns(prepared, chunk.source, chunk.piece)
                    columns = ledger.commit_batch(connection, chunk, columns, rejects)
                    _write_batch(events_file, ledger.as_batch(columns))
                    os.unlink(batch_file)
                except Exception as exc:  # noqa: BLE001 - reported to the parent
                    _report(replies, exc)
                    return
                try:
                    replies.send(("committed", events_file))
                except OSError:  # the parent is gone; the batch is committed all the same
                    return


class LedgerWriter:
    """Commits batches to the ledger in a child process, one batch behind the caller.

    Use as a context manager; `submit` returns once the previous batch is committed, `wait`
    once every submitted batch is. An error in the writer is raised in the caller.
    """

    def __init__(
        self, ledger_dir: str | Path, location: str = ledger.SQLITE, sources: Sequence[str] = ()
    ) -> None:
        # A plain child interpreter (`python -m` this module) rather than multiprocessing's
        # spawn, which would re-run the caller's main script in the child.
        from_parent, to_child = os.pipe()  # (read end, write end)
        from_child, to_parent = os.pipe()
        self._dir = Path(ledger_dir).resolve()
        self._batches = 0
        self._committed: list[Path] = []  # the writer's record batches, not yet handed back
        command = [sys.executable, "-m", __name__, str(self._dir)]
        command += [str(from_parent), str(to_parent), location, *sources]
        path = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
        self._process = subprocess.Popen(
            command, pass_fds=(from_parent, to_parent), env=os.environ | {"PYTHONPATH": path}
        )
        os.close(from_parent)
        os.close(to_parent)
        self._to = Connection(to_child, readable=False)
        self._from = Connection(from_child, writable=False)
        self._in_flight = True  # until the writer says it is ready

    def __enter__(self) -> LedgerWriter:
        self.wait()
        return self

    def __exit__(self, *exc_info: object) -> None:
        try:
            if exc_info[0] is None:
                self.wait()
        finally:
            self._to.close()  # the writer sees end of file and exits
            self._from.close()
            self._process.wait()
            for leftover in self._dir.glob(BATCH_FILES):  # after an error: batches not read
                leftover.unlink()

    def wait(self) -> None:
        """Block until every submitted batch is committed."""
        if not self._in_flight:
            return
        try:
            reply = self._from.recv()
        except EOFError:
            raise WriterDied(f"the ledger writer exited ({self._process.wait()})") from None
        self._in_flight = False
        if reply[0] == "error":
            _, exc, trace = reply
            exc.add_note(f"in the ledger writer:\n{trace}")
            raise exc
        if reply[0] == "committed":
            self._committed.append(Path(reply[1]))

    def submit(self, chunk: Chunk, prepared: Prepared, rejects: list[tuple]) -> None:
        """Hand a batch to the writer: its events go as JSON lines (scrubbed: as they will be
        stored), the rest on the pipe."""
        self._batches += 1
        batch_file = self._dir / BATCH_FILES.replace("*", f"{self._batches % 2}.jsonl")
        batch_file.write_bytes(_encode_lines(prepared.events))
        events_file = self._dir / BATCH_FILES.replace("*", f"{self._batches}.arrow")
        scrubbed = {at: counts for at, counts in enumerate(prepared.redactions) if counts != "{}"}
        self.wait()
        request = (str(batch_file), str(events_file), chunk.without_lines(), prepared.lines,
                   scrubbed, rejects)  # fmt: skip
        self._to.send(request)
        self._in_flight = True

    def committed(self) -> list[pa.RecordBatch]:
        """The events of every batch committed so far, as the ledger holds them, in order
        (each handed over once)."""
        batches = []
        for events_file in self._committed:
            with pa.OSFile(str(events_file)) as source:
                batches.append(pa.ipc.open_stream(source).read_next_batch())
            events_file.unlink()
        self._committed.clear()
        return batches


def _write_batch(path: str, batch: pa.RecordBatch) -> None:
    with pa.OSFile(path, "wb") as sink, pa.ipc.new_stream(sink, batch.schema) as stream:
        stream.write_batch(batch)


def main() -> None:
    ledger_dir, requests, replies, location, *sources = sys.argv[1:]
    with Connection(int(requests), writable=False) as inbox:
        _serve(ledger_dir, location, sources, inbox, Connection(int(replies), readable=False))


if __name__ == "__main__":
    main()
