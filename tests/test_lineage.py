"""Lineage end to end on a real pipeline slice: feedback events -> records -> train split ->
adapter -> registry, over two rounds (the second continued from the first, promoted, one).

Steps 6, 2, 3 and 5 run for real (tiny model, a few story assets, the sample inbox split into
two days); step 4's outputs are written as tests/export/workspace.py writes them.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from tasks.io import read_json, write_json, write_parquet
from tasks.lineage import event_lineage, version_lineage
from tests.export.workspace import metrics
from tests.support import REPO, merged, run, tiny_overrides

INBOX = REPO / "samples" / "feedback" / "inbox"
STORIES = ("stories/markdown/cards.md", "stories/markdown/savings.md")


def write_params(root: Path, model_cache: Path, **finetune) -> None:
    raw = merged(yaml.safe_load((REPO / "params.yaml").read_text()), tiny_overrides(model_cache))
    raw["ingest_feedback"]["sources"] = {"inbox": {"type": "dir", "path": "inbox"}}
    # every record once (an epoch, in the dataset's order): each one is reached
    raw["finetune"] |= {"max_steps": None, "epochs": 1, "task_sampling": "natural"} | finetune
    (root / "params.yaml").write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True))


def pipeline_round(root: Path) -> dict:
    """Steps 6, 2, 3 and 5 in `root`; the bundle's manifest."""
    from tasks.build_dataset.__main__ import main as build
    from tasks.export.__main__ import main as export
    from tasks.finetune.__main__ import main as finetune
    from tasks.ingest_feedback.__main__ import main as ingest

    args = ["--params", "params.yaml"]
    ingest(args)
    build(args)
    finetune(args)
    write_json("reports/evaluate/details.json", metrics())
    write_json("reports/evaluate/promotion.json", {"promoted": True, "reasons": ["test run"]})
    export(args)
    return read_json("bundles/latest/manifest.json")


def train_events(root: Path) -> tuple[set[str], set[str]]:
    """Event ids of the current dataset's feedback records: (train split, eval split)."""
    records = pd.read_parquet(root / "data/dataset/records.parquet")
    events = {"train": set(), "eval": set()}
    for row in records.itertuples():
        events[row.split] |= set(row.event_ids)
    return events["train"], events["eval"]


@pytest.fixture(scope="module")
def two_rounds(model_cache, tmp_path_factory):
    from tasks.base_model import provision
    from tasks.params import load_params

    root = tmp_path_factory.mktemp("lineage")
    saved = Path.cwd()
    os.chdir(root)
    for var in ("DVC_EXP_NAME", "LLMOPS_EXPERIMENT"):
        os.environ.pop(var, None)
    try:
        write_params(root, model_cache)
        params = load_params("params.yaml")
        write_json(params.base_model.descriptor, provision(params.base_model))
        rows = [
            (
                f"samples:{p}",
                "samples",
                p,
                "user_story",
                "markdown",
                (REPO / "samples" / p).read_text(),
            )
            for p in STORIES
        ]
        columns = ["asset_id", "source", "path", "kind", "language", "text"]
        write_parquet(params.identify_assets.contents, pd.DataFrame(rows, columns=columns))
        (root / "inbox").mkdir()
        shutil.copy(INBOX / "2026-11-01.jsonl", root / "inbox")
        first = pipeline_round(root)
        first_train, _ = train_events(root)
        shutil.copy(INBOX / "2026-11-02.jsonl", root / "inbox")  # the next day's feedback
        write_params(root, model_cache, init="promoted")
        second = pipeline_round(root)
        yield root, first, second, first_train
    finally:
        os.chdir(saved)


def test_a_first_round_event_was_learned_by_both_versions(two_rounds):
    root, first, second, first_train = two_rounds
    from tasks.params import load_params

    params = load_params(root / "params.yaml")
    assert first_train, "the first day's feedback reached the train split"
    for event in sorted(first_train):
        answer = event_lineage(params, event)
        assert answer["event"]["model_version"] and answer["feedback_records"]
        assert [r["split"] for r in answer["dataset_records"]] == ["train"]
        learners = {v["version"]: v["how"] for v in answer["versions"]}
        assert learners[first["version"]] == "directly"
        # the second round continued from the first: it learned it directly (replayed) or
        # through the first version
        assert learners[second["version"]] in {"directly", f"through {first['version']}"}


def test_a_second_round_event_was_learned_only_by_the_second_version(two_rounds):
    root, first, second, first_train = two_rounds
    from tasks.params import load_params

    params = load_params(root / "params.yaml")
    train, evaluation = train_events(root)
    new = train - first_train
    assert new, "the second day's feedback reached the train split"
    for event in sorted(new):
        answer = event_lineage(params, event)
        assert answer["versions"] == [
            {"version": second["version"], "how": "directly", "trained_in": second["version"]}
        ]
    for event in sorted(evaluation):  # eval-split feedback is never learned from
        assert event_lineage(params, event)["versions"] == []


def test_a_version_lists_its_events_and_ancestry_and_the_cli_is_stable(two_rounds):
    root, first, second, first_train = two_rounds
    from tasks.params import load_params

    params = load_params(root / "params.yaml")
    train, _ = train_events(root)
    answer = version_lineage(params, second["version"])
    assert answer["ancestry"] == [second["version"], first["version"]]
    assert answer["init"]["version"] == first["version"]
    assert {e["event_id"] for e in answer["events"]} == train | first_train
    base = version_lineage(params, first["version"])
    assert base["ancestry"] == [first["version"]] and base["init"]["from"] == "base"
    assert {e["event_id"] for e in base["events"]} == first_train
    assert all(e["how"] == "directly" for e in base["events"])
    # the lineage link at the writer: the second bundle names the first as its start
    assert second["init"]["version"] == first["version"]

    env = dict(os.environ) | {"PYTHONPATH": str(REPO)}
    event = sorted(first_train)[0]
    cmd = ["python", "-m", "tasks.lineage", "event", event, "--params", "params.yaml"]
    once, twice = run(cmd, root, env=env).stdout, run(cmd, root, env=env).stdout
    assert once == twice and f"{first['version']}: directly" in once
    text = run(["python", "-m", "tasks.lineage", "version", second["version"]], root, env=env)
    assert f"continued from {first['version']}" in text.stdout
    missing = run(["python", "-m", "tasks.lineage", "version", "nope"], root, check=False, env=env)
    assert missing.returncode != 0 and "nope is not published" in missing.stderr
