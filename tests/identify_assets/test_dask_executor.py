"""Step 1 on a real Dask cluster: the local executor's outputs to the byte; a killed worker."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import threading
from pathlib import Path

import boto3
import pytest
import yaml
from dask.distributed import Client, LocalCluster

from tasks.executor import dask_client, machine_cpus
from tasks.identify_assets import __main__ as merge
from tasks.identify_assets import scan
from tasks.identify_assets.cache import ResultCache
from tasks.identify_assets.scan import ScanStats, scan_source, to_tables
from tasks.identify_assets.sources import Listed
from tasks.identify_assets.worker import CodeMismatch, process_chunk
from tasks.params import ExecutorParams, IdentifyAssetsParams, load_params
from tests.support import REPO, fake_aws_key_id, moto_s3

BUCKET = "org-assets"
SAMPLES_EXCLUDE = ["feedback/*", "README.md"]
FILES = 320  # in the kill test


@pytest.fixture(scope="module")
def s3():
    with moto_s3() as endpoint:
        boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(
            Bucket=BUCKET
        )
        yield endpoint


def local_cluster() -> LocalCluster:
    return LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    )


@pytest.fixture(scope="module")
def cluster(s3):  # after moto_s3: the workers inherit its test credentials, as from a pod's env
    with local_cluster() as cluster:
        yield cluster


def write_step_params(work: Path, sources: dict, executor: dict) -> Path:
    """The repository's params, scanning `sources` into `work` with this executor."""
    params = yaml.safe_load((REPO / "params.yaml").read_text(encoding="utf-8"))
    step = params["identify_assets"]
    step["sources"] = sources
    step["scan_dir"] = str(work / "out" / "sources")
    for key in ("inventory", "contents", "rejects"):
        step[key] = str(work / "out" / f"{key}.parquet")
    step["cache_dir"] = str(work / "cache")
    params["executor"] = executor
    path = work / "params.yaml"
    work.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(params, sort_keys=False), encoding="utf-8")
    return path


def step_one(work: Path, sources: dict, executor: dict) -> dict[str, bytes]:
    """Every scan_source stage, then the identify_assets stage; each output file's bytes."""
    params = str(write_step_params(work, sources, executor))
    for name in sources:
        scan.main([name, "--params", params])
    merge.main(["--params", params])
    out = work / "out"
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*.parquet"))}


def assert_same_outputs(local: dict[str, bytes], remote: dict[str, bytes]) -> None:
    assert sorted(local) == sorted(remote)
    assert [name for name in local if local[name] != remote[name]] == []


# Fixed dates: a commit made again is the same commit (the inventory records its SHA).
GIT_DATES = {
    "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z",
    "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z",
}


def git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        env=os.environ | GIT_DATES,
    )


def module_text(rng: random.Random, n: int) -> str:
    """A small Python module, distinct enough from every other not to be a near-duplicate."""
    words = ["".join(rng.choices("abcdefghijklmnopqrstuvwxyz", k=7)) for _ in range(12)]
    body = "\n".join(
        f"def {w}_{n}(value, {words[i - 1]}=1):\n    return value * {i} + {words[i - 1]}\n"
        for i, w in enumerate(words, 1)
    )
    return f'"""Module {n}: {" ".join(words[:6])}."""\n\n{body}'


def test_samples_give_byte_identical_outputs_on_the_cluster(tmp_path, cluster):
    shutil.copytree(REPO / "samples", tmp_path / "samples")
    sources = {"samples": {"type": "dir", "path": str(tmp_path / "samples")}}
    sources["samples"]["exclude"] = SAMPLES_EXCLUDE
    remote_executor = {"type": "dask", "address": cluster.scheduler_address}

    local = step_one(tmp_path / "local", sources, {"type": "local"})
    remote = step_one(tmp_path / "dask", sources, remote_executor)

    assert_same_outputs(local, remote)
    inventory = merge.read_parquet(tmp_path / "dask" / "out" / "inventory.parquet")
    assert {"kept", "rejected"} <= set(inventory["status"])


@pytest.fixture
def corpus(tmp_path, s3) -> dict:
    """Sources of an organisation: four git repositories, a directory and an S3 prefix."""
    rng = random.Random(20)
    shared = (REPO / "samples" / "python").rglob("*.py")
    samples = {p.relative_to(REPO / "samples").as_posix(): p.read_bytes() for p in shared}
    sources: dict = {}
    for r in range(4):
        root = tmp_path / "repos" / f"repo{r}"
        files = {f"pkg/m{n}.py": module_text(rng, 10 * r + n).encode() for n in range(8)}
        files |= dict(list(samples.items())[r : r + 3])  # shared with the next repo: duplicates
        files["pkg/broken.py"] = b"def broken(:\n    pass\n"
        files["config.py"] = f'AWS_KEY = "{fake_aws_key_id()}"\n'.encode()
        files["logo.png"] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
        files["node_modules/lib/index.js"] = b"module.exports = 1;\n"
        files["big.txt"] = b"x" * 1_100_000
        for path, data in files.items():
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            (root / path).write_bytes(data)
        os.symlink("pkg/m0.py", root / "alias.py")
        git(root, "init", "-q")
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", "initial")
        (root / "pkg" / "m1.py").write_text("uncommitted = True\n")  # git reads the commit
        sources[f"repo{r}"] = {"type": "git", "path": str(root)}
    odd = tmp_path / "odd"
    (odd / "src").mkdir(parents=True)
    (odd / os.fsdecode(b"caf\xe9.py")).write_text("cafe = 1\n")
    (odd / "a\\x41.py").write_text("backslash = 2\n")  # a real backslash, not an escape
    (odd / "src" / "latin1.py").write_bytes("caf\xe9 = 1\n".encode("latin-1"))
    (odd / "src" / "m.py").write_text(module_text(rng, 99))
    sources["odd"] = {"type": "dir", "path": str(odd)}
    client = boto3.client("s3", endpoint_url=s3, region_name="us-east-1")
    objects = {f"api/m{n}.py": module_text(rng, 200 + n).encode() for n in range(6)}
    objects["api/svc.py"] = next(iter(samples.values()))  # also in repo0: a duplicate
    objects |= {"api/blob.bin": b"\x00\x01\x02" * 10, "apix/other.py": b"other = 1\n"}
    for key, body in objects.items():
        client.put_object(Bucket=BUCKET, Key=key, Body=body)
    sources["bucket"] = {
        "type": "s3",
        "path": "remote://org-assets/api",
        "bucket": BUCKET,
        "prefix": "api/",
        "endpoint_url": s3,
        "region": "us-east-1",
    }
    return sources


def test_a_multi_repository_corpus_gives_byte_identical_outputs_on_the_cluster(
    tmp_path, corpus, cluster
):
    local = step_one(tmp_path / "local", corpus, {"type": "local"})
    remote = step_one(
        tmp_path / "dask", corpus, {"type": "dask", "address": cluster.scheduler_address}
    )

    assert_same_outputs(local, remote)
    inventory = merge.read_parquet(tmp_path / "dask" / "out" / "inventory.parquet")
    reasons = inventory.set_index("asset_id")["reason"].fillna("kept")
    assert reasons["odd:caf\\xe9.py"] == reasons["odd:a\\x41.py"] == "kept"
    assert reasons["repo0:pkg/broken.py"].startswith("syntax_error")
    assert reasons["repo0:big.txt"].startswith("too_large")
    assert reasons["bucket:blob.bin"].startswith("binary")
    assert inventory["reason"].str.startswith("duplicate").any()  # samples shared by two repos
    assert not inventory["reason"].fillna("").str.startswith("unreadable").any()


def step_params(tmp_path: Path, sources: dict) -> IdentifyAssetsParams:
    return load_params(write_step_params(tmp_path, sources, {"type": "local"})).identify_assets


def test_a_rescan_on_the_cluster_processes_only_the_changed_file(tmp_path, cluster):
    root = tmp_path / "src"
    root.mkdir()
    rng = random.Random(3)
    for n in range(20):
        (root / f"m{n}.py").write_text(module_text(rng, n))
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "initial")
    sources = {
        "tree": {"type": "dir", "path": str(root)},
        "repo": {"type": "git", "path": str(root)},
    }
    step = step_params(tmp_path / "params", sources)
    runs = {}
    with Client(cluster) as client:
        for where, remote in (("local", None), ("dask", client)):
            cache = ResultCache(tmp_path / where / "cache")
            for name in sources:
                scan_source(name, step, cache, remote)
            (root / "m3.py").write_text("def f3(x):\n    return x * 33\n")
            git(root, "commit", "-q", "-am", "change m3")
            runs[where] = {name: scan_source(name, step, cache, remote) for name in sources}
            cache.close()
            git(root, "reset", "-q", "--hard", "HEAD~1")

    local, remote = runs["local"], runs["dask"]
    for name in sources:
        assert [t.to_pylist() for t in to_tables(remote[name][0])] == [
            t.to_pylist() for t in to_tables(local[name][0])
        ]
    # Only the changed file is processed. Whether the 19 others are read again (younger than
    # the fingerprint's 2 s) or skipped unread (older: a loaded machine gets there) is timing.
    for stats in (remote["tree"][1], local["tree"][1]):
        assert (stats.processed, stats.cached) == (1, 19) and stats.unread in (0, 19), stats
    # Git blob ids: the 19 unchanged files are not even read. Locally the changed file's new
    # bytes are found in the cache (the tree's scan put them there); a worker knows only that
    # they are not this path's old bytes, so it processes them once more.
    assert remote["repo"][1] == ScanStats(processed=1, cached=19, unread=19)
    assert local["repo"][1] == ScanStats(processed=0, cached=20, unread=19)


def test_a_worker_with_other_code_or_settings_refuses_the_work(repo_params):
    step = repo_params.identify_assets
    listed = Listed("x.py", 6, fingerprint=None)
    source = step.sources["samples"]
    with pytest.raises(CodeMismatch):
        process_chunk([(listed, None)], source, step.filters, step.dedup, "0" * 64)


def test_an_empty_address_starts_a_local_cluster_sized_to_the_machine():
    with dask_client(ExecutorParams(type="dask")) as client:
        assert sum(client.nthreads().values()) == machine_cpus()
        assert set(client.nthreads().values()) == {1}
    with dask_client(ExecutorParams()) as client:
        assert client is None  # local: the step's own process pool


def test_a_worker_killed_mid_run_is_survived_and_nothing_is_counted_twice(
    tmp_path, cluster, monkeypatch
):
    root = tmp_path / "big"
    rng = random.Random(7)
    for n in range(FILES):
        (root / f"d{n % 10}").mkdir(parents=True, exist_ok=True)
        (root / f"d{n % 10}" / f"m{n}.py").write_text(module_text(rng, n) * 2)
    step = step_params(tmp_path / "params", {"big": {"type": "dir", "path": str(root)}})
    local, _ = scan_source("big", step)
    monkeypatch.setattr(scan, "FILES_PER_TASK", 16)  # 20 tasks: a kill lands mid-run
    finished, killed = threading.Event(), {}

    def kill_a_busy_worker(client: Client) -> None:
        """SIGKILL a worker holding tasks, once the first of this scan's tasks is done."""
        pids, counts = client.run(os.getpid), cluster.scheduler.task_prefixes
        before = counts["process_chunk"].state_counts["memory"] if "process_chunk" in counts else 0
        while not finished.wait(0.01):
            done = "process_chunk" in counts and counts["process_chunk"].state_counts["memory"]
            busy = [(w, keys) for w, keys in client.processing().items() if keys]
            if done and done > before and busy:
                os.kill(pids[busy[0][0]], signal.SIGKILL)
                killed.update(worker=busy[0][0], keys=busy[0][1])
                return

    with Client(cluster) as client:
        killer = threading.Thread(target=kill_a_busy_worker, args=(client,))
        killer.start()
        try:
            remote, stats = scan_source("big", step, None, client)
        finally:
            finished.set()
            killer.join()
        stories = {key: cluster.scheduler.story(key) for key in killed.get("keys", [])}
        client.wait_for_workers(2, timeout=300)  # the nanny restarts it for the next test

    assert killed, "no worker was busy while the scan ran"
    for key, story in stories.items():  # (key, from, to, ...): lost with the worker, then redone
        moves = [(event[1], event[2]) for event in story]
        lost = moves.index(("processing", "released"))
        assert ("processing", "memory") in moves[lost:], (key, moves)
    inventory, contents, signatures = to_tables(remote)
    assert [t.to_pylist() for t in (inventory, contents, signatures)] == [
        t.to_pylist() for t in to_tables(local)
    ]
    statuses = inventory["status"].to_pylist()
    assert len(inventory) == FILES == statuses.count("kept") + statuses.count("rejected")
    assert len(set(inventory["asset_id"].to_pylist())) == FILES
    assert (stats.processed, stats.cached) == (FILES, 0)  # each file's result taken exactly once
