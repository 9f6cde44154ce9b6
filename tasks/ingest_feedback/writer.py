"""The ledger's writer: a child process that commits batches while the parent prepares the next.

Why a process and not a thread: sqlite3's `executemany` gives up the GIL around every row's
step and must win it back for the next row's parameters; beside a thread busy in Python it
waits a switch interval (5 ms) each time. Measured here: 200,000 rows took 1.1 s alone and
232 s beside a busy thread. A process has its own interpreter.

Batches arrive as Arrow IPC files in the ledger folder (the record batch the parent builds
anyway, written once and memory-mapped by the writer: a pipe moved the same 500 MB per million
events at a third of the parent's time), named with their rejects and watermark on a pipe;
each is committed in one transaction
(`ledger.commit_batch`) and acknowledged, at most one batch in flight. The writer holds
`ledger_dir/writer.lock` for its whole life and says it is ready only once it has it, so the
parent reads the ledger's state (known event ids, watermarks) only when no other writer can
change it: not a concurrent ingestion, and not the writer of a run that was killed, which
finishes the batch it had received, then sees its pipe closed and exits.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pickle
import subprocess
import sys
import traceback
from contextlib import closing
from multiprocessing.connection import Connection
from pathlib import Path

import pyarrow as pa

from tasks.ingest_feedback import ledger
from tasks.ingest_feedback.sources import Chunk

LOCK_FILE = "writer.lock"
BATCH_FILES = ".batch-*.arrow"  # a batch on its way to the writer, deleted once committed
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


def _serve(ledger_dir: str, requests: Connection, replies: Connection) -> None:
    Path(ledger_dir).mkdir(parents=True, exist_ok=True)
    with (Path(ledger_dir) / LOCK_FILE).open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when this process ends, however it ends
        try:
            connection = ledger.open_ledger(ledger_dir)
        except Exception as exc:  # noqa: BLE001 - reported to the parent, which raises it
            _report(replies, exc)
            return
        for stale in Path(ledger_dir).glob(BATCH_FILES):  # left by a writer that was killed
            stale.unlink()
        replies.send(("ready",))
        with closing(connection):
            while True:
                try:
                    batch_file, chunk, rejects = requests.recv()
                except (EOFError, OSError):
                    return  # the parent closed the pipe or died: nothing more to commit
                try:
                    with pa.memory_map(batch_file) as source:
                        batch = pa.ipc.open_stream(source).read_next_batch()
                        columns = [column.to_pylist() for column in batch.columns]
                    ledger.commit_batch(connection, chunk, columns, rejects)
                    os.unlink(batch_file)
                except Exception as exc:  # noqa: BLE001 - reported to the parent
                    _report(replies, exc)
                    return
                try:
                    replies.send(("committed",))
                except OSError:  # the parent is gone; the batch is committed all the same
                    return


class LedgerWriter:
    """Commits batches to the ledger in a child process, one batch behind the caller.

    Use as a context manager; `submit` returns once the previous batch is committed, `wait`
    once every submitted batch is. An error in the writer is raised in the caller.
    """

    def __init__(self, ledger_dir: str | Path) -> None:
        # A plain child interpreter (`python -m` this module) rather than multiprocessing's
        # spawn, which would re-run the caller's main script in the child.
        from_parent, to_child = os.pipe()  # (read end, write end)
        from_child, to_parent = os.pipe()
        self._dir = Path(ledger_dir).resolve()
        self._batches = 0
        command = [sys.executable, "-m", __name__, str(self._dir)]
        command += [str(from_parent), str(to_parent)]
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

    def submit(self, chunk: Chunk, events: pa.RecordBatch, rejects: list[tuple]) -> None:
        """Hand a batch (events as a record batch in ledger column order) to the writer."""
        self._batches += 1
        batch_file = self._dir / BATCH_FILES.replace("*", str(self._batches % 2))
        with pa.OSFile(str(batch_file), "wb") as sink, pa.ipc.new_stream(sink, events.schema) as w:
            w.write_batch(events)
        self.wait()
        self._to.send((str(batch_file), chunk.without_lines(), rejects))
        self._in_flight = True


def main() -> None:
    ledger_dir, requests, replies = sys.argv[1:]
    with Connection(int(requests), writable=False) as inbox:
        _serve(ledger_dir, inbox, Connection(int(replies), readable=False))


if __name__ == "__main__":
    main()
