"""The demo's sample feedback is tied to the demo's assets: a copy of params.yaml pointed at
your own assets leaves it out, and any of its events an earlier run ingested."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import yaml

from tasks.ingest_feedback.__main__ import main
from tasks.params import load_params
from tests.ingest_feedback.factory import feedback_params
from tests.support import REPO

SAMPLES = REPO / "samples" / "feedback" / "inbox"


def demo_params(root: Path, asset_sources: dict | None = None):
    shutil.copytree(SAMPLES, root / "inbox", dirs_exist_ok=True)
    demo = {"type": "dir", "path": str(root / "inbox"), "only_with_source": "samples"}
    params = feedback_params(root, sources={"samples": demo})
    if asset_sources is not None:
        path = root / "params.yaml"
        raw = yaml.safe_load(path.read_text())
        raw["identify_assets"]["sources"] = asset_sources
        path.write_text(yaml.safe_dump(raw, sort_keys=False))
        params = load_params(path)
    return params


def records(params) -> list[str]:
    return Path(params.ingest_feedback.records).read_text().splitlines()


def test_given_the_shipped_params_then_the_demo_inbox_is_tied_to_the_samples_assets(repo_params):
    assert repo_params.ingest_feedback.sources["samples"].only_with_source == "samples"
    assert "samples" in repo_params.identify_assets.sources


def test_given_the_demo_assets_when_ingested_then_the_demo_feedback_is_used(tmp_path, capsys):
    params = demo_params(tmp_path)  # the repository's asset sources: samples

    main(["--params", str(tmp_path / "params.yaml")])

    assert "13 events ingested" in capsys.readouterr().out
    assert len(records(params)) == 10


def test_given_a_copy_pointed_at_own_assets_when_ingested_then_no_demo_feedback_is_used(
    tmp_path, capsys
):
    demo_params(tmp_path)
    main(["--params", str(tmp_path / "params.yaml")])  # a demo run first: 13 events in the ledger
    capsys.readouterr()
    own = demo_params(tmp_path, {"my_repo": {"type": "dir", "path": str(tmp_path / "repo")}})

    main(["--params", str(tmp_path / "params.yaml")])

    out = capsys.readouterr().out
    assert (
        "feedback: source 'samples' skipped: only with identify_assets source 'samples', "
        "which is not listed"
    ) in out
    assert "0 new lines, 0 events ingested" in out
    assert records(own) == []
    assert pd.read_parquet(own.ingest_feedback.events).empty
    assert pd.read_parquet(own.ingest_feedback.rejects).empty  # the demo's bad lines too
