"""`python -m flows.dataset`: steps 1-2 and their gates on a user's own params, in one command."""

from __future__ import annotations

import sys

import pytest
import yaml

from flows.dataset import DatasetRunFailed, direct_commands, preflight
from tasks.params import load_params
from tests.support import REPO, merged, run, tiny_overrides

SHOP = REPO / "tests" / "fixtures" / "shop"  # a user's own repository, outside the checkout
OWN_TASKS = ["design_restful_api", "implement_method", "write_test",
             "design_plantuml_datastructure"]  # fmt: skip


def own_params(path, sources, overrides=None):
    """A copy of the shipped params.yaml with its asset sources replaced, as a user edits it."""
    raw = merged(yaml.safe_load((REPO / "params.yaml").read_text()), overrides or {})
    raw["identify_assets"]["sources"] = sources  # replaced, as in the README's recipe
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def test_given_own_params_then_the_stages_up_to_the_dataset_gate_run_in_dag_order(tmp_path):
    sources = {"billing": {"type": "dir", "path": str(SHOP)}, "apps": {"type": "dir", "path": "x"}}
    path = own_params(tmp_path / "own.yaml", sources)

    commands = direct_commands(REPO, load_params(path), path)

    assert [stage for stage, _ in commands] == [
        "base_model", "scan_source@apps", "scan_source@billing", "identify_assets",
        "gate_assets", "ingest_feedback", "gate_feedback", "build_dataset", "gate_dataset",
    ]  # fmt: skip
    assert all(argv[0] == sys.executable and argv[-2:] == ["--params", str(path)]
               for _, argv in commands)  # fmt: skip
    assert commands[1][1][1:4] == ["-m", "tasks.identify_assets.scan", "apps"]


def test_given_a_source_that_does_not_exist_then_nothing_runs_and_the_key_is_named(tmp_path):
    path = own_params(tmp_path / "own.yaml", {"mine": {"type": "dir", "path": "/no/such/repo"}})

    with pytest.raises(DatasetRunFailed) as failed:
        preflight(REPO, load_params(path), path)

    assert "identify_assets.sources.mine.path: /no/such/repo does not exist" in str(failed.value)


def test_given_own_params_then_the_demo_feedback_is_left_out_and_said_so(tmp_path):
    path = own_params(tmp_path / "own.yaml", {"mine": {"type": "dir", "path": str(SHOP)}})

    notes = preflight(REPO, load_params(path), path)

    assert notes == [
        "feedback source 'samples' left out: only with identify_assets source 'samples', "
        "which is not listed"
    ]


@pytest.mark.slow  # steps 1-2 and three gates on the tiny model, twice (about a minute)
def test_given_a_fresh_checkout_and_own_assets_when_run_then_one_command_gives_the_dataset(
    repo_copy, model_cache
):
    sources = {"shop": {"type": "dir", "path": str(SHOP)}}
    own_params(repo_copy / "own.yaml", sources, tiny_overrides(model_cache))

    # Directly, on a copied params file that still lists the user-story tasks.
    failed = run([sys.executable, "-m", "flows.dataset", "--params", "own.yaml"], repo_copy,
                 check=False)  # fmt: skip
    assert failed.returncode == 1 and "Traceback" not in failed.stdout + failed.stderr
    assert "feedback source 'samples' left out" in failed.stdout
    assert "gate 'feedback' passed" in failed.stdout  # no feedback yet is fine
    assert (
        "warning: task create_agile_user_story: 0 train, 0 eval records: no records: no assets "
        "of kind user_story"
    ) in failed.stderr + failed.stdout
    assert "dataset run failed: stage gate_dataset failed (exit 1)" in failed.stderr
    assert "rerun `python -m flows.dataset --params own.yaml`" in failed.stderr

    # Through DVC, with the same sources in params.yaml and the tasks the corpus feeds.
    tiny = tiny_overrides(model_cache)
    tiny["build_dataset"]["tasks"] = OWN_TASKS
    own_params(repo_copy / "params.yaml", sources, tiny)
    passed = run([sys.executable, "-m", "flows.dataset"], repo_copy)
    assert "stage scan_source@shop: dvc repro --single-item scan_source@shop" in passed.stdout
    assert "steps 1-2 done, every gate passed" in passed.stdout
    lock = yaml.safe_load((repo_copy / "dvc.lock").read_text())["stages"]
    assert {"scan_source@shop", "build_dataset", "gate_dataset"} <= set(lock)
    records = (repo_copy / "data" / "dataset" / "eval.jsonl").read_text().splitlines()
    assert any('"task": "design_restful_api"' in line for line in records)
