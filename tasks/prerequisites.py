"""A step's inputs, and when one is missing, the command that makes it (never a traceback).

Run through DVC (`dvc repro`, `python -m flows.dataset`) every prerequisite runs first; a step
run by hand names what it lacks:

    error: build_dataset needs inputs that do not exist yet:
      data/feedback/records.jsonl (ingested feedback): run `python -m tasks.ingest_feedback`
    or run steps 1-2 and their gates in order: `python -m flows.dataset`
"""

from __future__ import annotations

from pathlib import Path

from tasks.params import DEFAULT_PARAMS, Params


def command(module_and_args: str, params_path: str | Path = DEFAULT_PARAMS) -> str:
    """`python -m <module and args>`, with `--params FILE` unless FILE is params.yaml."""
    params_path = Path(params_path)
    same = params_path.resolve() == DEFAULT_PARAMS.resolve()
    return f"python -m {module_and_args}" + ("" if same else f" --params {params_path}")


def producers(params: Params) -> dict[Path, tuple[str, str]]:
    """Input path -> (what it is, module and arguments of the step that writes it)."""
    assets, feedback = params.identify_assets, params.ingest_feedback
    made: dict[Path, tuple[str, str]] = {
        Path(params.base_model.descriptor): ("the base model descriptor", "tasks.base_model"),
        Path(assets.inventory): ("the asset inventory", "tasks.identify_assets"),
        Path(assets.contents): ("the kept assets' contents", "tasks.identify_assets"),
        Path(params.build_dataset.records): ("the dataset records", "tasks.build_dataset"),
    }
    for name in assets.sources:
        for table in ("inventory", "contents", "signatures"):
            made[Path(assets.scan_dir) / name / f"{table}.parquet"] = (
                f"the scan of source '{name}'",
                f"tasks.identify_assets.scan {name}",
            )
    for path in (feedback.events, feedback.rejects, feedback.records, feedback.dpo, feedback.kto):
        made[Path(path)] = ("ingested feedback", "tasks.ingest_feedback")
    return made


def missing_message(
    step: str, missing: list[str | Path], params: Params, params_path: str | Path
) -> str:
    """What `step` lacks, each with the command that makes it, and the one command for all."""
    made = producers(params)
    lines = [f"error: {step} needs inputs that do not exist yet:"]
    for path in missing:
        what, module = made.get(Path(path), ("", ""))
        if module:
            lines.append(f"  {path} ({what}): run `{command(module, params_path)}`")
        else:
            lines.append(f"  {path}")
    lines.append(
        f"or run steps 1-2 and their gates in order: `{command('flows.dataset', params_path)}`"
    )
    return "\n".join(lines)


def require(step: str, paths: list[str | Path], params: Params, params_path: str | Path) -> None:
    """Exit naming every missing input of `step` and the command that makes it."""
    missing = [path for path in paths if not Path(path).exists()]
    if missing:
        raise SystemExit(missing_message(step, missing, params, params_path))
