"""List and read the files of one source: a local directory, a git repository, an S3 prefix.

Each source yields `Listed` entries in path order. What can be decided without reading (a
symlink, a vendored folder, a file too large) comes back as a reject with its reason, and
unreadable entries become rejects too, so every file the source holds is accounted for.
Files a source's `exclude` globs match are left out on purpose and not listed.

Each file also gets a fingerprint from the listing alone (stat fields, git blob id, S3 ETag):
a file whose fingerprint the caller already knows (`unchanged`) is listed without being read.
"""

from __future__ import annotations

import fnmatch
import os
import posixpath
import stat
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from tasks.identify_assets import filters
from tasks.io import safe_join
from tasks.params import DirSource, FilterParams, GitSource, S3Source, SourceParams
from tasks.s3 import s3_client


class SourceError(RuntimeError):
    """A configured source cannot be scanned (missing directory, not a repository, no bucket)."""


@dataclass(frozen=True)
class Listed:
    path: str  # relative to the source root, '/'-separated; folders end with '/'
    size: int = 0
    commit: str | None = None
    reason: str | None = None  # rejected before reading
    data: bytes | None = None  # the raw bytes of a file that passed the listing checks
    fingerprint: str | None = None  # changes whenever the bytes do; None: cannot tell cheaply


Unchanged = Callable[[str, str], bool]  # (path, fingerprint) -> known: need not be read
# Timestamps this close to the listing can still change within one tick of the file system's
# clock without showing (git's "racily clean" files), so such a stat is no fingerprint.
RACY_NS = 2_000_000_000


def _never(path: str, fingerprint: str) -> bool:
    return False


def stat_fingerprint(info: os.stat_result, listed_at_ns: int) -> str | None:
    """size, mtime, ctime, inode and device, or None while the timestamps are too recent."""
    if max(info.st_mtime_ns, info.st_ctime_ns) >= listed_at_ns - RACY_NS:
        return None
    fields = (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino, info.st_dev)
    return "stat:" + ":".join(map(str, fields))


@dataclass(frozen=True)
class _Walk:
    source: DirSource
    params: FilterParams
    unchanged: Unchanged
    listed_at_ns: int  # when the walk began: files stat'ed later are judged more strictly


def display_name(name: str) -> str:
    """A file name as text; bytes that are not UTF-8 are shown as \\xNN escapes."""
    return os.fsencode(name).decode("utf-8", "backslashreplace")


def _excluded(path: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatch(path, pattern) for pattern in patterns)


def unsafe_key_reason(key: str, path: str) -> str | None:
    """`unsafe_path: ...` for a key that is absolute or has `.`/`..` parts (`/` or `\\`), else None.

    S3 keys are plain strings: `api/../../../tmp/x.py` is a valid key that a later join onto a
    directory would turn into a path outside it, so such keys are refused, never normalised
    into some other file's name.
    """
    if key.startswith("/"):
        return f"unsafe_path: absolute key {key!r}"
    try:
        safe_join(".", path)  # `..`, a drive, NUL; a backslash counts as a separator
    except ValueError:
        escape = True
    else:
        escape = "." in path.replace("\\", "/").split("/")
    if escape:
        normal = posixpath.normpath(path.replace("\\", "/"))
        return f"unsafe_path: key {key!r} is no plain relative path (normalised: {normal!r})"
    return None


def _checked(path: str, size: int, params: FilterParams, commit: str | None = None) -> Listed:
    """A listed file with a reason when the listing alone rejects it, else without data yet."""
    reason = (
        filters.excluded_path(path, params)
        or filters.size_reason(size, params)
        or filters.minified_name_reason(path)
    )
    return Listed(path, size, commit, reason)


def _read_file(path: str, limit: int) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(limit + 1)  # one byte more tells a file that grew past the limit


def _with_data(entry: Listed, data: bytes, params: FilterParams) -> Listed:
    if len(data) > params.max_file_bytes:
        reason = f"too_large: more than max_file_bytes {params.max_file_bytes} when read"
        return Listed(entry.path, len(data), entry.commit, reason)
    return Listed(entry.path, len(data), entry.commit, None, data, entry.fingerprint)


def _fingerprinted(entry: Listed, fingerprint: str | None) -> Listed:
    return Listed(entry.path, entry.size, entry.commit, entry.reason, None, fingerprint)


def walk_directory(
    name: str, source: DirSource, params: FilterParams, unchanged: Unchanged = _never
) -> Iterator[Listed]:
    """Walk a directory iteratively (deep trees are fine); symlinks are recorded, not followed."""
    root = Path(source.path)
    if not root.is_dir():
        raise SourceError(f"source '{name}': directory {source.path!r} does not exist")
    walk = _Walk(source, params, unchanged, time.time_ns())
    pending = [("", str(root))]
    while pending:
        rel_dir, real_dir = pending.pop()
        try:
            with os.scandir(real_dir) as scan:
                entries = sorted(scan, key=lambda e: e.name)
        except OSError as exc:
            yield Listed(f"{rel_dir}/", reason=f"unreadable: {exc.strerror or exc}")
            continue
        subdirs = []
        for entry in entries:
            rel = f"{rel_dir}/{display_name(entry.name)}" if rel_dir else display_name(entry.name)
            yield from _directory_entry(entry, rel, walk, subdirs)
        pending.extend(reversed(subdirs))


def _directory_entry(entry: os.DirEntry, rel: str, walk: _Walk, subdirs: list) -> Iterator[Listed]:
    source, params = walk.source, walk.params
    try:
        info = entry.stat(follow_symlinks=False)
    except OSError as exc:
        yield Listed(rel, reason=f"unreadable: {exc.strerror or exc}")
        return
    if stat.S_ISLNK(info.st_mode):
        if not _excluded(rel, source.exclude):
            yield Listed(rel, reason="symlink: not followed")
    elif stat.S_ISDIR(info.st_mode):
        if _excluded(rel + "/", source.exclude):
            return
        reason = filters.excluded_dir(entry.name, params, rel, entry.path)
        if reason:
            yield Listed(rel + "/", reason=reason)
        else:
            subdirs.append((rel, entry.path))
    elif _excluded(rel, source.exclude):
        return
    elif not stat.S_ISREG(info.st_mode):
        yield Listed(rel, reason="not_regular_file: a pipe, socket or device")
    else:
        listed = _checked(rel, info.st_size, params)
        if listed.reason:
            yield listed
            return
        listed = _fingerprinted(listed, stat_fingerprint(info, walk.listed_at_ns))
        if listed.fingerprint and walk.unchanged(rel, listed.fingerprint):
            yield listed
            return
        try:
            data = _read_file(entry.path, params.max_file_bytes)
        except OSError as exc:
            yield Listed(rel, info.st_size, reason=f"unreadable: {exc.strerror or exc}")
            return
        yield _with_data(listed, data, params)


def _git(root: Path, *args: str, stdin: bytes | None = None) -> bytes:
    result = subprocess.run(
        ["git", "-C", str(root), *args], input=stdin, capture_output=True, check=False
    )
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise SourceError(message[-1] if message else f"git {args[0]} failed")
    return result.stdout


def read_git(
    name: str, source: GitSource, params: FilterParams, unchanged: Unchanged = _never
) -> Iterator[Listed]:
    """Files tracked at `source.ref`, read from git's object store; each row gets the commit."""
    root = Path(source.path)
    if not root.is_dir():
        raise SourceError(f"source '{name}': git repository {source.path!r} does not exist")
    try:
        commit = _git(root, "rev-parse", "--verify", f"{source.ref}^{{commit}}").decode().strip()
        listing = _git(root, "ls-tree", "-r", "-l", "-z", commit)
    except SourceError as exc:
        raise SourceError(f"source '{name}': {source.path!r} at {source.ref!r}: {exc}") from exc
    blobs: list[tuple[Listed, str]] = []
    for record in filter(None, listing.split(b"\0")):
        meta, raw_path = record.split(b"\t", 1)
        mode, _kind, oid, size = meta.decode().split()
        path = raw_path.decode("utf-8", "backslashreplace")
        if _excluded(path, source.exclude):
            continue
        if mode == "120000":
            yield Listed(path, commit=commit, reason="symlink: not followed")
        elif mode == "160000":
            yield Listed(path + "/", commit=commit, reason="submodule: not followed")
        else:
            listed = _fingerprinted(_checked(path, int(size), params, commit), f"git:{oid}")
            if listed.reason or unchanged(path, listed.fingerprint):
                yield listed
            else:
                blobs.append((listed, oid))
    yield from _cat_blobs(root, blobs, params)


def _cat_blobs(
    root: Path, blobs: list[tuple[Listed, str]], params: FilterParams
) -> Iterator[Listed]:
    """Stream blob contents through one `git cat-file --batch` process."""
    if not blobs:
        return
    with subprocess.Popen(
        ["git", "-C", str(root), "cat-file", "--batch"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    ) as process:
        assert process.stdin and process.stdout
        for listed, oid in blobs:
            process.stdin.write(oid.encode() + b"\n")
            process.stdin.flush()
            header = process.stdout.readline().split()
            if len(header) < 3:
                yield Listed(listed.path, listed.size, listed.commit, "unreadable: missing object")
                continue
            data = process.stdout.read(int(header[2]))
            process.stdout.read(1)  # the newline after each object
            yield _with_data(listed, data, params)
        process.stdin.close()


def read_s3(
    name: str, source: S3Source, params: FilterParams, unchanged: Unchanged = _never
) -> Iterator[Listed]:
    """Objects under `bucket/prefix`; credentials come from the AWS environment or profile."""
    from botocore.exceptions import BotoCoreError, ClientError

    client = s3_client(source.endpoint_url, source.region)
    where = f"s3://{source.bucket}/{source.prefix}" + (
        f" at {source.endpoint_url}" if source.endpoint_url else ""
    )
    try:
        client.head_bucket(Bucket=source.bucket)
        pages = client.get_paginator("list_objects_v2").paginate(
            Bucket=source.bucket, Prefix=source.prefix
        )
        objects = [obj for page in pages for obj in page.get("Contents", [])]
    except (ClientError, BotoCoreError) as exc:
        raise SourceError(f"source '{name}': cannot list {where}: {exc}") from exc
    for obj in sorted(objects, key=lambda o: o["Key"]):
        path = obj["Key"][len(source.prefix) :].lstrip("/")
        if not path or path.endswith("/") or _excluded(path, source.exclude):
            continue  # folder markers are not files
        if unsafe := unsafe_key_reason(obj["Key"], path):
            yield Listed(path, int(obj["Size"]), reason=unsafe)
            continue
        fingerprint = f"s3:{obj['Size']}:{obj['ETag']}:{obj['LastModified'].isoformat()}"
        listed = _fingerprinted(_checked(path, int(obj["Size"]), params), fingerprint)
        if listed.reason or unchanged(path, fingerprint):
            yield listed
            continue
        try:
            body = client.get_object(Bucket=source.bucket, Key=obj["Key"])["Body"]
            data = body.read(params.max_file_bytes + 1)
        except (ClientError, BotoCoreError) as exc:
            yield Listed(path, listed.size, reason=f"unreadable: {type(exc).__name__}")
            continue
        yield _with_data(listed, data, params)


def iter_source(
    name: str, source: SourceParams, params: FilterParams, unchanged: Unchanged = _never
) -> Iterator[Listed]:
    """Every file of a configured source: read, rejected with a reason, or known unchanged."""
    if isinstance(source, GitSource):
        return read_git(name, source, params, unchanged)
    if isinstance(source, S3Source):
        return read_s3(name, source, params, unchanged)
    return walk_directory(name, source, params, unchanged)
