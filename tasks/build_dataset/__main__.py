"""Build the train/eval instruction datasets from the kept assets and ingested feedback."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pandas as pd

from tasks.base_model import resolve
from tasks.build_dataset import records as build
from tasks.build_dataset.card import dataset_card
from tasks.build_dataset.split import asset_groups, assign_splits
from tasks.formats import validate_output
from tasks.io import read_jsonl, read_parquet, write_jsonl, write_parquet
from tasks.params import BuildDatasetParams, Params, load_params, step_parser
from tasks.prompting import build_messages, render_prompt

RECORD_COLUMNS = [
    "record_id", "task", "instruction", "input", "output", "language", "split", "origin",
    "asset_id", "assets", "group", "event_ids", "n_tokens",
]  # fmt: skip
ALPACA_KEYS = ["instruction", "input", "output", "task", "language", "asset_id", "record_id"]
REJECT_COLUMNS = ["asset_id", "task", "reason"]


def candidates_from_assets(contents: pd.DataFrame, step: BuildDatasetParams) -> build.Built:
    """Every candidate record the kept assets yield, plus rejects."""
    built = build.Built()
    for row in contents.itertuples():
        if row.kind in {"openapi", "postman"}:
            ops = step.api_operations_per_record
            built.extend(build.from_api_spec(row.asset_id, row.kind, row.text, ops))
        elif row.kind == "user_story":
            built.extend(build.from_stories(row.asset_id, row.language, row.text))
        elif row.kind == "plantuml":
            built.extend(build.from_plantuml(row.asset_id, row.text))
    units, rejects = build.parse_code(contents)
    built.rejects.extend(build.Reject(r.asset_id, r.task, r.reason) for r in rejects)
    kinds = dict(zip(contents["asset_id"], contents["kind"], strict=True))
    paths = dict(zip(contents["asset_id"], contents["path"], strict=True))
    classes = step.plantuml_classes_per_record
    built.extend(build.from_sources(units, kinds, step.min_body_lines, classes))
    built.extend(build.from_tests(units, kinds, paths, step.max_tests_per_record))
    return built


def candidates_from_feedback(rows: list[dict[str, Any]]) -> list[build.Candidate]:
    """SFT records from ingested feedback, keeping the event ids they came from."""
    return [
        build.Candidate(
            task=row["task"],
            instruction=row["instruction"],
            input=row["input"],
            output=row["output"],
            language=row["language"],
            assets=(row["asset_id"],),
            origin=row["origin"],
            event_ids=row["event_ids"],
        )
        for row in rows
    ]


def _record_id(task: str, instruction: str, input_text: str) -> str:
    return hashlib.sha256(f"{task}\0{instruction}\0{input_text}".encode()).hexdigest()[:16]


def filter_candidates(
    candidates: list[build.Candidate], params: Params, token_count
) -> tuple[pd.DataFrame, list[build.Reject]]:
    """Keep enabled tasks with non-empty, valid, short-enough, unique records."""
    step = params.build_dataset
    kept, rejects, seen = [], [], {}
    for c in candidates:
        asset = c.assets[0]
        if c.task not in step.tasks:
            continue
        empty = [name for name in ("instruction", "output") if not getattr(c, name).strip()]
        if empty:
            rejects.append(build.Reject(asset, c.task, f"empty: {', '.join(empty)}"))
            continue
        problems = validate_output(c.task, c.output, c.language, c.method)
        if problems:
            detail = "; ".join(str(p) for p in problems[:3])
            rejects.append(build.Reject(asset, c.task, f"invalid output: {detail}"))
            continue
        n_tokens = token_count(c)
        if n_tokens > step.max_record_tokens:
            reason = f"too_long: {n_tokens} tokens > max_record_tokens {step.max_record_tokens}"
            rejects.append(build.Reject(asset, c.task, reason))
            continue
        record_id = _record_id(c.task, c.instruction, c.input)
        if record_id in seen:
            reason = f"duplicate: same instruction and input as {seen[record_id]}"
            rejects.append(build.Reject(asset, c.task, reason))
            continue
        seen[record_id] = asset
        kept.append(
            {
                "record_id": record_id, "task": c.task, "instruction": c.instruction,
                "input": c.input, "output": c.output, "language": c.language,
                "origin": c.origin, "asset_id": asset, "assets": list(c.assets),
                "event_ids": list(c.event_ids), "n_tokens": n_tokens,
            }
        )  # fmt: skip
    return pd.DataFrame(kept), rejects


def split_records(frame: pd.DataFrame, params: Params) -> pd.DataFrame:
    """Attach group and split; feedback records always train (eval stays asset-derived)."""
    frame = frame.copy()
    frame["group"] = asset_groups(frame["assets"])
    from_assets = frame["origin"] == "asset"
    frame["split"] = "train"
    step = params.build_dataset
    frame.loc[from_assets, "split"] = assign_splits(
        frame[from_assets], step.eval_fraction, step.seed
    )
    return frame.sort_values(["split", "task", "record_id"], ignore_index=True)[RECORD_COLUMNS]


def token_counter(params: Params):
    """Tokens of prompt plus answer for a candidate, with the base model's tokenizer."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(resolve(params.base_model))
    system = params.prompt.system

    def count(c: build.Candidate) -> int:
        prompt = render_prompt(tokenizer, build_messages(system, c.instruction, c.input))
        return len(tokenizer(prompt + c.output + tokenizer.eos_token)["input_ids"])

    return count


def main(argv: list[str] | None = None) -> None:
    args = step_parser("Step 2: build the instruction datasets.").parse_args(argv)
    params = load_params(args.params)
    step = params.build_dataset
    built = candidates_from_assets(read_parquet(params.identify_assets.contents), step)
    feedback = candidates_from_feedback(read_jsonl(params.ingest_feedback.records))
    frame, rejects = filter_candidates(built.candidates + feedback, params, token_counter(params))
    rejects = built.rejects + rejects
    records = split_records(frame, params)
    rejects_frame = pd.DataFrame([vars(r) for r in rejects], columns=REJECT_COLUMNS)
    write_parquet(step.records, records)
    write_parquet(step.rejects, rejects_frame)
    for split, path in (("train", step.train), ("eval", step.eval)):
        write_jsonl(path, records.loc[records["split"] == split, ALPACA_KEYS].to_dict("records"))
    Path(step.card).parent.mkdir(parents=True, exist_ok=True)
    Path(step.card).write_text(dataset_card(records, rejects_frame), encoding="utf-8")
    counts = records.groupby(["task", "split"]).size().unstack(fill_value=0)
    print(f"dataset: {len(records)} records, {len(rejects_frame)} rejected\n{counts.to_string()}")


if __name__ == "__main__":
    main()
