"""Content-addressed cache of per-file results, kept outside DVC's outputs.

DVC deletes a stage's outputs before it runs, so the cache lives in its own directory
(`identify_assets.cache_dir`): one SQLite file whose keys are `process.cache_key` values (raw
bytes' sha256 + settings + code version), so unchanged files are never processed twice. A
damaged or unwritable cache only costs time: the scan goes on without it.

It also remembers, per source and path, the listing fingerprint (`sources.Listed`) and raw
sha256 of what was read last time, so a rescan does not even read a file whose fingerprint
is unchanged and whose result is cached.
"""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

from tasks.identify_assets.process import Processed

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS results (key TEXT PRIMARY KEY, meta TEXT, text TEXT, sig BLOB);"
    "CREATE TABLE IF NOT EXISTS files (scope TEXT, path TEXT, fingerprint TEXT, sha256 TEXT,"
    " PRIMARY KEY (scope, path))"
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
            self._db.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            self._disable(exc)

    def _disable(self, exc: Exception) -> None:
        print(f"warning: result cache {self.path} unusable, scanning without it ({exc})",
              file=sys.stderr)  # fmt: skip
        if self._db is not None:
            self._db.close()
        self._db = None

    def _select(self, columns: str, keys: list[str]) -> list[tuple]:
        rows: list[tuple] = []
        for start in range(0, len(keys), _CHUNK) if self._db else ():
            chunk = keys[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            try:
                rows += self._db.execute(
                    f"SELECT {columns} FROM results WHERE key IN ({marks})", chunk
                ).fetchall()
            except sqlite3.Error as exc:
                self._disable(exc)
                return []
        return rows

    def get_many(self, keys: list[str]) -> dict[str, Processed]:
        """The cached results among `keys`."""
        rows = self._select("key, meta, text, sig", keys)
        return {row[0]: Processed.from_record(*row[1:]) for row in rows}

    def has_many(self, keys: list[str]) -> set[str]:
        """The keys among `keys` that have a cached result."""
        return {row[0] for row in self._select("key", keys)}

    def fingerprints(self, scope: str) -> dict[str, tuple[str, str]]:
        """(fingerprint, raw sha256) by path, as `put_fingerprints` last stored for `scope`."""
        if not self._db:
            return {}
        try:
            rows = self._db.execute(
                "SELECT path, fingerprint, sha256 FROM files WHERE scope = ?", (scope,)
            ).fetchall()
        except sqlite3.Error as exc:
            self._disable(exc)
            return {}
        return {path: (fingerprint, sha256) for path, fingerprint, sha256 in rows}

    def put_fingerprints(self, scope: str, files: dict[str, tuple[str, str]]) -> None:
        """Replace what `scope` remembers with `files` (path -> (fingerprint, raw sha256))."""
        if not self._db:
            return
        rows = [(scope, path, *known) for path, known in files.items()]
        try:
            with self._db:
                self._db.execute("DELETE FROM files WHERE scope = ?", (scope,))
                self._db.executemany("INSERT INTO files VALUES (?, ?, ?, ?)", rows)
        except sqlite3.Error as exc:
            self._disable(exc)

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
