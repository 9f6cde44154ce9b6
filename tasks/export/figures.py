"""Two figures for people who look rather than read, written into the bundle and shown by its
model card: the training loss per step (the round's DVCLive log) and, per task, the primary
metric of base and tuned with the tuned - base interval (evaluate's details)."""

from __future__ import annotations

import csv
from pathlib import Path

LOSS_PNG = "loss.png"
METRICS_PNG = "metrics.png"


def loss_curve(live_dir: str | Path) -> list[tuple[int, float]]:
    """(step, loss) from DVCLive's train/loss.tsv; empty when the round logged none (a kept
    promoted adapter)."""
    path = Path(live_dir) / "plots" / "metrics" / "train" / "loss.tsv"
    if not path.is_file():
        return []
    with path.open(newline="") as handle:
        return [
            (int(row["step"]), float(row["loss"])) for row in csv.DictReader(handle, delimiter="\t")
        ]


def write_figures(bundle: Path, live_dir: str | Path, metrics: dict) -> list[str]:
    """The PNGs written into `bundle` (file names), drawn headless with matplotlib's Agg."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    if curve := loss_curve(live_dir):
        fig, ax = plt.subplots(figsize=(6, 3.2), dpi=100)
        ax.plot([s for s, _ in curve], [v for _, v in curve], color="#1f77b4", linewidth=1.2)
        ax.set(title="LoRA training loss (answer tokens)", xlabel="step", ylabel="loss")
        ax.grid(alpha=0.3)
        fig.tight_layout()
        fig.savefig(bundle / LOSS_PNG)
        plt.close(fig)
        written.append(LOSS_PNG)
    against_base = metrics.get("comparisons", {}).get("base", {})
    tasks = [t for t in metrics.get("tuned", {}) if t in against_base]
    if tasks:
        fig, ax = plt.subplots(figsize=(7, 0.5 * len(tasks) + 1.4), dpi=100)
        rows = range(len(tasks))
        base = [against_base[t]["before"] for t in tasks]
        tuned = [against_base[t]["after"] for t in tasks]
        low = [
            against_base[t]["after"] - (against_base[t]["delta"] - against_base[t]["low"])
            for t in tasks
        ]
        high = [
            against_base[t]["after"] + (against_base[t]["high"] - against_base[t]["delta"])
            for t in tasks
        ]
        ax.barh([r + 0.2 for r in rows], base, height=0.4, color="#bbbbbb", label="base")
        ax.barh([r - 0.2 for r in rows], tuned, height=0.4, color="#2ca02c", label="tuned",
                xerr=[[t - lo for t, lo in zip(tuned, low, strict=True)],
                      [hi - t for t, hi in zip(tuned, high, strict=True)]],
                error_kw={"elinewidth": 1, "capsize": 3})  # fmt: skip
        names = [f"{t}\n{metrics['tuned'][t].get('primary_metric', '')}" for t in tasks]
        ax.set_yticks(list(rows), names, fontsize=8)
        ax.invert_yaxis()
        ax.set(xlim=(0, 1.05), xlabel="primary metric (tuned: 95% interval of tuned - base)",
               title="Per task, base vs tuned")  # fmt: skip
        ax.legend(loc="lower right", fontsize=8)
        fig.tight_layout()
        fig.savefig(bundle / METRICS_PNG)
        plt.close(fig)
        written.append(METRICS_PNG)
    return written
