"""The bundle's figures: a loss curve and per-task bars that actually draw something."""

from __future__ import annotations

from PIL import Image

from tasks.export.figures import LOSS_PNG, METRICS_PNG, loss_curve, write_figures


def details(tasks: dict[str, tuple[float, float]]) -> dict:
    comparisons = {
        t: {"before": b, "after": a, "delta": a - b, "low": a - b - 0.1, "high": a - b + 0.1}
        for t, (b, a) in tasks.items()
    }
    tuned = {t: {"primary_metric": "format_valid"} for t in tasks} | {"overall": {}}
    return {"comparisons": {"base": comparisons}, "tuned": tuned}


def coloured_pixels(path, rgb: tuple[int, int, int], tolerance: int = 40) -> int:
    image = Image.open(path).convert("RGB")
    return sum(
        all(abs(c - r) <= tolerance for c, r in zip(pixel, rgb, strict=True))
        for pixel in image.getdata()
    )


def test_given_a_loss_log_and_task_metrics_then_both_pngs_are_drawn(tmp_path):
    live = tmp_path / "live"
    log = live / "plots" / "metrics" / "train" / "loss.tsv"
    log.parent.mkdir(parents=True)
    log.write_text("step\tloss\n" + "".join(f"{s}\t{2.0 / (s + 1)}\n" for s in range(20)))
    bundle = tmp_path / "bundle"
    bundle.mkdir()

    written = write_figures(bundle, live, details({"a": (0.0, 0.6), "b": (0.1, 0.9)}))

    assert written == [LOSS_PNG, METRICS_PNG]
    assert loss_curve(live)[:2] == [(0, 2.0), (1, 1.0)]
    assert coloured_pixels(bundle / LOSS_PNG, (31, 119, 180)) > 200  # the curve
    assert coloured_pixels(bundle / METRICS_PNG, (44, 160, 44)) > 2000  # the tuned bars
    assert coloured_pixels(bundle / METRICS_PNG, (187, 187, 187), 8) > 200  # the base bars


def test_given_a_kept_adapter_without_a_loss_log_then_only_the_bars_are_drawn(tmp_path):
    assert write_figures(tmp_path, tmp_path / "missing", details({"a": (0.0, 0.5)})) == [
        METRICS_PNG
    ]
