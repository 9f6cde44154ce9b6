"""Scan one configured source: every file becomes a kept asset or a reject with a reason.

Runs as the DVC stage `scan_source@<name>` (one per source in params.yaml), so DVC tracks each
source and only a changed source is rescanned; inside a rescan the result cache skips every
file whose bytes did not change, and a file whose listing fingerprint (stat fields, git blob
id, S3 ETag) is the one remembered with a cached result is not even read. Files not in the
cache are processed by a pool of worker processes here, or with `executor.type: dask` on a Dask
cluster whose workers read the files themselves (worker.py); results come back in listing
order, so the output never depends on timing or on the executor.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import sys
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import lru_cache
from itertools import islice
from math import ceil
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

from tasks.executor import ExecutorError, cluster_threads, dask_client, map_ordered
from tasks.identify_assets import classify
from tasks.identify_assets.cache import ResultCache
from tasks.identify_assets.process import (
    Processed,
    cache_key,
    process_bytes,
    settings_fingerprint,
)
from tasks.identify_assets.sources import Listed, SourceError, iter_source
from tasks.identify_assets.worker import Job, Outcome, process_chunk
from tasks.io import sha256_bytes, write_parquet
from tasks.params import (
    DedupParams,
    FilterParams,
    IdentifyAssetsParams,
    SourceParams,
    load_params,
    step_parser,
)

if TYPE_CHECKING:
    from dask.distributed import Client

INVENTORY_COLUMNS = [
    "asset_id", "source", "path", "commit", "kind", "language", "encoding", "bytes", "lines",
    "sha256", "content_sha256", "cluster_id", "status", "reason", "redactions",
    "redaction_count", "duplicate_of",
]  # fmt: skip
CONTENT_COLUMNS = ["asset_id", "source", "path", "kind", "language", "text"]
_NUMBERS = {"bytes", "lines", "redaction_count"}
SCHEMAS = {
    "inventory": pa.schema(
        [(c, pa.int64() if c in _NUMBERS else pa.large_string()) for c in INVENTORY_COLUMNS]
    ),
    "contents": pa.schema([(c, pa.large_string()) for c in CONTENT_COLUMNS]),
    "signatures": pa.schema([("asset_id", pa.large_string()), ("signature", pa.binary())]),
}
# Every text is distinct: a dictionary for it is built, found too big and dropped, every time.
CONTENT_WRITE_OPTIONS = {"use_dictionary": CONTENT_COLUMNS[:-1]}
# The per-source contents only travel to the merge: stored uncompressed they take ~3x the disk
# (in DVC's cache too) but spare every rescan a compression here and the merge a decompression.
SCAN_WRITE_OPTIONS = {
    "inventory": {},
    "contents": CONTENT_WRITE_OPTIONS | {"compression": "none"},
    "signatures": {"compression": "none"},  # random bytes: nothing to gain
}
# Asked three times per file and scan (cache key, worker hint, inventory row).
_language_by_path = lru_cache(maxsize=1 << 16)(classify.language_by_path)
BATCH = 256  # files read, looked up and processed together (bounds memory on big sources)
INLINE_BELOW = 16  # fewer cache misses than this in a batch: not worth a worker round trip
FILES_PER_TASK = 64  # files a cluster worker reads and processes per task


@dataclass
class ScannedFile:
    row: dict
    text: str | None  # scrubbed text of a kept file, None for a reject
    signature: bytes | None


@dataclass
class ScanStats:
    processed: int = 0
    cached: int = 0
    unread: int = 0  # of the cached: not even read (fingerprint unchanged)


class _StaleFingerprints(RuntimeError):
    """A file skipped as unchanged has no cached result any more (the cache failed mid-scan)."""


def _row(source: str, path: str, **fields) -> dict:
    row = dict.fromkeys(INVENTORY_COLUMNS)
    language = _language_by_path(path) or "unknown"
    row.update(asset_id=f"{source}:{path}", source=source, path=path, bytes=0, lines=0)
    row.update(language=language, kind=classify.path_kind(path, language), redactions="{}")
    row.update(redaction_count=0, status="rejected")
    row.update(fields)
    return row


def scanned_file(source: str, listed: Listed, result: tuple[str, Processed] | None) -> ScannedFile:
    """The inventory row (and text) of one listed file and its (raw sha256, result)."""
    base = {"commit": listed.commit, "bytes": listed.size}
    if result is None:
        return ScannedFile(_row(source, listed.path, reason=listed.reason, **base), None, None)
    raw_sha256, result = result
    kind = result.content_kind or classify.path_kind(listed.path, result.language)
    row = _row(
        source,
        listed.path,
        **base,
        sha256=raw_sha256,
        kind=kind,
        language=result.language,
        encoding=result.encoding,
        lines=result.lines,
        redactions=json.dumps(result.redactions, sort_keys=True),
        redaction_count=sum(result.redactions.values()),
        content_sha256=result.content_sha256,
        status="rejected" if result.reason else "kept",
        reason=result.reason,
    )
    return ScannedFile(row, result.text, result.signature)


_worker_settings: tuple[FilterParams, DedupParams] | None = None


def _init_worker(filter_params: FilterParams, dedup_params: DedupParams) -> None:
    global _worker_settings
    _worker_settings = (filter_params, dedup_params)


def _process(job: tuple[bytes, str | None]) -> Processed:
    assert _worker_settings is not None
    return process_bytes(job[0], job[1], *_worker_settings)


def _batches(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def _list_only(path: str, fingerprint: str) -> bool:
    return True  # every fingerprinted file is listed unread: the cluster workers read it


def _tasks(jobs: Iterable, threads: int) -> Iterator[list]:
    """Chunks of FILES_PER_TASK jobs; a listing shorter than one per worker thread is cut evenly.

    One task per thread, not more: each task starts its own reader (`git cat-file`), which
    costs more than a few files' work (measured with benchmarks/scale.py).
    """
    iterator = iter(jobs)
    head = list(islice(iterator, FILES_PER_TASK * threads))
    if len(head) < FILES_PER_TASK * threads:
        yield from _batches(head, max(1, ceil(len(head) / threads)))
        return
    yield from _batches(head, FILES_PER_TASK)
    yield from _batches(iterator, FILES_PER_TASK)


class _Processor:
    """Results for batches of files: from the cache, else computed (in workers when many)."""

    def __init__(self, params: IdentifyAssetsParams, cache: ResultCache | None) -> None:
        self.params, self.cache, self.stats = params, cache, ScanStats()
        self.fingerprint = settings_fingerprint(params.filters, params.dedup)
        self.pool: Executor | None = None
        self.known: dict[str, tuple[str, str]] = {}  # path -> (fingerprint, raw sha256)
        self.seen: dict[str, tuple[str, str]] = {}  # the same, for this scan
        _init_worker(params.filters, params.dedup)

    def _key(self, path: str, raw_sha256: str) -> str:
        return cache_key(self.fingerprint, raw_sha256, _language_by_path(path))

    def load_fingerprints(self, scope: str) -> None:
        """Remember the files of `scope` that need not be read: same fingerprint, result cached."""
        stored = self.cache.fingerprints(scope) if self.cache else {}
        keys = {path: self._key(path, sha) for path, (_, sha) in stored.items()}
        cached = self.cache.has_many(sorted(set(keys.values()))) if self.cache else set()
        self.known = {path: known for path, known in stored.items() if keys[path] in cached}

    def unchanged(self, path: str, fingerprint: str) -> bool:
        """Whether the file at `path` with this listing fingerprint need not be read."""
        return bool(fingerprint) and self.known.get(path, ("",))[0] == fingerprint

    def _map(self, jobs: list[tuple[bytes, str | None]]) -> list[Processed]:
        workers = self.params.workers if self.params.workers > 0 else os.cpu_count() or 1
        if len(jobs) < INLINE_BELOW or workers == 1:
            return list(map(_process, jobs))
        if self.pool is None:
            self.pool = ProcessPoolExecutor(
                workers,
                mp_context=multiprocessing.get_context("fork"),
                initializer=_init_worker,
                initargs=(self.params.filters, self.params.dedup),
            )
        return list(self.pool.map(_process, jobs, chunksize=4))

    def results(self, batch: list[Listed]) -> dict[str, tuple[str, Processed]]:
        """(raw sha256, result) of every readable or unchanged file in the batch, by path."""
        readable = [item for item in batch if item.data is not None]
        unread = [item for item in batch if item.data is None and item.reason is None]
        jobs = {item.path: (item.data, _language_by_path(item.path)) for item in readable}
        hashes = {path: sha256_bytes(data) for path, (data, _) in jobs.items()}
        hashes |= {item.path: self.known[item.path][1] for item in unread}
        keys = {path: self._key(path, raw_sha256) for path, raw_sha256 in hashes.items()}
        found = self.cache.get_many(sorted(set(keys.values()))) if self.cache else {}
        if any(keys[item.path] not in found for item in unread):
            raise _StaleFingerprints
        missing = {keys[path]: job for path, job in jobs.items() if keys[path] not in found}
        fresh = dict(zip(missing, self._map(list(missing.values())), strict=True))
        if self.cache:
            self.cache.put_many(fresh)
        self.stats.processed += len(fresh)
        self.stats.cached += len(readable) + len(unread) - len(fresh)
        self.stats.unread += len(unread)
        # A file too recent to fingerprint is remembered by its hash alone: a cluster worker
        # that reads it again next time need not process it (`expected`).
        self.seen |= {
            item.path: (item.fingerprint or "", hashes[item.path]) for item in readable + unread
        }
        return {path: (hashes[path], found.get(key) or fresh[key]) for path, key in keys.items()}

    def expected(self, path: str) -> str | None:
        """The raw sha256 of `path` whose result is cached (a worker need not process it)."""
        return self.known.get(path, ("", None))[1]

    def settle(self, outcomes: list[Outcome]) -> list[tuple[Listed, tuple[str, Processed] | None]]:
        """Each file a cluster worker read with its (raw sha256, result), fresh or cached."""
        read = [o for o in outcomes if o.raw_sha256 is not None]
        keys = {o.listed.path: self._key(o.listed.path, o.raw_sha256) for o in read}
        hits = sorted({keys[o.listed.path] for o in read if o.result is None})
        found = self.cache.get_many(hits) if self.cache and hits else {}
        if len(found) < len(hits):
            raise _StaleFingerprints
        fresh = {keys[o.listed.path]: o.result for o in read if o.result is not None}
        if self.cache:
            self.cache.put_many(fresh)
        self.stats.processed += sum(o.result is not None for o in read)
        self.stats.cached += sum(o.result is None for o in read)
        self.seen |= {o.listed.path: (o.listed.fingerprint or "", o.raw_sha256) for o in read}
        return [
            (
                o.listed,
                None
                if o.raw_sha256 is None
                else (o.raw_sha256, o.result or found[keys[o.listed.path]]),
            )
            for o in outcomes
        ]

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown()


def fingerprint_scope(source: SourceParams) -> str:
    """Key under which the result cache remembers a source's file fingerprints."""
    return sha256_bytes(source.model_dump_json().encode())


def _scan_here(name: str, params: IdentifyAssetsParams, processor: _Processor) -> list:
    """Read every file here; cache misses go to the local pool."""
    scanned: list[ScannedFile] = []
    listing = iter_source(name, params.sources[name], params.filters, processor.unchanged)
    for batch in _batches(listing, BATCH):
        results = processor.results(batch)
        scanned += [scanned_file(name, item, results.get(item.path)) for item in batch]
    return scanned


def _scan_on_cluster(
    name: str, params: IdentifyAssetsParams, processor: _Processor, client: Client
) -> list[ScannedFile]:
    """List here; the cluster's workers read and process what the cache cannot answer."""
    source = params.sources[name]
    slots: list[ScannedFile | None] = []
    unread: list[tuple[int, Listed]] = []  # unchanged: answered from the cache, here

    def jobs() -> Iterator[tuple[int, Job]]:
        for item in iter_source(name, source, params.filters, _list_only):
            slots.append(None)
            if item.reason:
                slots[-1] = scanned_file(name, item, None)
            elif item.fingerprint and processor.unchanged(item.path, item.fingerprint):
                unread.append((len(slots) - 1, item))
            else:  # a file read by the listing (too recent to fingerprint) is read again there
                yield len(slots) - 1, (replace(item, data=None), processor.expected(item.path))

    sent: deque[list[int]] = deque()  # slot indexes of each task, in submission order

    def payloads() -> Iterator[list[Job]]:
        for chunk in _tasks(jobs(), cluster_threads(client)):
            sent.append([index for index, _ in chunk])
            yield [job for _, job in chunk]

    settings = (source, params.filters, params.dedup, processor.fingerprint)
    for outcomes in map_ordered(client, process_chunk, payloads(), *settings):
        for index, (listed, result) in zip(sent.popleft(), processor.settle(outcomes), strict=True):
            slots[index] = scanned_file(name, listed, result)
    for batch in _batches(unread, BATCH):
        results = processor.results([item for _, item in batch])
        for index, item in batch:
            slots[index] = scanned_file(name, item, results[item.path])
    assert all(slot is not None for slot in slots)
    return slots


def scan_source(
    name: str,
    params: IdentifyAssetsParams,
    cache: ResultCache | None = None,
    client: Client | None = None,
) -> tuple[list[ScannedFile], ScanStats]:
    """List, read, process (or fetch from the cache) every file of one source.

    With a Dask `client`, the cluster's workers read and process the files (tasks/executor.py).
    """
    source = params.sources[name]
    processor = _Processor(params, cache)
    try:
        processor.load_fingerprints(fingerprint_scope(source))
        if client is None:
            scanned = _scan_here(name, params, processor)
        else:
            scanned = _scan_on_cluster(name, params, processor, client)
    except _StaleFingerprints:
        print(f"warning: source '{name}': result cache changed mid-scan, reading every file",
              file=sys.stderr)  # fmt: skip
        return scan_source(name, params, None, client)
    finally:
        processor.close()
    if cache:
        cache.put_fingerprints(fingerprint_scope(source), processor.seen)
    return scanned, processor.stats


def to_tables(scanned: list[ScannedFile]) -> tuple[pa.Table, pa.Table, pa.Table]:
    """Inventory (every file), contents (kept files' scrubbed text) and MinHash signatures."""
    scanned = sorted(scanned, key=lambda s: s.row["path"])
    kept = [s for s in scanned if s.row["status"] == "kept"]
    columns = {
        "inventory": {c: [s.row[c] for s in scanned] for c in INVENTORY_COLUMNS},
        "contents": {c: [s.row[c] for s in kept] for c in CONTENT_COLUMNS[:-1]}
        | {"text": [s.text for s in kept]},
        "signatures": {"asset_id": [s.row["asset_id"] for s in kept]}
        | {"signature": [s.signature for s in kept]},
    }
    inventory, contents, signatures = (
        pa.Table.from_pydict(columns[name], schema=SCHEMAS[name]) for name in columns
    )
    return inventory, contents, signatures


def write_scan(directory: Path, scanned: list[ScannedFile]) -> pa.Table:
    """Write one source's inventory, contents and signatures; return the inventory."""
    inventory, contents, signatures = to_tables(scanned)
    tables = {"inventory": inventory, "contents": contents, "signatures": signatures}
    with ThreadPoolExecutor() as pool:  # Parquet encoding releases the GIL
        writes = [
            pool.submit(
                write_parquet, directory / f"{name}.parquet", table, **SCAN_WRITE_OPTIONS[name]
            )
            for name, table in tables.items()
        ]
        for write in writes:
            write.result()
    return inventory


def main(argv: list[str] | None = None) -> None:
    parser = step_parser("Scan one asset source into a per-source inventory.")
    parser.add_argument("source", help="a key of identify_assets.sources in params")
    args = parser.parse_args(argv)
    everything = load_params(args.params)
    params = everything.identify_assets
    if args.source not in params.sources:
        parser.error(f"unknown source {args.source!r}; params list {sorted(params.sources)}")
    cache = ResultCache(params.cache_dir)
    try:
        with dask_client(everything.executor) as client:
            scanned, stats = scan_source(args.source, params, cache, client)
    except (SourceError, ExecutorError) as exc:
        raise SystemExit(f"error: {exc}") from None
    finally:
        cache.close()
    inventory = write_scan(Path(params.scan_dir) / args.source, scanned)
    kept = inventory["status"].to_pylist().count("kept")
    print(
        f"source '{args.source}': {len(inventory)} scanned, {kept} kept,"
        f" {len(inventory) - kept} rejected ({stats.processed} processed,"
        f" {stats.cached} unchanged from the cache, {stats.unread} of them not re-read)"
    )


if __name__ == "__main__":
    main()
