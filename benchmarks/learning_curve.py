"""Learning curve: the default fine-tune at several step counts, one DVC experiment each.

For every step count N > 0 this runs `dvc exp run -n curve-steps-N -S finetune.max_steps=N`
(the real pipeline: finetune, evaluate, export as a candidate - experiments never promote),
so the sweep stays in `dvc exp show` afterwards. Step 0 is the base model, whose scores the
`evaluate_base` stage stores; the default step count is read from the workspace when its
evaluation is up to date. After each experiment the script reads the evaluation's
details (reports/evaluate/details.json); at the end it restores the workspace to HEAD
(`git checkout params.yaml dvc.lock` + `dvc checkout`) and writes

- docs/learning-curve.json: per step count and task, the primary metric and format validity
  (points already there are kept, so a sweep can be extended: `--steps 112`);
- docs/learning-curve.png: both against steps, one line per task.

Needs a finished `make run` (data, base model and HEAD's outputs in the DVC cache) and a clean
params.yaml / dvc.lock. On the 2-core CPU each 56 steps cost about 15 minutes of training.

    python benchmarks/learning_curve.py [--steps 0 28 56 112] [--out docs/learning-curve.png]
    python benchmarks/learning_curve.py --plot-only   # redraw from docs/learning-curve.json
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tasks.params import load_params  # noqa: E402

DVC = [sys.executable, "-m", "dvc"]


def run(cmd: list[str]) -> None:
    print("$", " ".join(cmd[2:] if cmd[:2] == DVC[:2] else cmd), flush=True)
    subprocess.run(cmd, cwd=REPO, check=True)


def clean(paths: list[str]) -> None:
    changed = subprocess.run(
        ["git", "status", "--porcelain", "--", *paths], cwd=REPO, capture_output=True,
        text=True, check=True,
    ).stdout.strip()  # fmt: skip
    if changed:
        sys.exit(f"commit or stash these first, the sweep changes and restores them:\n{changed}")


def scores(model: dict) -> dict:
    """{task: {primary_metric, primary, format_valid, n}} of one model's evaluation."""
    return {
        task: {k: entry.get(k) for k in ("primary_metric", "primary", "format_valid", "n")}
        for task, entry in model.items()
        if task != "overall"
    }


def up_to_date(stage: str) -> bool:
    status = subprocess.run(
        [*DVC, "status", stage, "--json"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout  # fmt: skip
    return json.loads(status or "{}") == {}


def sweep(steps: list[int], params_file: str, curve: dict) -> dict:
    params = load_params(params_file)
    details_path = REPO / params.evaluate.details
    clean(["params.yaml", "dvc.lock"])
    default = params.finetune.max_steps
    curve["params"] = {"default_max_steps": default}
    curve.setdefault("points", {})
    if default in steps and details_path.exists() and up_to_date("evaluate"):
        # The workspace already holds the default's evaluation: no experiment needed.
        details = json.loads(details_path.read_text())
        curve["points"][str(default)] = scores(details["tuned"]) | {"_source": "workspace"}
        curve["points"]["0"] = scores(details["base"])
        steps = [n for n in steps if n != default]
    os.environ.update({"PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DVC_NO_ANALYTICS": "1"})
    try:
        for n in sorted(set(steps)):
            if n == 0:
                continue
            started = time.monotonic()
            run([*DVC, "exp", "run", "-n", f"curve-steps-{n}", "-S", f"finetune.max_steps={n}"])
            details = json.loads(details_path.read_text())
            curve["points"][str(n)] = scores(details["tuned"]) | {
                "_seconds": round(time.monotonic() - started), "_source": f"curve-steps-{n}"
            }  # fmt: skip
            curve["points"].setdefault("0", scores(details["base"]))
            print(f"steps {n}: {json.dumps(curve['points'][str(n)])}", flush=True)
    finally:
        run(["git", "checkout", "--", "params.yaml", "dvc.lock"])
        run([*DVC, "checkout", "--force"])
    return curve


def plot(curve: dict, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    points = {int(n): p for n, p in curve["points"].items()}
    steps = sorted(points)
    tasks = sorted({t for p in points.values() for t in p if not t.startswith("_")})
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
    for ax, key, title in (
        (axes[0], "primary", "primary metric"),
        (axes[1], "format_valid", "format validity"),
    ):
        for task in tasks:
            xs = [s for s in steps if task in points[s]]
            ys = [points[s][task].get(key) or 0.0 for s in xs]
            metric = points[xs[-1]][task]["primary_metric"] if key == "primary" else key
            ax.plot(xs, ys, marker="o", label=f"{task} ({metric})")
        ax.set_title(title)
        ax.set_xlabel("fine-tune steps")
        ax.set_xticks(steps)
        ax.set_ylim(-0.03, 1.03)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("score on the frozen eval set")
    handles, labels = axes[0].get_legend_handles_labels()  # labels name each primary metric
    fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=8, frameon=False)
    fig.suptitle(f"Learning curve (default {curve['params']['default_max_steps']} steps)")
    fig.tight_layout(rect=(0, 0.12, 1, 1))
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    print(f"wrote {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, nargs="+", default=[0, 28, 56, 112])
    parser.add_argument("--params", default="params.yaml")
    parser.add_argument("--out", default="docs/learning-curve.png")
    parser.add_argument("--plot-only", action="store_true")
    args = parser.parse_args()
    out = REPO / args.out
    data = out.with_suffix(".json")
    curve = json.loads(data.read_text()) if data.exists() else {}
    if not args.plot_only:  # points already in the file are kept unless measured again
        curve = sweep(args.steps, args.params, curve)
        data.write_text(json.dumps(curve, indent=2, sort_keys=True) + "\n")
        print(f"wrote {data}")
    plot(curve, out)
    for n in sorted(curve["points"], key=int):
        row = curve["points"][n]
        cells = ", ".join(
            f"{t} {v['primary']:.2f}/{v['format_valid']:.2f}"
            for t, v in sorted(row.items())
            if not t.startswith("_") and v.get("primary") is not None
        )
        print(f"steps {n:>4}: {cells}  (primary/format validity)")


if __name__ == "__main__":
    main()
