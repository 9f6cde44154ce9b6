"""Build the train/eval instruction datasets from the kept assets and ingested feedback."""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from tasks.base_model import resolve
from tasks.build_dataset import distill, instructions
from tasks.build_dataset.assets import (
    ParsedAssets,
    candidates_from_feedback,
    parse_assets,
    render_candidates,
)
from tasks.build_dataset.candidates import Built
from tasks.build_dataset.card import BuildInfo, dataset_card
from tasks.build_dataset.coverage import coverage_warnings, task_coverage
from tasks.build_dataset.curation import check_rules
from tasks.build_dataset.decontaminate import decontaminate
from tasks.build_dataset.filters import (
    RECORD_COLUMNS,
    TokenCounter,
    filter_candidates,
    token_counter,
)
from tasks.build_dataset.split import split_records
from tasks.build_dataset.teacher import Teacher
from tasks.dsl import plantuml
from tasks.executor import IN_PROCESS, ExecutorError, Parts, dask_client, parts_of
from tasks.io import atomic_path, read_jsonl, read_parquet, write_jsonl, write_parquet
from tasks.params import BuildDatasetParams, Params, ParamsError, load_params, step_parser
from tasks.prerequisites import require
from tasks.task_specs import task_names, unknown_tasks

# event_ids: the feedback events a record came from (empty for asset records), so a model's
# lineage reaches back to them (tasks.lineage); origin: asset, teacher_*, feedback_accept or
# feedback_edit (a continued round gives the tasks users corrected more turns, replay.focus).
ALPACA_KEYS = [
    "instruction", "input", "output", "task", "language", "asset_id", "record_id", "method",
    "event_ids", "origin",
]  # fmt: skip
REJECT_COLUMNS = ["asset_id", "task", "reason"]


def distill_candidates(
    built: Built, parsed: ParsedAssets, step: BuildDatasetParams
) -> Teacher | None:
    """Teacher distillation when a teacher is configured (in place); the teacher used, if any."""
    if not step.teacher.base_url:
        return None
    teacher = Teacher(step.teacher)
    try:
        if "missing_tests" in step.teacher.generate:
            tested = {c.input for c in built.candidates if c.task == "write_test"}
            methods = distill.untested_methods(
                parsed.units, parsed.kinds, tested, step.min_body_lines
            )
            built.extend(distill.missing_tests(teacher, methods))
        if "method_descriptions" in step.teacher.generate:
            built.rejects += distill.describe_methods(teacher, built.candidates)
    finally:
        teacher.close()
    return teacher


def use_real_plantuml(mode: str) -> bool:
    """Whether to run PlantUML itself: `auto` when installed, `required` or fail, `off`."""
    if mode == "required" and not plantuml.plantuml_available():
        raise SystemExit("build_dataset.real_plantuml is 'required' but PlantUML is not installed")
    return mode != "off" and plantuml.plantuml_available()


@contextmanager
def _timed(timings: dict[str, float] | None, phase: str) -> Iterator[None]:
    start = time.perf_counter()
    yield
    if timings is not None:
        timings[phase] = timings.get(phase, 0.0) + time.perf_counter() - start


def build(
    contents: pd.DataFrame,
    feedback: list[dict[str, Any]],
    step: BuildDatasetParams,
    count_tokens: TokenCounter,
    timings: dict[str, float] | None = None,
    frozen_eval: list[dict] | None = None,
    parts: Parts = IN_PROCESS,
) -> tuple[pd.DataFrame, pd.DataFrame, BuildInfo]:
    """Records (with split and group), rejects and build facts; seconds per phase in timings.

    The per-asset parsing and the per-candidate checks and token counts run in `parts` (in this
    process, or on a Dask cluster: `executor` params); rendering, de-duplication, the split and
    decontamination see everything at once on the driver. The outputs do not depend on where
    the parts ran.

    Records of the frozen eval set's assets (`frozen_eval`) are eval records; train records that
    overlap it are rejected. A listed task
    left without records, eval or train records is a warning in the build facts, with why.
    """
    if unknown := unknown_tasks(list(step.tasks)):
        raise SystemExit(f"unknown build_dataset.tasks {unknown}; known: {', '.join(task_names())}")
    check_rules(step.curation)
    with _timed(timings, "parse"):
        parsed = parse_assets(contents, parts)
    with _timed(timings, "render"):
        built = render_candidates(parsed, step)
    with _timed(timings, "teacher"):
        teacher = distill_candidates(built, parsed, step)
    with _timed(timings, "render"):
        candidates = built.candidates + candidates_from_feedback(feedback)
        instructions.assign(candidates, step.seed, step.zh_instruction_share)
    with _timed(timings, "filter"):  # validation and token counting
        real_plantuml = use_real_plantuml(step.real_plantuml)
        frame, rejects = filter_candidates(
            candidates, step.tasks, step.max_record_tokens, count_tokens, step.curation,
            real_plantuml, parts,
        )  # fmt: skip
    with _timed(timings, "split"):  # split and decontamination
        records, split_rejects = split_records(
            frame, step.eval_fraction, step.seed, step.min_eval_records,
            step.decontamination_ngram, {r["asset_id"] for r in frozen_eval or []},
        )  # fmt: skip
        records, contaminated = decontaminate(records, step.decontamination_ngram, frozen_eval)
    all_rejects = built.rejects + rejects + split_rejects + contaminated
    rejects_frame = pd.DataFrame([vars(r) for r in all_rejects], columns=REJECT_COLUMNS)
    kinds = Counter(contents["kind"]) if len(contents) else Counter()
    coverage = task_coverage(
        list(step.tasks), records, rejects_frame, kinds, step.decontamination_ngram
    )
    info = BuildInfo(
        real_plantuml, step.decontamination_ngram, step.teacher.base_url,
        teacher.stats if teacher else None, coverage_warnings(coverage), step.curation,
    )  # fmt: skip
    return records[[*RECORD_COLUMNS, "group", "split"]], rejects_frame, info


def load_token_counter(params: Params) -> TokenCounter:
    """The batch token counter of the base model's tokenizer and the shared system prompt."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(resolve(params.base_model))
    return token_counter(tokenizer, params.prompt.system)


def main(argv: list[str] | None = None) -> None:
    args = step_parser("Step 2: build the instruction datasets.").parse_args(argv)
    try:
        params = load_params(args.params)
    except ParamsError as exc:
        raise SystemExit(f"error: {exc}") from None
    step = params.build_dataset
    inputs = [params.base_model.descriptor, params.identify_assets.contents,
              params.ingest_feedback.records]  # fmt: skip
    require("build_dataset", inputs, params, args.params)
    contents = read_parquet(params.identify_assets.contents)
    feedback = read_jsonl(params.ingest_feedback.records)
    frozen_path = Path(params.evaluate.frozen_eval)
    frozen = read_jsonl(frozen_path) if frozen_path.exists() else None
    try:
        with dask_client(params.executor) as client:
            records, rejects, info = build(
                contents, feedback, step, load_token_counter(params), frozen_eval=frozen,
                parts=parts_of(client),
            )  # fmt: skip
    except ExecutorError as exc:
        raise SystemExit(f"error: {exc}") from None
    write_parquet(step.records, records)
    write_parquet(step.rejects, rejects)
    for split, path in (("train", step.train), ("eval", step.eval)):
        write_jsonl(path, records.loc[records["split"] == split, ALPACA_KEYS].to_dict("records"))
    with atomic_path(step.card) as tmp:
        tmp.write_text(dataset_card(records, rejects, info), encoding="utf-8")
    counts = records.groupby(["task", "split"]).size().unstack(fill_value=0)
    print(f"dataset: {len(records)} records, {len(rejects)} rejected\n{counts.to_string()}")
    for warning in info.warnings:
        print(warning, file=sys.stderr)


if __name__ == "__main__":
    main()
