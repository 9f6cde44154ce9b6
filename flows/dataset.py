"""Steps 1-2 and their gates in one command: `python -m flows.dataset [--params FILE]`.

The stages are dvc.yaml's, in its DAG order, up to the dataset gate: base_model, one
scan_source@<name> per asset source, identify_assets, gate_assets, ingest_feedback,
gate_feedback, build_dataset, gate_dataset. Every prerequisite of step 2 runs, so nothing is
left for the user to run first.

- With params.yaml (the default) each stage runs through DVC (`dvc repro --single-item`), so
  unchanged stages are skipped and the outputs are versioned exactly as by
  `dvc repro gate_dataset`.
- DVC reads no other params file, so with `--params FILE` the same stages' commands (taken from
  dvc.yaml, scan_source once per source FILE lists) run directly with `--params FILE`, in the
  same order. Paths in FILE are relative to the repository root, like params.yaml's.

Before any stage runs, the params are validated and every asset source and feedback folder is
checked to exist; a failing stage stops the run with its own message (a gate's names each
expectation, task and threshold it missed).
"""

from __future__ import annotations

import argparse
import logging
import shlex
import sys
from pathlib import Path

import yaml

import tasks  # noqa: F401 - sets the offline / no-telemetry environment first
from flows.stages import (
    StageFailed,
    command_env,
    last_error,
    reproduce,
    run_logged,
    stages_up_to,
)
from tasks.params import DEFAULT_PARAMS, Params, ParamsError, load_params

TARGET = "gate_dataset"
SCAN = "scan_source"


class DatasetRunFailed(RuntimeError):
    """A check before the stages, or a stage, failed; the message says what and how to fix it."""


def direct_commands(repo: Path, params: Params, params_file: Path) -> list[tuple[str, list[str]]]:
    """(stage, argv) for each stage up to the target, scan_source once per source in `params`.

    The commands are dvc.yaml's; `python` is this interpreter and `--params FILE` is added.
    """
    definitions = yaml.safe_load((repo / "dvc.yaml").read_text(encoding="utf-8"))["stages"]
    commands: list[tuple[str, list[str]]] = []
    for stage in stages_up_to(repo, TARGET):
        name = stage.split("@")[0]
        if name == SCAN:
            if any(done.startswith(f"{SCAN}@") for done, _ in commands):
                continue  # every source of `params`, at the first scan stage's place
            template = definitions[SCAN]["do"]["cmd"]
            entries = [(f"{SCAN}@{key}", template.replace("${key}", key))
                       for key in sorted(params.identify_assets.sources)]  # fmt: skip
        else:
            entries = [(stage, definitions[name]["cmd"])]
        for address, cmd in entries:
            if "${" in cmd:
                raise DatasetRunFailed(f"stage {address}: cannot run `{cmd}` outside DVC")
            argv = shlex.split(cmd)
            if argv[0] == "python":
                argv[0] = sys.executable
            commands.append((address, [*argv, "--params", str(params_file)]))
    return commands


def preflight(repo: Path, params: Params, params_file: Path) -> list[str]:
    """Problems to fix before any stage runs, each naming the params key; notes to print."""
    problems, notes = [], []
    for name, source in params.identify_assets.sources.items():
        if source.type in {"dir", "git"} and not (repo / Path(source.path).expanduser()).exists():
            problems.append(
                f"identify_assets.sources.{name}.path: {source.path} does not exist (paths are "
                f"relative to the repository root, {repo})"
            )
    if not params.identify_assets.sources:
        problems.append("identify_assets.sources is empty: list at least one asset source")
    from tasks.ingest_feedback.sources import skipped_sources

    skipped = skipped_sources(params)
    for name, source in params.ingest_feedback.sources.items():
        if name in skipped:
            notes.append(f"feedback source '{name}' left out: {skipped[name]}")
        elif source.type == "dir" and not source.optional and not (repo / source.path).is_dir():
            problems.append(
                f"ingest_feedback.sources.{name}.path: folder {source.path} does not exist "
                "(create it, set `optional: true`, or remove the source)"
            )
    if problems:
        raise DatasetRunFailed(
            f"{params_file}: fix these before any stage runs:\n"
            + "\n".join(f"  {p}" for p in problems)
        )
    return notes


def _printer() -> logging.Logger:
    logger = logging.getLogger("flows.dataset")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("  %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    return logger


def run_direct(repo: Path, commands: list[tuple[str, list[str]]], rerun: str) -> None:
    """Run each stage's command in the repository root; stop at the first that fails."""
    logger = _printer()
    for stage, argv in commands:
        print(f"stage {stage}: {shlex.join(['python', *argv[1:]])}", flush=True)
        code, lines = run_logged(argv, repo, command_env(), logger)
        if code != 0:
            raise DatasetRunFailed(f"stage {stage} failed (exit {code}): {last_error(lines)}\n"
                                   f"fix it and rerun `{rerun}`")  # fmt: skip


def run_dvc(repo: Path, rerun: str) -> None:
    """Reproduce each stage up to the target through DVC, in DAG order."""
    logger = _printer()
    for stage in stages_up_to(repo, TARGET):
        print(f"stage {stage}: dvc repro --single-item {stage}", flush=True)
        try:
            reproduce(repo, stage, logger)
        except StageFailed as exc:
            raise DatasetRunFailed(f"{exc}\nfix it and rerun `{rerun}`") from None


def summary(repo: Path, params: Params) -> str:
    """Records per task and split, as the dataset gate passed them."""
    import pandas as pd

    records = pd.read_parquet(repo / params.build_dataset.records, columns=["task", "split"])
    counts = records.groupby(["task", "split"]).size().unstack(fill_value=0)
    return (
        f"steps 1-2 done, every gate passed: {len(records)} records in "
        f"{params.build_dataset.train} and {params.build_dataset.eval}\n{counts.to_string()}"
    )


def dataset(repo_dir: str | Path = ".", params_path: str | Path | None = None) -> str:
    """Run steps 1-2 and their gates on the repository's params (or `params_path`)."""
    repo = Path(repo_dir).resolve()
    default = repo / DEFAULT_PARAMS
    params_file = Path(params_path).resolve() if params_path else default
    via_dvc = params_file == default
    try:
        params = load_params(params_file)
    except ParamsError as exc:
        raise DatasetRunFailed(str(exc)) from None
    rerun = "python -m flows.dataset" + ("" if via_dvc else f" --params {params_path}")
    for note in preflight(repo, params, params_file):
        print(note)
    if via_dvc:
        run_dvc(repo, rerun)
    else:
        print(f"running the stages directly with --params {params_file} (DVC reads only "
              "params.yaml: put these params there to version the run)")  # fmt: skip
        run_direct(repo, direct_commands(repo, params, params_file), rerun)
    return summary(repo, params)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Steps 1-2 and their gates (identify assets, "
                                     "build the dataset) up to the dataset gate.")  # fmt: skip
    parser.add_argument("--params", help="params file (default: the repository's params.yaml, "
                        "run through DVC)")  # fmt: skip
    parser.add_argument("--repo", default=".", help="repository with dvc.yaml (default: .)")
    args = parser.parse_args(argv)
    try:
        print(dataset(args.repo, args.params))
    except DatasetRunFailed as exc:
        print(f"\ndataset run failed: {exc}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
