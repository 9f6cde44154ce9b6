"""What a cluster worker does with a chunk of one source's files: read them itself, then process.

The driver lists the source without reading it (paths, sizes, fingerprints) and sends chunks
of those `Listed` entries. A worker reads each file from where the source keeps it (the
directory, the git object store, the S3 bucket), with the very readers and checks of
sources.py, so a reject (`unreadable`, `too_large` when read) is the one the local executor
writes. It hashes the bytes and processes them, unless they hash to the raw sha256 the driver
expects (the bytes its result cache holds a result for): then only the hash goes back.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

from tasks.identify_assets import classify
from tasks.identify_assets.process import Processed, process_bytes, settings_fingerprint
from tasks.identify_assets.sources import (
    Listed,
    _cat_blobs,
    _read_file,
    _with_data,
    display_name,
)
from tasks.io import sha256_bytes
from tasks.params import DedupParams, DirSource, FilterParams, GitSource, S3Source, SourceParams
from tasks.s3 import s3_client

Job = tuple[Listed, str | None]  # a listed, unread file and the raw sha256 the driver expects


@dataclass(frozen=True)
class Outcome:
    listed: Listed  # as read (size, or the reason it could not be): never with its bytes
    raw_sha256: str | None = None  # None: not read (`listed.reason` says why)
    result: Processed | None = None  # None for a read file: its bytes were the expected ones


class CodeMismatch(RuntimeError):
    """The worker runs other step 1 code or settings than the driver: its results would lie."""


def _real_path(root: Path, path: str) -> str:
    """The file a listed path names; names that are not UTF-8 are listed as \\xNN escapes."""
    real = str(root)
    for part in path.split("/"):
        if "\\" in part:  # maybe an escaped name: find the entry the listing showed this way
            with os.scandir(real) as entries:
                part = next((e.name for e in entries if display_name(e.name) == part), part)
        real = os.path.join(real, part)
    return real


def _read_dir(root: Path, listed: Listed, params: FilterParams) -> Listed:
    try:
        data = _read_file(_real_path(root, listed.path), params.max_file_bytes)
    except OSError as exc:
        return Listed(listed.path, listed.size, reason=f"unreadable: {exc.strerror or exc}")
    return _with_data(listed, data, params)


def _read_s3(source: S3Source, listed: Listed, params: FilterParams) -> Listed:
    """The object whose key the listing cut `source.prefix` (and then any `/`) from."""
    from botocore.exceptions import BotoCoreError, ClientError

    etag = (listed.fingerprint or "").split(":")[2:3]
    keys = dict.fromkeys([source.prefix + listed.path, f"{source.prefix}/{listed.path}"])
    client, first, error = s3_client(source.endpoint_url, source.region), None, None
    for key in keys:
        try:
            response = client.get_object(Bucket=source.bucket, Key=key)
            data = response["Body"].read(params.max_file_bytes + 1)
        except (ClientError, BotoCoreError) as exc:
            error = error or exc
            continue
        if [response.get("ETag")] == etag:
            return _with_data(listed, data, params)
        first = first if first is not None else data
    if first is not None:  # changed since the listing: what the local executor would read now
        return _with_data(listed, first, params)
    return Listed(listed.path, listed.size, reason=f"unreadable: {type(error).__name__}")


def read_listed(source: SourceParams, listed: list[Listed], params: FilterParams) -> list[Listed]:
    """Each listed file with its bytes, or with the reason it cannot be read."""
    if isinstance(source, GitSource):
        blobs = [(item, (item.fingerprint or "").removeprefix("git:")) for item in listed]
        return list(_cat_blobs(Path(source.path), blobs, params))
    if isinstance(source, S3Source):
        return [_read_s3(source, item, params) for item in listed]
    assert isinstance(source, DirSource)
    return [_read_dir(Path(source.path), item, params) for item in listed]


def process_chunk(
    jobs: list[Job],
    source: SourceParams,
    filter_params: FilterParams,
    dedup_params: DedupParams,
    fingerprint: str,
) -> list[Outcome]:
    """Read and process one chunk of a source's files (the driver's `settings_fingerprint`)."""
    if settings_fingerprint(filter_params, dedup_params) != fingerprint:
        raise CodeMismatch("this worker's step 1 code or libraries differ from the driver's")
    read = read_listed(source, [listed for listed, _ in jobs], filter_params)
    outcomes = []
    for item, (_, expected) in zip(read, jobs, strict=True):
        if item.data is None:
            outcomes.append(Outcome(item))
            continue
        raw_sha256 = sha256_bytes(item.data)
        result = None
        if raw_sha256 != expected:
            language = classify.language_by_path(item.path)
            result = process_bytes(item.data, language, filter_params, dedup_params)
        outcomes.append(Outcome(replace(item, data=None), raw_sha256, result))
    return outcomes
