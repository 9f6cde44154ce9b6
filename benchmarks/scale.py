"""Steps 1-2 over many small git repositories: the local executor against a Dask cluster.

    python benchmarks/scale.py [--small] [--repos N] [--params params.yaml] [--doc docs/scale.md]

Generates, in a temporary folder, --repos git repositories (1,000; 40 with --small) from the
running interpreter's standard library (.py files up to 64 KB, 16-32 per repository, each made
unique by a first comment line, so that no file's result comes from the cache by content) and
the shipped samples (each file in one repository): over 200 MB for the full run. Then, in the
same run on the same machine, it scans every repository as its own source, outputs written (what
the `scan_source@<repo>` stages do), each time with an empty result cache:

- local: the local executor, `identify_assets.workers` forked processes; the driver reads;
- cluster: a dask.distributed LocalCluster of as many single-threaded worker processes on
  127.0.0.1, whose workers read the blobs from the repositories themselves.

Then it merges the scans (the `identify_assets` stage) and builds the dataset from the kept
assets (step 2's build) in this process and with the cluster's workers parsing, validating and
counting tokens.

It prints files/s and MB/s of both scans, CPU seconds per file of the driver and of the
workers, the ratio of the cluster's time to the local pool's (target: at most 1.3x), whether
both wrote the same bytes, step 2's assets/s both ways with its phases, and writes --doc: the
measured figures and a projection for 10,000 repositories / 1 TB on N workers.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tasks.identify_assets import scan  # noqa: E402
from tasks.identify_assets.cache import ResultCache  # noqa: E402
from tasks.io import read_parquet  # noqa: E402
from tasks.params import load_params  # noqa: E402

MAX_STDLIB_FILE = 64_000
FILES_PER_REPO = (16, 32)
TARGET = {"repos": 10_000, "bytes": 1e12}
PROJECTED_WORKERS = (2, 8, 32, 128, 512)
GIT = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid"]


def _stdlib() -> tuple[Path, list[Path]]:
    """The standard library's folder and its .py files of at most MAX_STDLIB_FILE bytes."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    pool = sorted(
        p
        for p in stdlib.rglob("*.py")
        if not {"site-packages", "__pycache__"} & set(p.parts)
        and p.stat().st_size <= MAX_STDLIB_FILE
    )
    return stdlib, pool


def _add(repo: Path, rel: Path, data: bytes) -> None:
    (repo / rel).parent.mkdir(parents=True, exist_ok=True)
    (repo / rel).write_bytes(data)


def _commit(repo: Path) -> Path:
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "corpus"]):
        subprocess.run([*GIT, "-C", str(repo), *args], check=True, capture_output=True)
    return repo


def make_corpus(root: Path, repos: int, seed: int = 0) -> list[Path]:
    """`repos` git repositories of standard library files and samples under `root`."""
    stdlib, pool = _stdlib()
    samples = sorted(p for p in (REPO / "samples").rglob("*") if p.is_file())
    rng = random.Random(seed)
    made = []
    for r in range(repos):
        repo = root / f"repo{r:05d}"
        for path in rng.sample(pool, rng.randint(*FILES_PER_REPO)):
            rel = path.relative_to(stdlib)
            _add(repo, "src" / rel, f"# {repo.name}/{rel}\n".encode() + path.read_bytes())
        for path in samples[r::repos]:
            _add(repo, "samples" / path.relative_to(REPO / "samples"), path.read_bytes())
        made.append(_commit(repo))
    return made


def make_large_repo(root: Path, files: int) -> Path:
    """One repository of `files` standard library files: the driver's cost per file alone."""
    stdlib, pool = _stdlib()
    for path in pool[:files]:
        rel = path.relative_to(stdlib)
        _add(root, "src" / rel, f"# large/{rel}\n".encode() + path.read_bytes())
    return _commit(root)


def write_params(base: Path, work: Path, repos: list[Path]) -> Path:
    """A copy of the params whose sources are the generated repositories."""
    params = yaml.safe_load(base.read_text(encoding="utf-8"))
    step = params["identify_assets"]
    step["sources"] = {repo.name: {"type": "git", "path": str(repo)} for repo in repos}
    work.mkdir(parents=True, exist_ok=True)
    path = work / "params.yaml"
    path.write_text(yaml.safe_dump(params, sort_keys=False), encoding="utf-8")
    return path


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _own_cpu() -> float:
    """This process's CPU seconds and those of its finished children (a cluster worker's git)."""
    import psutil

    times = psutil.Process().cpu_times()
    return times.user + times.system + times.children_user + times.children_system


def _warm_up() -> str:
    import transformers  # noqa: F401 - step 2's tokenizer, sent to the workers, needs it

    from tasks.build_dataset import assets, filters  # noqa: F401 - step 2's parts
    from tasks.identify_assets import worker  # noqa: F401 - imports what every task needs
    from tasks.identify_assets.process import _code_version

    return _code_version()


@dataclass
class Run:
    wall: float
    driver_cpu: float  # the driver (and an in-process scheduler) and the git it starts
    worker_cpu: float  # the pool's or the cluster's worker processes
    files: int  # scanned
    processed: int  # of them: not from the cache


def scan_all(params_path: Path, out: Path, client=None) -> Run:
    """Scan every source of the params into `out`, as the scan stages do, with an empty cache."""
    step = load_params(params_path).identify_assets
    cache = ResultCache(out / "cache")
    workers_before = sum(client.run(_own_cpu).values()) if client else 0.0
    cpu, children, start = time.process_time(), _children_cpu(), time.perf_counter()
    files = processed = 0
    for name in step.sources:
        scanned, stats = scan.scan_source(name, step, cache, client)
        scan.write_scan(out / "sources" / name, scanned)
        files, processed = files + len(scanned), processed + stats.processed
    wall = time.perf_counter() - start
    cache.close()
    children = _children_cpu() - children  # the local pool (reaped per source) and git
    driver = time.process_time() - cpu
    if client:
        workers = sum(client.run(_own_cpu).values()) - workers_before
        return Run(wall, driver + children, workers, files, processed)
    return Run(
        wall, driver, children, files, processed
    )  # git's CPU counts with the pool's: see the doc


def stage_start_seconds() -> float:
    """Median wall time of starting the scan stage's interpreter with its imports."""
    code = "import tasks.identify_assets.scan, dask.distributed"
    times = []
    for _ in range(3):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def same_outputs(a: Path, b: Path) -> tuple[int, int]:
    """(files compared, files whose bytes differ) between two scan output folders."""
    files = sorted(p.relative_to(a) for p in a.rglob("*.parquet"))
    return len(files), sum((a / f).read_bytes() != (b / f).read_bytes() for f in files)


@dataclass
class BuildRun:
    wall: float
    driver_cpu: float  # the driver and an in-process scheduler
    worker_cpu: float  # the cluster's workers (0 locally: the driver does all)
    phases: dict[str, float]  # wall seconds per phase of build()
    records: object  # the records and rejects frames, compared between the executors
    rejects: object


def merged_contents(params_path: Path, scan_dir: Path, out: Path):
    """The identify_assets merge of the scans in `scan_dir`: contents.parquet, read back."""
    from tasks.identify_assets.__main__ import merge_sources
    from tasks.identify_assets.scan import CONTENT_WRITE_OPTIONS
    from tasks.io import write_parquet

    step = load_params(params_path).identify_assets.model_copy(update={"scan_dir": str(scan_dir)})
    _, contents = merge_sources(step, str(params_path))
    out.mkdir(parents=True, exist_ok=True)
    write_parquet(out / "contents.parquet", contents, **CONTENT_WRITE_OPTIONS)
    return read_parquet(out / "contents.parquet")


def build_all(params_path: Path, contents, client=None) -> BuildRun:
    """Step 2's build() over the merged contents, in this process or with the cluster's parts."""
    from transformers import AutoTokenizer

    from tasks.base_model import provision
    from tasks.build_dataset.__main__ import build
    from tasks.build_dataset.filters import token_counter
    from tasks.executor import parts_of

    params = load_params(params_path)
    model_dir = provision(params.base_model)["path"]  # converted once per machine, as make run
    counter = token_counter(AutoTokenizer.from_pretrained(model_dir), params.prompt.system)
    workers_before = sum(client.run(_own_cpu).values()) if client else 0.0
    cpu, start, phases = time.process_time(), time.perf_counter(), {}
    records, rejects, _ = build(
        contents, [], params.build_dataset, counter, phases, parts=parts_of(client)
    )
    wall, driver = time.perf_counter() - start, time.process_time() - cpu
    workers = sum(client.run(_own_cpu).values()) - workers_before if client else 0.0
    return BuildRun(wall, driver, workers, phases, records, rejects)


def hours(seconds: float) -> str:
    return f"{seconds / 3600:.1f} h" if seconds >= 3600 else f"{seconds / 60:.0f} min"


def projection(measured: dict, stage_start: float) -> list[dict]:
    """Wall time for TARGET on N workers from the per-file figures (see docs/scale.md)."""
    files = TARGET["bytes"] / measured["mean_file_bytes"]
    driver = TARGET["repos"] * measured["driver_cpu_per_source"]
    driver += files * measured["driver_cpu_per_file"]
    starts = TARGET["repos"] * stage_start
    rows = []
    for n in PROJECTED_WORKERS:
        workers = files * measured["worker_cpu_per_file"] / n
        rows.append(
            {"n": n, "workers": workers, "driver": driver, "starts": starts,
             "total": starts + max(workers, driver)}
        )  # fmt: skip
    return rows


def _phases(phases: dict[str, float]) -> str:
    return ", ".join(f"{name} {seconds:.1f} s" for name, seconds in phases.items())


def write_doc(path: Path, facts: dict, rows: list[dict]) -> None:
    m = facts
    table = "\n".join(
        f"| {r['n']} | {hours(r['workers'])} | {hours(r['driver'])} | {hours(r['starts'])} |"
        f" {hours(r['total'])} |"
        for r in rows
    )
    measured = "\n".join(
        f"| {name} | {m[f'{key}_wall']:.1f} s | {m[f'{key}_fps']:.0f} | {m[f'{key}_mbps']:.1f} |"
        f" {driver:.2f} ms | {worker:.2f} ms |"
        for name, key, driver, worker in (
            (f"local: {m['workers']} forked processes, the driver reads", "local",
             m["local_driver_ms"], 1000 * m["local_worker_cpu_per_file"]),
            (f"Dask LocalCluster: {m['workers']} workers x 1 thread, workers read", "cluster",
             m["cluster_driver_ms"], 1000 * m["worker_cpu_per_file"]),
        )
    )  # fmt: skip
    files_1tb = TARGET["bytes"] / m["mean_file_bytes"]
    per_file = m["driver_cpu_per_file"] + m["driver_cpu_per_source"] * TARGET["repos"] / files_1tb
    crossover = m["worker_cpu_per_file"] / per_file
    build_table = (
        f"| local: this process | {m['build_local_wall']:.1f} s | {m['build_local_aps']:.0f} |"
        f" {m['build_local_ms']:.2f} ms | - |\n"
        f"| Dask LocalCluster: {m['workers']} workers x 1 thread |"
        f" {m['build_cluster_wall']:.1f} s | {m['build_cluster_aps']:.0f} |"
        f" {m['build_driver_ms']:.2f} ms | {m['build_worker_ms']:.2f} ms |"
    )
    text = TEMPLATE.format(
        **m,
        build_table=build_table,
        table=table,
        measured=measured,
        files_1tb=f"{files_1tb / 1e6:.0f} million",
        crossover=f"{crossover:.0f}",
        driver_file_ms=1000 * m["driver_cpu_per_file"],
        driver_source_ms=1000 * m["driver_cpu_per_source"],
    )
    path.write_text(text, encoding="utf-8")


TEMPLATE = """\
# Scale: steps 1 and 2 on a Dask cluster, measured

Written by `python benchmarks/scale.py{mode_flag}` on {date}: {cpus} CPUs, Python {python},
dask {dask}. Rerun it to refresh every figure here; nothing below is typed by hand.

## What was measured

{repos:,} git repositories generated from the standard library and `samples/`
({files:,} files, {mb:.0f} MB read, mean {mean_file_bytes:,.0f} bytes per read file), each
scanned as its own source with its outputs written, as the `scan_source@<repo>` stages do, in
the same run, each with an empty result cache:

| executor | wall | files/s | MB/s | driver CPU per file | worker CPU per file |
|---|---|---|---|---|---|
{measured}

- Scheduler overhead: the cluster took **{ratio:.2f}x** the local pool's time on the same
  {workers} cores (target: at most 1.3x). Outputs byte-identical: {identical}.
- Starting the cluster and importing steps 1-2 on its workers: {cluster_start:.1f} s, once per
  run (`executor.address: ""`), never with a long-running cluster.
- Starting one scan stage's interpreter with its imports: {stage_start:.2f} s.
- The local pool's worker CPU includes the git processes its driver starts (they are children
  of the same process); on the cluster, git runs on the workers and is counted there.

## Projection: 10,000 repositories / 1 TB

With the measured figures, 1 TB is {files_1tb} files of the mean size above. The driver's
cost is split into {driver_source_ms:.1f} ms per source (listing, three Parquet files, task
round trips) and {driver_file_ms:.2f} ms per file, the latter measured on one repository of
{large_files:,} files on the same cluster. On N single-threaded workers, one scan stage per
repository, run one after another by `dvc repro`:

    total(N) = repositories x stage start
               + max(files x worker CPU per file / N,
                     repositories x driver CPU per source + files x driver CPU per file)

The driver lists, looks up the cache, builds rows and writes Parquet while the workers read and
process (at most 4 tasks per worker thread in flight), so the two overlap and the slower one
decides; the driver's share includes the scheduler here (LocalCluster runs it in the driver's
process). Past about N = {crossover} workers the driver, not the cluster, is the limit: one
`dvc repro` runs the scan stages one after another in one checkout, so going further needs
several drivers at once (groups of sources scanned in separate checkouts that push their
outputs to the DVC remote, then one merge), which the pipeline does not do yet.

| workers N | workers' part | driver's part | stage starts | total |
|---|---|---|---|---|
{table}

## Step 2 on the cluster

The `identify_assets` merge of those scans keeps {assets:,} assets (exact and near-duplicates
removed); `build_dataset` turns them into {n_records:,} records, in the same run:

| executor | wall | assets/s | driver CPU per asset | worker CPU per asset |
|---|---|---|---|---|
{build_table}

- The cluster built the dataset **{build_speedup:.2f}x** as fast as the local executor (one
  process; step 2 has no local pool). Same records and rejects: {build_identical}.
- Phases (wall), local: {build_phases_local}.
- Phases (wall), cluster: {build_phases_cluster}.
- Parsing (per asset), validation and token counting (per candidate) run on the workers, in
  parts sent with their text (the driver holds `contents.parquet`, a DVC output; a part is a
  few hundred KB). Rendering (which joins specs, controllers and stories across assets),
  de-duplication, the split and decontamination stay on the driver: {build_serial_ms:.2f} ms
  per asset here, the part more workers do not shorten: about {build_serial_min:.0f} minutes
  per million kept assets, whatever N is.

## What the projection leaves out

- Read bandwidth: a worker reads from the git object store (a shared, read-only volume) or S3;
  at 1 TB a 10 Gbit/s link moves about 1 TB in 15 minutes, an S3 prefix more with many workers,
  so reading is not the limit in the table above, but a shared NFS volume can be.
- The merge (`identify_assets`: exact and near-duplicate clustering over every source) runs in
  one process after the scans; it was not part of this measurement
  (`benchmarks/identify_assets.py` measures it on the standard library).
- Small repositories make the per-source costs (stage start, listing, three Parquet files)
  weigh more: at 100 MB per repository they are a smaller share than here.
- A rerun after a change costs the listing of every source and the changed files only: the
  result cache and the listing fingerprints (git blob ids) work the same on the cluster.
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--small", action="store_true", help="40 repositories: a quick run")
    parser.add_argument("--repos", type=int, help="repositories to generate (default 1000)")
    parser.add_argument("--params", default=REPO / "params.yaml", type=Path)
    parser.add_argument("--doc", default=REPO / "docs" / "scale.md", type=Path)
    args = parser.parse_args()
    repos = args.repos or (40 if args.small else 1000)
    import dask

    from tasks.executor import local_cluster

    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        work = Path(tmp)
        start = time.perf_counter()
        corpus = make_corpus(work / "repos", repos)
        large = make_large_repo(work / "large" / "repo", 400 if args.small else len(_stdlib()[1]))
        print(f"generated {repos + 1} git repositories in {time.perf_counter() - start:.0f} s")
        params_path = write_params(args.params, work, corpus)
        large_params = write_params(args.params, work / "large", [large])
        workers = load_params(params_path).identify_assets.workers or os.cpu_count() or 1
        local = scan_all(params_path, work / "local")
        start = time.perf_counter()
        with local_cluster(workers) as client:
            client.run(_warm_up)
            cluster_start = time.perf_counter() - start
            remote = scan_all(params_path, work / "cluster", client)
            big = scan_all(large_params, work / "cluster-large", client)
            contents = merged_contents(params_path, work / "local" / "sources", work / "merged")
            build_remote = build_all(params_path, contents, client)
        build_local = build_all(params_path, contents)
        compared, differing = same_outputs(work / "local" / "sources", work / "cluster" / "sources")
        inventories = [
            read_parquet(p)
            for p in sorted((work / "cluster" / "sources").glob("*/inventory.parquet"))
        ]
        read = [inv.loc[inv["sha256"].notna(), "bytes"] for inv in inventories]
        files = sum(len(inv) for inv in inventories)
        read_files, read_bytes = sum(len(r) for r in read), sum(int(r.sum()) for r in read)
        stage_start = stage_start_seconds()
    facts = {
        "mode_flag": " --small" if args.small else ("" if repos == 1000 else f" --repos {repos}"),
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "dask": dask.__version__,
        "repos": repos,
        "files": files,
        "mb": read_bytes / 1e6,
        "mean_file_bytes": read_bytes / read_files,
        "workers": workers,
        "local_wall": local.wall,
        "cluster_wall": remote.wall,
        "local_fps": files / local.wall,
        "cluster_fps": files / remote.wall,
        "local_mbps": read_bytes / 1e6 / local.wall,
        "cluster_mbps": read_bytes / 1e6 / remote.wall,
        "local_driver_ms": 1000 * local.driver_cpu / files,
        "local_worker_cpu_per_file": local.worker_cpu / max(1, local.processed),
        "worker_cpu_per_file": remote.worker_cpu / max(1, remote.processed),
        "cluster_driver_ms": 1000 * remote.driver_cpu / files,
        "large_files": big.files,
        "driver_cpu_per_file": big.driver_cpu / big.files,
        "driver_cpu_per_source": max(0.0, remote.driver_cpu - files * big.driver_cpu / big.files)
        / repos,
        "ratio": remote.wall / local.wall,
        "identical": "yes" if not differing else f"NO ({differing} of {compared} files differ)",
        "cluster_start": cluster_start,
        "stage_start": stage_start,
    }
    assets, n_records = len(contents), len(build_local.records)
    same_build = build_local.records.equals(build_remote.records) and build_local.rejects.equals(
        build_remote.rejects
    )
    driver_phases = sum(build_remote.phases.get(k, 0.0) for k in ("render", "teacher", "split"))
    facts |= {
        "assets": assets,
        "n_records": n_records,
        "build_local_wall": build_local.wall,
        "build_cluster_wall": build_remote.wall,
        "build_local_aps": assets / build_local.wall,
        "build_cluster_aps": assets / build_remote.wall,
        "build_local_ms": 1000 * build_local.driver_cpu / assets,
        "build_driver_ms": 1000 * build_remote.driver_cpu / assets,
        "build_worker_ms": 1000 * build_remote.worker_cpu / assets,
        "build_serial_ms": 1000 * driver_phases / assets,
        "build_serial_min": 1e6 * driver_phases / assets / 60,
        "build_speedup": build_local.wall / build_remote.wall,
        "build_identical": "yes" if same_build else "NO",
        "build_phases_local": _phases(build_local.phases),
        "build_phases_cluster": _phases(build_remote.phases),
    }
    rows = projection(facts, stage_start)
    print()
    print(
        f"corpus: {repos} repositories, {files} files, {read_bytes / 1e6:.1f} MB read,"
        f" mean {read_bytes / read_files:.0f} bytes per read file"
    )
    for name, run in (("local pool", local), ("dask cluster", remote)):
        print(
            f"{name} ({workers} workers): {run.wall:.2f} s, {files / run.wall:.0f} files/s,"
            f" {read_bytes / 1e6 / run.wall:.1f} MB/s; per file: driver CPU"
            f" {1000 * run.driver_cpu / files:.2f} ms, worker CPU"
            f" {1000 * run.worker_cpu / max(1, run.processed):.2f} ms"
        )
    print(f"  scheduler overhead: cluster / local = {facts['ratio']:.2f}x (target <= 1.3x)")
    print(f"  outputs byte-identical ({compared} Parquet files): {facts['identical']}")
    print(f"  cluster start + warm-up {cluster_start:.1f} s; scan stage start {stage_start:.2f} s")
    print(
        f"step 2 over the merged contents ({assets} assets -> {n_records} records):"
        f" local (one process) {build_local.wall:.1f} s, {facts['build_local_aps']:.0f} assets/s;"
        f" cluster ({workers} workers) {build_remote.wall:.1f} s,"
        f" {facts['build_cluster_aps']:.0f} assets/s; local / cluster ="
        f" {facts['build_speedup']:.2f}x; same records and rejects: {facts['build_identical']}"
    )
    print(f"  phases, local: {facts['build_phases_local']}")
    print(f"  phases, cluster: {facts['build_phases_cluster']}")
    print("projection, 10,000 repositories / 1 TB:")
    for r in rows:
        print(
            f"  {r['n']:>4} workers: workers {hours(r['workers'])}, driver {hours(r['driver'])},"
            f" stage starts {hours(r['starts'])} -> {hours(r['total'])}"
        )
    write_doc(args.doc, facts, rows)
    print(f"wrote {args.doc}")


if __name__ == "__main__":
    main()
