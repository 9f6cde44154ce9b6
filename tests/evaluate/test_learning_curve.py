"""benchmarks/learning_curve.py: the points it keeps and the PNG it draws (the sweep itself is
one `dvc exp run` per step count)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from PIL import Image

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "learning_curve.py"


def load():
    spec = importlib.util.spec_from_file_location("learning_curve", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_scores_keep_each_tasks_primary_and_format_validity_and_drop_overall():
    curve = load()
    model = {
        "write_test": {"primary_metric": "pass@1", "primary": 0.2, "format_valid": 0.5, "n": 17,
                       "bleu": 0.1},
        "overall": {"primary": 0.2},
    }  # fmt: skip

    assert curve.scores(model) == {
        "write_test": {"primary_metric": "pass@1", "primary": 0.2, "format_valid": 0.5, "n": 17}
    }


def test_the_plot_is_a_png_with_a_line_per_task(tmp_path):
    curve = load()
    points = {
        str(n): {
            task: {"primary_metric": "format_valid", "primary": v, "format_valid": v, "n": 10}
            for task, v in (("create_agile_user_story", n / 56), ("design_restful_api", n / 112))
        }
        for n in (0, 28, 56)
    }
    out = tmp_path / "curve.png"

    curve.plot({"params": {"default_max_steps": 56}, "points": points}, out)

    with Image.open(out) as image:
        assert image.format == "PNG"
        width, height = image.size
        colours = len(set(image.convert("RGB").getdata()))
    assert width > 800 and height > 300
    assert colours > 20  # lines and text drawn, not an empty canvas


def test_the_shipped_curve_has_the_base_and_the_default_for_every_task():
    data = SCRIPT.parents[1] / "docs" / "learning-curve.json"
    curve = json.loads(data.read_text())
    default = str(curve["params"]["default_max_steps"])

    assert {"0", default} <= set(curve["points"])
    for point in curve["points"].values():
        tasks = {t for t in point if not t.startswith("_")}
        assert len(tasks) == 6
        assert all(0.0 <= point[t]["format_valid"] <= 1.0 for t in tasks)
