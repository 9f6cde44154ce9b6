"""The DVC remote on a local S3-compatible server: configuration, round-trip, shared workers."""

from __future__ import annotations

import shutil
import sys

import pytest
from pydantic import ValidationError

from flows.remote import configure, push, stage_inputs
from tasks.params import RemoteParams, load_params
from tests.flows.s3remote import file_digests, s3_keys, use_remote
from tests.support import REPO, moto_s3, run

# Two cheap stages: a directory output (one inventory per source) and a file output.
ROUND_TRIP_STAGES = ["scan_source@samples", "base_model"]
ROUND_TRIP_OUTPUTS = ["data/assets/sources/samples", "models/base_model.json"]


@pytest.fixture(scope="module")
def s3_endpoint():
    with moto_s3() as endpoint:
        yield endpoint


@pytest.fixture
def dvc_repo(tmp_path):
    """An empty git + DVC repository with the project's params.yaml (no remote set)."""
    run(["git", "init", "-q"], tmp_path)
    run(["dvc", "init", "-q"], tmp_path)
    shutil.copy2(REPO / "params.yaml", tmp_path / "params.yaml")
    commit_all(tmp_path, "init")
    return tmp_path


def commit_all(repo, message: str) -> None:
    run(["git", "add", "-A"], repo)
    identity = ["-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    run(["git", *identity, "commit", "-qm", message], repo)


def test_given_a_url_that_is_not_s3_when_validating_params_then_it_is_rejected():
    with pytest.raises(ValidationError, match="url"):
        RemoteParams(url="https://example.invalid/bucket", name="storage")
    assert RemoteParams(url="", name="storage").url == ""  # empty: no remote


def test_given_no_remote_url_when_pushing_then_nothing_is_configured_and_the_cli_says_so(
    dvc_repo,
):
    remote = load_params(dvc_repo / "params.yaml").remote

    assert remote.url == "" and not configure(dvc_repo, remote) and not push(dvc_repo, remote)
    assert not (dvc_repo / ".dvc" / "config.local").exists()
    result = run([sys.executable, "-m", "flows.remote", "push"], dvc_repo, check=False)
    assert result.returncode != 0 and "no DVC remote configured" in result.stderr


def test_given_a_remote_in_params_when_configured_then_only_the_ignored_local_config_has_it(
    dvc_repo,
):
    committed = (dvc_repo / ".dvc" / "config").read_text()
    remote = RemoteParams(
        url="s3://bucket/dvc", name="shared", endpoint_url="http://127.0.0.1:9", region="eu-west-1"
    )

    assert configure(dvc_repo, remote) and configure(dvc_repo, remote)  # idempotent

    local = (dvc_repo / ".dvc" / "config.local").read_text()
    assert "remote = shared" in local and "url = s3://bucket/dvc" in local
    assert "endpointurl = http://127.0.0.1:9" in local and "region = eu-west-1" in local
    assert (dvc_repo / ".dvc" / "config").read_text() == committed
    assert run(["git", "status", "--porcelain"], dvc_repo).stdout == ""  # nothing to commit
    listed = run(["dvc", "remote", "list"], dvc_repo).stdout
    assert "shared" in listed and "s3://bucket/dvc" in listed


def test_given_the_finetune_stage_when_listing_its_inputs_then_the_upstream_outputs_are_named(
    repo_copy,
):
    assert stage_inputs(repo_copy, "finetune") == [
        "data/dataset/train.jsonl",
        "models/base_model.json",
        "reports/gates/dataset.json",
    ]
    assert stage_inputs(repo_copy, "identify_assets") == ["data/assets/sources/samples"]


@pytest.mark.slow
def test_given_pushed_outputs_when_cache_and_outputs_are_dropped_then_pull_restores_them_exactly(
    repo_copy, s3_endpoint
):
    use_remote(repo_copy, s3_endpoint, "round-trip")
    run(["dvc", "repro", *ROUND_TRIP_STAGES], repo_copy)
    before = file_digests(repo_copy, ROUND_TRIP_OUTPUTS)

    run([sys.executable, "-m", "flows.remote", "push"], repo_copy)
    assert any(key.startswith("dvc/files/md5/") for key in s3_keys(s3_endpoint, "round-trip"))
    assert any(key.startswith("dvc/runs/") for key in s3_keys(s3_endpoint, "round-trip"))
    shutil.rmtree(repo_copy / ".dvc" / "cache")
    shutil.rmtree(repo_copy / ROUND_TRIP_OUTPUTS[0])
    (repo_copy / ROUND_TRIP_OUTPUTS[1]).unlink()
    pulled = run([sys.executable, "-m", "flows.remote", "pull"], repo_copy)

    assert "pull: done" in pulled.stdout
    assert file_digests(repo_copy, ROUND_TRIP_OUTPUTS) == before and len(before) >= 2
    assert "up to date" in run(["dvc", "status", *ROUND_TRIP_STAGES], repo_copy).stdout


@pytest.fixture(scope="module")
def prefect_server():
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=90):
        yield


@pytest.mark.slow
def test_given_a_clone_without_data_when_the_gpu_flow_runs_then_data_travels_by_the_remote(
    repo_copy, tmp_path, s3_endpoint, prefect_server
):
    from flows.finetune import finetune

    # The flywheel's checkout: the stages before the fine-tune, pushed, dvc.lock committed.
    use_remote(repo_copy, s3_endpoint, "workers")
    run(["dvc", "repro", "gate_dataset"], repo_copy)
    assert push(repo_copy, load_params(repo_copy / "params.yaml").remote)
    commit_all(repo_copy, "dataset")
    # The gpu worker's checkout: a clone, so no data and no DVC cache of its own.
    worker = tmp_path / "worker"
    run(["git", "clone", "-q", str(repo_copy), str(worker)], tmp_path)
    assert not (worker / ".dvc" / "cache").exists()
    assert not (worker / "data" / "dataset" / "train.jsonl").exists()

    assert finetune(str(worker)) == "ran"

    inputs = ["data/dataset/train.jsonl", "models/base_model.json", "reports/gates/dataset.json"]
    assert file_digests(worker, inputs) == file_digests(repo_copy, inputs)
    # dvc.lock (and the git-tracked metrics) come back by git, the adapter by the remote.
    commit_all(worker, "finetune")
    run(["git", "pull", "-q", "--ff-only", str(worker)], repo_copy)
    assert not (repo_copy / "models" / "adapter").exists()
    run([sys.executable, "-m", "flows.remote", "pull", "finetune"], repo_copy)
    adapter = ["models/adapter", "models/trainer_state.json", "reports/finetune/live"]
    assert file_digests(repo_copy, adapter) == file_digests(worker, adapter)
    assert len(file_digests(repo_copy, ["models/adapter"])) >= 2
    assert "up to date" in run(["dvc", "status", "finetune"], repo_copy).stdout
