"""Step 2 on a real Dask cluster: the local executor's dataset to the byte; a killed worker."""

from __future__ import annotations

import os
import signal
import sysconfig
import threading
from pathlib import Path

import pandas as pd
import pytest
from dask.distributed import Client

from tasks.build_dataset import assets, filters
from tasks.build_dataset.__main__ import build, main
from tasks.executor import local_cluster, parts_of
from tests.build_dataset.stage import stage_inputs

OUTPUTS = ("records", "rejects", "train", "eval", "card")
STDLIB_FILES = 90  # small standard-library modules, spread over three repositories


@pytest.fixture(scope="module")
def client():
    with local_cluster(2) as client:
        yield client


@pytest.fixture
def small_parts(monkeypatch):
    """Parts of a few assets and candidates: the samples make many parts, gathered in order."""
    monkeypatch.setattr(assets, "ASSETS_PER_PART", 4)
    monkeypatch.setattr(filters, "CANDIDATES_PER_PART", 16)


@pytest.fixture(scope="module")
def corpus(sample_contents) -> pd.DataFrame:
    """Contents of an organisation: the samples, three repositories of standard-library modules
    (one of them with a package), a module that does not parse and a spec that is not one."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    modules = sorted(
        p for p in stdlib.glob("*.py") if 1_000 < p.stat().st_size < 12_000 and p.is_file()
    )[:STDLIB_FILES]
    rows = []
    for n, module in enumerate(modules):
        repo = f"lib{n % 3}"
        path = f"pkg/{module.name}" if repo == "lib0" else module.name
        text = module.read_text(encoding="utf-8", errors="replace")
        rows.append((f"{repo}:{path}", repo, path, "source", "python", text))
    rows += [
        ("lib0:pkg/__init__.py", "lib0", "pkg/__init__.py", "source", "python", '"""pkg."""\n'),
        ("lib1:broken.py", "lib1", "broken.py", "source", "python", "def broken(:\n    pass\n"),
        ("lib2:api.yaml", "lib2", "api.yaml", "openapi", "yaml", "openapi: 3.0.0\npaths: [1, 2\n"),
    ]
    extra = pd.DataFrame(rows, columns=sample_contents.columns)
    return pd.concat([sample_contents, extra], ignore_index=True)


def run_step(work: Path, monkeypatch, tiny_params, contents: pd.DataFrame, executor: dict):
    """The build_dataset stage in `work` with this executor; each output file's bytes."""
    work.mkdir()
    monkeypatch.chdir(work)
    params_path = stage_inputs(work, tiny_params, contents, executor=executor)
    main(["--params", str(params_path)])
    step = tiny_params.build_dataset
    return {name: (work / getattr(step, name)).read_bytes() for name in OUTPUTS}


def assert_same(local: dict[str, bytes], remote: dict[str, bytes]) -> None:
    assert [name for name in OUTPUTS if local[name] != remote[name]] == []


def test_samples_give_a_byte_identical_dataset_on_the_cluster(
    tmp_path, monkeypatch, tiny_params, sample_contents, client, small_parts
):
    remote_executor = {"type": "dask", "address": client.scheduler_info()["address"]}
    local = run_step(tmp_path / "local", monkeypatch, tiny_params, sample_contents, {})
    remote = run_step(tmp_path / "dask", monkeypatch, tiny_params, sample_contents, remote_executor)

    assert_same(local, remote)
    assert local["train"] and local["eval"]
    # The parts ran on the cluster, in many tasks.
    ran = client.run_on_scheduler(_finished)
    assert ran["parse_part"] >= len(sample_contents) // 4
    assert ran["check_part"] > 1 and ran["count_part"] > 1


def test_a_multi_repository_corpus_gives_the_same_dataset_on_the_cluster(
    tmp_path, monkeypatch, tiny_params, corpus, client
):
    remote_executor = {"type": "dask", "address": client.scheduler_info()["address"]}
    local = run_step(tmp_path / "local", monkeypatch, tiny_params, corpus, {})
    remote = run_step(tmp_path / "dask", monkeypatch, tiny_params, corpus, remote_executor)

    assert_same(local, remote)
    rejects = pd.read_parquet(tmp_path / "dask" / tiny_params.build_dataset.rejects)
    reasons = rejects.set_index("asset_id")["reason"]
    assert reasons["lib1:broken.py"].startswith("unparseable code")
    assert "lib2:api.yaml" in reasons.index
    records = pd.read_parquet(tmp_path / "dask" / tiny_params.build_dataset.records)
    assert records["asset_id"].str.startswith(("lib0:", "lib1:", "lib2:")).sum() > 50


def test_a_worker_killed_mid_build_is_survived_and_nothing_is_counted_twice(
    corpus, roomy_step, count_tokens, client, monkeypatch
):
    monkeypatch.setattr(assets, "ASSETS_PER_PART", 2)  # many parse tasks: a kill lands mid-run
    local = build(corpus, [], roomy_step, count_tokens)
    finished, killed = threading.Event(), {}
    pids = client.run(os.getpid)

    def kill_a_busy_worker() -> None:
        """SIGKILL a worker holding parse tasks, once the first of them is done."""
        with Client(client.scheduler_info()["address"]) as watcher:
            while not finished.wait(0.01):
                done = watcher.run_on_scheduler(_finished)["parse_part"] > before
                busy = [(w, keys) for w, keys in watcher.processing().items() if keys]
                if done and busy:
                    os.kill(pids[busy[0][0]], signal.SIGKILL)
                    killed.update(worker=busy[0][0], keys=busy[0][1])
                    return

    before = client.run_on_scheduler(_finished)["parse_part"]
    killer = threading.Thread(target=kill_a_busy_worker)
    killer.start()
    try:
        remote = build(corpus, [], roomy_step, count_tokens, parts=parts_of(client))
    finally:
        finished.set()
        killer.join()
    client.wait_for_workers(2, timeout=300)  # the nanny restarts it

    assert killed, "no worker was busy while the build ran"
    assert remote[0].equals(local[0]) and remote[1].equals(local[1])
    assert remote[0]["record_id"].is_unique


def _finished(dask_scheduler) -> dict[str, int]:
    """Tasks per prefix whose result was computed (held, released or forgotten since)."""
    done = {"parse_part": 0, "check_part": 0, "count_part": 0}
    for name, prefix in dask_scheduler.task_prefixes.items():
        counts = prefix.state_counts
        done[name] = counts["memory"] + counts["released"] + counts["forgotten"]
    return done
