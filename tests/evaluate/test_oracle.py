"""The oracle: each frozen eval reference, emitted as a model would within its task's budget,
must score full marks on its task's primary metric with the quick start's settings. A task that
scores less has a budget that cuts correct answers or a scorer that cannot recognise them."""

from __future__ import annotations

import contextlib
import shutil
import sys

import pandas as pd
import pytest

from tasks.base_model import provision
from tasks.evaluate.budget import oracle_outputs
from tasks.evaluate.runner import prepare_eval_set, score_outputs
from tasks.evaluate.sandbox import isolation
from tasks.evaluate.score import primary_metrics
from tasks.params import load_params
from tests.support import REPO, run

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def quick_start(tmp_path_factory):
    """The shipped params, samples and frozen eval set, with step 1 run on the samples."""
    root = tmp_path_factory.mktemp("oracle")
    for name in ("samples", "evalsets"):
        shutil.copytree(REPO / name, root / name)
    shutil.copy2(REPO / "params.yaml", root / "params.yaml")
    env = {"PYTHONPATH": str(REPO)}
    for step in (["tasks.identify_assets.scan", "samples"], ["tasks.identify_assets"]):
        run([sys.executable, "-m", *step], root, env=dict(__import__("os").environ) | env)
    return root


def test_given_the_references_as_answers_when_scored_then_every_task_scores_full_marks(
    quick_start,
):
    from transformers import AutoTokenizer

    with contextlib.chdir(quick_start):
        params = load_params("params.yaml")
        assert (quick_start / params.evaluate.frozen_eval).exists(), "the frozen eval set ships"
        tokenizer = AutoTokenizer.from_pretrained(provision(params.base_model)["path"])
        eval_set = prepare_eval_set(params, tokenizer, probes=False)
        records = eval_set.frame.to_dict("records")
        outputs = oracle_outputs(records, tokenizer, eval_set.budgets)
        scored = pd.DataFrame(score_outputs("oracle", eval_set, outputs, params))

    assert not any(b.capped for b in eval_set.budgets.values())
    assert scored.groupby("task").size().min() >= 10, "at least 10 eval records per task"
    primary = primary_metrics(scored)
    if isolation():  # the sandbox runs: code tasks are scored by pass@1
        assert primary["implement_method"] == "pass@1" and primary["write_test"] == "pass@1"
    for task, metric in primary.items():
        values = scored.loc[scored["task"] == task, metric].dropna().astype(float)
        failing = scored.loc[(scored["task"] == task) & (scored[metric] < 1), "problems"]
        assert len(values) and values.min() == 1.0, f"{task} {metric}: {failing.tolist()[:3]}"
