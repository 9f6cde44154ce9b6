"""Runs saved as DVC experiments: names, the not-a-git-repo failure, `dvc exp show`, promotion."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime

import pytest
import yaml

from flows.remote import ExperimentError, check_experiment_repo, experiment_name, save_experiment
from tests.flows.s3remote import s3_keys, use_remote
from tests.support import moto_s3, run

GIT_IDENTITY = ["-c", "user.name=t", "-c", "user.email=t@example.invalid"]


def experiments(repo) -> dict[str, dict]:
    """Every experiment `dvc exp show --json` lists, by name, with its params and metrics."""
    shown = json.loads(run(["dvc", "exp", "show", "--json"], repo).stdout)
    return {
        exp["name"]: rev["data"]
        for baseline in shown
        for exp in baseline.get("experiments") or []
        for rev in exp["revs"]
    }


def test_given_a_directory_without_git_when_checking_then_the_error_says_how_to_fix_it(tmp_path):
    with pytest.raises(ExperimentError, match="not a git repository with a commit.*git init"):
        check_experiment_repo(tmp_path, "nightly")


def test_given_a_name_that_is_no_git_ref_when_checking_then_it_is_rejected(tmp_path):
    with pytest.raises(ExperimentError, match="letters, digits"):
        check_experiment_repo(tmp_path, "night ly")


def test_given_a_taken_name_when_naming_the_next_run_then_a_counter_keeps_it_unique(tmp_path):
    run(["git", "init", "-q"], tmp_path)
    run(["git", *GIT_IDENTITY, "commit", "-q", "--allow-empty", "-m", "init"], tmp_path)
    two_am = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)
    assert experiment_name(tmp_path, "nightly", two_am) == "nightly-20261122-0200"

    run(["git", "update-ref", "refs/exps/ab/cdef/nightly-20261122-0200", "HEAD"], tmp_path)

    assert experiment_name(tmp_path, "nightly", two_am) == "nightly-20261122-0200-2"
    assert experiment_name(tmp_path, "manual", two_am) == "manual-20261122-0200"


@pytest.mark.slow
def test_given_a_run_when_saved_then_exp_show_lists_its_metrics_and_params_and_it_can_be_branched(
    repo_copy,
):
    run(["dvc", "repro", "ingest_feedback"], repo_copy)

    name = save_experiment(repo_copy, "nightly", ["ingest_feedback"])

    saved = experiments(repo_copy)[name]
    metrics = saved["metrics"]["reports/feedback/metrics.json"]["data"]
    assert metrics == json.loads((repo_copy / "reports/feedback/metrics.json").read_text())
    assert saved["params"]["params.yaml"]["data"]["finetune"]["max_steps"] == 3
    # Promotion: the experiment becomes a branch holding its dvc.lock and metrics.
    run(["dvc", "exp", "branch", name, "promoted"], repo_copy)
    lock = yaml.safe_load(run(["git", "show", "promoted:dvc.lock"], repo_copy).stdout)
    assert "ingest_feedback" in lock["stages"]
    branch_metrics = run(["git", "show", "promoted:reports/feedback/metrics.json"], repo_copy)
    assert json.loads(branch_metrics.stdout) == metrics


def experiment_ref(repo, name: str) -> str:
    refs = run(["git", "for-each-ref", "--format=%(refname)", "refs/exps"], repo).stdout.split()
    (ref,) = [r for r in refs if r.endswith(f"/{name}")]
    return ref


@pytest.fixture(scope="module")
def prefect_server():
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=90):
        yield


@pytest.mark.slow
def test_given_an_experiment_name_when_the_flywheel_succeeds_then_it_is_saved_and_pushed(
    repo_copy, prefect_server
):
    from flows.flywheel import flywheel

    with moto_s3() as endpoint:
        use_remote(repo_copy, endpoint, "nightly")

        started = datetime.now(UTC)
        outcomes = flywheel(str(repo_copy), experiment="nightly")
        ended = datetime.now(UTC)

        pushed = s3_keys(endpoint, "nightly")
    assert outcomes["finetune"] == outcomes["evaluate"] == "ran"
    (name, saved), *others = [(n, d) for n, d in experiments(repo_copy).items() if "nightly" in n]
    # Named during the run: one across midnight carries either day's date.
    days = {f"nightly-{started:%Y%m%d}-", f"nightly-{ended:%Y%m%d}-"}
    assert not others and any(name.startswith(day) for day in days)
    overall = "reports/evaluate/metrics/overall.json"  # one headline file per task + overall
    evaluation = json.loads((repo_copy / overall).read_text())
    assert saved["metrics"][overall]["data"] == evaluation and "improved" in evaluation
    assert saved["params"]["params.yaml"]["data"]["remote"]["url"] == "s3://nightly/dvc"
    lock_file = run(["git", "show", f"{experiment_ref(repo_copy, name)}:dvc.lock"], repo_copy)
    stages = yaml.safe_load(lock_file.stdout)["stages"]
    assert {"finetune", "export"} <= stages.keys()
    # The run's cached outputs went to the remote: the adapter among them.
    adapter = next(o["md5"] for o in stages["finetune"]["outs"] if o["path"] == "models/adapter")
    assert f"dvc/files/md5/{adapter[:2]}/{adapter[2:]}" in pushed


@pytest.mark.slow
def test_given_no_git_repository_when_the_flywheel_is_asked_for_an_experiment_then_nothing_runs(
    repo_copy, prefect_server
):
    from flows.flywheel import flywheel

    shutil.rmtree(repo_copy / ".git")

    with pytest.raises(ExperimentError, match="not a git repository"):
        flywheel(str(repo_copy), experiment="nightly")
    assert not (repo_copy / "dvc.lock").exists()
