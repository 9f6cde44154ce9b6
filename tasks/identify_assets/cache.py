"""Content-addressed cache of per-file results, kept outside DVC's outputs.

DVC deletes a stage's outputs before it runs, so the cache lives in its own directory
(`identify_assets.cache_dir`): one SQLite file whose keys are `process.cache_key` values (raw
bytes' sha256 + settings + code version), so unchanged files are never processed twice. A
damaged or unwritable cache only costs time: the scan goes on without it.
"""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

from tasks.identify_assets.process import Processed

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS results (key TEXT PRIMARY KEY, meta TEXT, text TEXT, sig BLOB)"
)
_CHUNK = 500  # keys per SELECT (SQLite's bound-parameter limit is larger, this is plenty)


class ResultCache:
    """Processed results by cache key, in `<directory>/results.sqlite`."""

    def __init__(self, directory: str | Path) -> None:
        self.path = Path(directory) / "results.sqlite"
        self._db: sqlite3.Connection | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=60)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            self._disable(exc)

    def _disable(self, exc: Exception) -> None:
        print(f"warning: result cache {self.path} unusable, scanning without it ({exc})",
              file=sys.stderr)  # fmt: skip
        if self._db is not None:
            self._db.close()
        self._db = None

    def get_many(self, keys: list[str]) -> dict[str, Processed]:
        """The cached results among `keys`."""
        found: dict[str, Processed] = {}
        for start in range(0, len(keys), _CHUNK) if self._db else ():
            chunk = keys[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            try:
                rows = self._db.execute(
                    f"SELECT key, meta, text, sig FROM results WHERE key IN ({marks})", chunk
                ).fetchall()
            except sqlite3.Error as exc:
                self._disable(exc)
                return {}
            found.update((row[0], Processed.from_record(*row[1:])) for row in rows)
        return found

    def put_many(self, results: dict[str, Processed]) -> None:
        """Store results (one transaction)."""
        if not self._db or not results:
            return
        rows = [(key, *result.to_record()) for key, result in results.items()]
        try:
            with self._db:
                self._db.executemany("INSERT OR REPLACE INTO results VALUES (?, ?, ?, ?)", rows)
        except sqlite3.Error as exc:
            self._disable(exc)

    def close(self) -> None:
        """Close the database."""
        if self._db is not None:
            self._db.close()
            self._db = None
