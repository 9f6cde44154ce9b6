"""Read the feedback inbox, validate and scrub events, and turn them into SFT records."""

from __future__ import annotations

import ast
import json
import re
import textwrap
from pathlib import Path

import pandas as pd

from tasks.identify_assets.scrub import scrub
from tasks.ingest_feedback.events import EVENT_COLUMNS, event_problems, event_row
from tasks.io import write_jsonl, write_parquet
from tasks.params import IngestFeedbackParams, load_params, step_parser

REJECT_COLUMNS = ["source_file", "line", "event_id", "reason"]


def read_inbox(inbox: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Valid events (first occurrence of each event id) and rejects with their reasons."""
    rows, rejects, seen = [], [], set()
    for path in sorted(inbox.glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                event = json.loads(line)
            except json.JSONDecodeError as exc:
                rejects.append([path.name, number, None, f"invalid JSON: {exc.msg}"])
                continue
            event_id = event.get("event_id") if isinstance(event, dict) else None
            problems = event_problems(event)
            if not problems and event_id in seen:
                problems = ["duplicate event_id (first seen earlier in the inbox)"]
            if problems:
                rejects.append([path.name, number, event_id, "; ".join(problems)])
                continue
            seen.add(event_id)
            rows.append(event_row(event, path.name, number))
    return (
        pd.DataFrame(rows, columns=EVENT_COLUMNS),
        pd.DataFrame(rejects, columns=REJECT_COLUMNS),
    )


def answer_language(task: str, answer: str) -> str:
    """The language an answer is written in, as build_dataset's validators expect it."""
    if task in {"implement_method", "write_test"}:
        try:
            ast.parse(textwrap.dedent(answer))
        except SyntaxError:
            return "java"
        return "python"
    if task == "create_agile_user_story":
        return "zh" if re.search(r"[\u4e00-\u9fff]", answer) else "en"
    return {"design_restful_api": "markdown", "design_plantuml_datastructure": "plantuml"}.get(
        task, ""
    )


def sft_records(events: pd.DataFrame) -> list[dict]:
    """accept -> the answer as given; edit -> the user's edited answer; reject -> nothing yet."""
    records = []
    for event in events.itertuples():
        if event.action == "reject":
            continue
        messages = json.loads(event.prompt)
        user_turn = [m["content"] for m in messages if m["role"] == "user"][-1]
        answer = event.edited_completion if event.action == "edit" else event.completion
        instruction, _ = scrub(user_turn)
        output, _ = scrub(answer)
        records.append(
            {
                "instruction": instruction,
                "input": "",
                "output": output,
                "task": event.task,
                "language": answer_language(event.task, output),
                "asset_id": f"feedback:{event.event_id}",
                "origin": f"feedback_{event.action}",
                "event_ids": [event.event_id],
            }
        )
    return records


def main(argv: list[str] | None = None) -> None:
    args = step_parser("Step 6: ingest feedback events into training records.").parse_args(argv)
    params: IngestFeedbackParams = load_params(args.params).ingest_feedback
    inbox = Path(params.inbox)
    if not inbox.is_dir():
        raise SystemExit(f"feedback inbox {params.inbox!r} does not exist")
    events, rejects = read_inbox(inbox)
    records = sft_records(events)
    write_parquet(params.events, events)
    write_parquet(params.rejects, rejects)
    write_jsonl(params.records, records)
    actions = ", ".join(f"{k}={v}" for k, v in sorted(events["action"].value_counts().items()))
    print(
        f"feedback: {len(events)} events ({actions}),"
        f" {len(rejects)} rejected, {len(records)} SFT records"
    )


if __name__ == "__main__":
    main()
