"""Step 1 over the running interpreter's standard library, against a parse-only floor.

    python benchmarks/identify_assets.py [--params params.yaml] [--workers N]

Copies the standard library (without site-packages and __pycache__) to a temporary folder and
measures, in the same run:

- floor: read every .py file and `ast.parse` it, nothing else, in one process;
- step 1, full: `scan_source` (list, read, hash, decode, classify, filter, scrub, parse every
  kept Python file with ast, MinHash) on every file with an empty result cache, then the merge
  (exact and near-duplicate clustering, the three output tables); params from params.yaml;
- step 1, rerun: the same after appending one line to one file (warm cache), RERUNS times, so
  that one unlucky moment on a shared machine does not decide the figure.

It prints files/s and MB/s, the ratio of the full run to the floor (target: at most 3x) and the
median rerun as a share of the full run (target: at most 5 %).
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import shutil
import sys
import sysconfig
import tempfile
import time
import warnings
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tasks.identify_assets import __main__ as merge  # noqa: E402
from tasks.identify_assets import scan  # noqa: E402
from tasks.io import read_parquet  # noqa: E402

SKIPPED = ("site-packages", "__pycache__")
TOUCHED = "json/encoder.py"
RERUNS = 3


def parse_floor(root: Path) -> tuple[float, int, int]:
    """Seconds to read and ast.parse every .py file under root; files and bytes."""
    files = sorted(root.rglob("*.py"))
    total = 0
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for path in files:
            data = path.read_bytes()
            total += len(data)
            with contextlib.suppress(SyntaxError, ValueError):
                ast.parse(data)
    return time.perf_counter() - start, len(files), total


def step_one(params_path: Path) -> tuple[float, float]:
    """Seconds for the scan stage and for the merge stage, run as their main() functions."""
    start = time.perf_counter()
    scan.main(["stdlib", "--params", str(params_path)])
    scanned = time.perf_counter()
    merge.main(["--params", str(params_path)])
    return scanned - start, time.perf_counter() - scanned


def write_params(base: Path, work: Path, workers: int | None) -> Path:
    """A copy of the params that scans the copied standard library into `work`."""
    params = yaml.safe_load(base.read_text(encoding="utf-8"))
    step = params["identify_assets"]
    step["sources"] = {"stdlib": {"type": "dir", "path": str(work / "stdlib")}}
    for key in ("scan_dir", "inventory", "contents", "rejects", "cache_dir"):
        step[key] = str(work / "out" / Path(step[key]).name)
    if workers is not None:
        step["workers"] = workers
    path = work / "params.yaml"
    path.write_text(yaml.safe_dump(params, sort_keys=False), encoding="utf-8")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--params", default="params.yaml", type=Path)
    parser.add_argument("--workers", type=int, help="override identify_assets.workers")
    args = parser.parse_args()
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    with tempfile.TemporaryDirectory(prefix="bench-identify-") as tmp:
        work = Path(tmp)
        ignored = shutil.ignore_patterns(*SKIPPED)
        shutil.copytree(stdlib, work / "stdlib", symlinks=True, ignore=ignored)
        params_path = write_params(args.params, work, args.workers)
        workers = yaml.safe_load(params_path.read_text())["identify_assets"]["workers"]
        floor, py_files, py_bytes = parse_floor(work / "stdlib")
        full_parts = step_one(params_path)
        inventory = read_parquet(work / "out" / "inventory.parquet")
        reruns = []
        for _ in range(RERUNS):
            with (work / "stdlib" / TOUCHED).open("a", encoding="utf-8") as fh:
                fh.write("# touched by the benchmark\n")
            reruns.append(step_one(params_path))
    full = sum(full_parts)
    rerun_parts = sorted(reruns, key=sum)[RERUNS // 2]  # the median rerun
    rerun = sum(rerun_parts)
    scanned = len(inventory)
    size = int(inventory.loc[inventory["sha256"].notna(), "bytes"].sum())  # bytes actually read
    kept = int((inventory["status"] == "kept").sum())
    print()
    print(f"standard library: {stdlib} (python {sys.version.split()[0]})")
    print(
        f"  {scanned} files scanned, {size / 1e6:.1f} MB read (larger files are never read);"
        f" {kept} kept"
    )
    print(
        f"floor (read + ast.parse, 1 process): {py_files} .py files, {py_bytes / 1e6:.1f} MB,"
        f" {floor:.2f} s, {py_files / floor:.0f} files/s, {py_bytes / 1e6 / floor:.1f} MB/s"
    )
    print(
        f"step 1, full run ({workers} workers, 0 = one per CPU): "
        f"{full:.2f} s, {scanned / full:.0f} files/s, {size / 1e6 / full:.1f} MB/s"
    )
    print(f"  ratio to the floor: {full / floor:.2f}x (target <= 3x)")
    print(
        f"step 1, rerun after touching {TOUCHED} (median of {RERUNS}): {rerun:.2f} s = "
        f"{100 * rerun / full:.1f} % of the full run (target <= 5 %); every rerun: "
        + ", ".join(f"{100 * sum(parts) / full:.1f} %" for parts in reruns)
    )
    for name, parts in (("full run", full_parts), ("median rerun", rerun_parts)):
        print(f"  {name}: scan stage {parts[0]:.2f} s, merge stage {parts[1]:.2f} s")


if __name__ == "__main__":
    main()
