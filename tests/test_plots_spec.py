"""The feedback "rates per day" plot draws its days as dates (a temporal x), not as numbers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_given_the_committed_daily_rates_then_dvc_renders_them_on_a_time_axis():
    dvc = Path(sys.executable).with_name("dvc")
    done = subprocess.run(
        [str(dvc), "plots", "show", "--json", "reports/feedback/daily.json"],
        cwd=REPO, capture_output=True, text=True, timeout=120,
        env=os.environ | {"DVC_NO_ANALYTICS": "1"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    declared = json.loads(done.stdout)["data"]["dvc.yaml::reports/feedback/daily.json"]
    spec = declared[0]["content"]
    assert spec["encoding"]["x"] == {
        "field": "day", "type": "temporal", "timeUnit": "yearmonthdate", "title": "day",
    }  # fmt: skip
    assert spec["encoding"]["y"]["title"] == "rate"
    values = spec["data"]["values"]
    days = json.loads((REPO / "reports/feedback/daily.json").read_text())
    assert {v["field"] for v in values} == {"accept_rate", "edit_rate", "reject_rate"}
    assert len(values) == 3 * len(days) and all(v["day"][:4].isdigit() for v in values)
