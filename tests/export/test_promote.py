"""Promotion moves only on the main line: experiments publish candidates, and a short run never
displaces a better promoted model."""

from __future__ import annotations

import json

import pytest
import yaml

from tasks.export.promote import promote, promotion_problems
from tasks.io import write_json
from tests.support import run

GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid"]


def publish_fake(registry, version: str, gate_passed: bool, compared_with: str | None) -> None:
    bundle = registry / "versions" / version
    bundle.mkdir(parents=True)
    write_json(bundle / "manifest.json", {
        "version": version, "promoted": False, "gate_passed": gate_passed,
        "compared_with": compared_with, "files": {},
    })  # fmt: skip


def pointer(registry) -> str | None:
    path = registry / "promoted.json"
    return json.loads(path.read_text())["version"] if path.exists() else None


def test_given_a_candidate_that_failed_the_gate_when_promoted_then_refused_unless_forced(tmp_path):
    publish_fake(tmp_path, "v1", gate_passed=False, compared_with=None)

    assert "did not pass the promotion gate" in promote(tmp_path, "v1")[0]
    assert pointer(tmp_path) is None
    promote(tmp_path, "v1", force=True)
    assert pointer(tmp_path) == "v1"


def test_given_a_candidate_judged_against_an_older_model_when_promoted_then_refused(tmp_path):
    publish_fake(tmp_path, "v1", gate_passed=True, compared_with=None)
    publish_fake(tmp_path, "v2", gate_passed=True, compared_with=None)  # judged before v1 won
    assert promote(tmp_path, "v1") == [] and pointer(tmp_path) == "v1"

    problems = promotion_problems(tmp_path, "v2")

    assert "evaluated against no promoted model, but v1 is promoted now" in problems[0]
    assert promote(tmp_path, "v2") and pointer(tmp_path) == "v1"


def set_params(repo, **changes) -> None:
    params = yaml.safe_load((repo / "params.yaml").read_text())
    for dotted, value in changes.items():
        *parents, key = dotted.split(".")
        node = params
        for part in parents:
            node = node[part]
        node[key] = value
    (repo / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False, allow_unicode=True))


@pytest.mark.slow
def test_given_a_promoted_model_when_a_short_run_follows_then_it_never_displaces_it(repo_copy):
    registry = repo_copy / "registry"
    # The tiny random model cannot beat its base on any format: only the comparison against
    # the promoted model (every primary metric and the answer loss) is under test here.
    set_params(repo_copy, **{
        "finetune.max_steps": 80, "finetune.learning_rate": 0.003,
        "evaluate.gate.min_improved_tasks": 0, "evaluate.max_records_per_task": 2,
    })  # fmt: skip
    run(["dvc", "repro"], repo_copy)
    first = pointer(registry)
    assert first is not None, "the first main-line run is promoted"
    run([*GIT, "commit", "-qam", "promoted run"], repo_copy)

    exp = run(["dvc", "exp", "run", "-S", "finetune.max_steps=2"], repo_copy)

    assert "published as a candidate" in exp.stdout or "promoted=False" in exp.stdout
    assert pointer(registry) == first, "an experiment never moves the promoted pointer"
    versions = sorted(p.name for p in (registry / "versions").iterdir())
    assert len(versions) == 2, "the experiment's bundle is published, as a candidate"

    set_params(repo_copy, **{"finetune.max_steps": 2})
    run(["dvc", "repro"], repo_copy)

    decision = json.loads((repo_copy / "reports/evaluate/promotion.json").read_text())
    assert not decision["promoted"] and pointer(registry) == first
    assert any("answer loss rose against the promoted model" in f for f in decision["failures"])
