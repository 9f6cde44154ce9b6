"""Lineage end to end: which model versions learned from a feedback event, and the reverse.

    python -m tasks.lineage event <event_id> [--json]    which versions learned from it
    python -m tasks.lineage version <version> [--json]   which events that version learned from

Read from what the pipeline already writes, link by link:

    data/feedback/events.parquet   the event (step 6: action, task, the model that answered)
    data/feedback/records.jsonl    the SFT record made from it (`event_ids`)
    data/dataset/records.parquet   the dataset record, its split (`event_ids`); rejects.parquet
                                   says why a feedback record was left out (asset feedback:<id>)
    registry/versions/<v>/         each published bundle: trainer_state.json (the round's
                                   `data.event_ids`: events behind the records it trained on,
                                   `init`: the promoted adapter it continued from) and manifest

A version learned from an event when its own round trained on a record made from it
(`directly`), or when it continued (finetune.init: promoted) from a version that did
(`through <parent>`). An event whose record was in the round's training set but in no trained
micro-batch (a short run) is listed as `given, not reached`. Output is sorted: stable.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from tasks.init_pointer import TRAINER_STATE
from tasks.io import read_json, read_jsonl, read_parquet
from tasks.params import Params, load_params
from tasks.registry import MANIFEST, VERSIONS

EVENT_FIELDS = ("timestamp", "action", "task", "model_version", "source", "client")


def registry_versions(registry_dir: str | Path) -> dict[str, dict]:
    """Every published version: its manifest and its round's trainer_state (None if absent)."""
    root = Path(registry_dir) / VERSIONS
    found: dict[str, dict] = {}
    for bundle in sorted(root.iterdir()) if root.is_dir() else []:
        if bundle.name.startswith(".") or not (bundle / MANIFEST).is_file():
            continue
        state = bundle / TRAINER_STATE
        found[bundle.name] = {
            "manifest": read_json(bundle / MANIFEST),
            "trainer_state": read_json(state) if state.is_file() else None,
        }
    return found


def parent_of(entry: dict) -> str | None:
    """The version a round continued from (finetune.init: promoted), None for a base round."""
    start = (entry.get("trainer_state") or {}).get("init") or {}
    return start.get("version") if start.get("from") == "promoted" else None


def learned(version: str, versions: dict[str, dict]) -> dict[str, dict]:
    """Events `version` learned from: event id -> {"how": directly | through <v> | given, not
    reached, "trained_in": the version whose round trained on it}."""
    events: dict[str, dict] = {}
    chain, current = [], version
    while current and current not in chain:  # a cycle cannot happen; never loop anyway
        chain.append(current)
        entry = versions.get(current)
        if entry is None:  # an ancestor no longer in the registry
            break
        data = (entry.get("trainer_state") or {}).get("data") or {}
        how = "directly" if current == version else f"through {current}"
        for event in data.get("event_ids", []):
            events.setdefault(event, {"how": how, "trained_in": current})
        if current == version:
            for event in data.get("unvisited_event_ids", []):
                events.setdefault(event, {"how": "given, not reached", "trained_in": current})
        current = parent_of(entry)
    return events


def ancestry(version: str, versions: dict[str, dict]) -> list[str]:
    """`version` and the versions it continued from, newest first."""
    chain, current = [], version
    while current and current not in chain:
        chain.append(current)
        current = parent_of(versions[current]) if current in versions else None
    return chain


def _events_table(params: Params) -> dict[str, dict]:
    path = Path(params.ingest_feedback.events)
    if not path.is_file():
        return {}
    frame = read_parquet(path)
    keep = [c for c in ("event_id", *EVENT_FIELDS) if c in frame.columns]
    return {row["event_id"]: row for row in frame[keep].astype(str).to_dict("records")}


def event_lineage(params: Params, event_id: str) -> dict[str, Any]:
    """Every link from one feedback event to the versions that learned from it."""
    event = _events_table(params).get(event_id)
    feedback_path = Path(params.ingest_feedback.records)
    feedback = read_jsonl(feedback_path) if feedback_path.is_file() else []
    sft = [
        {"line": n, "task": r.get("task"), "origin": r.get("origin")}
        for n, r in enumerate(feedback, start=1)
        if event_id in (r.get("event_ids") or [])
    ]
    dataset: list[dict] = []
    records_path = Path(params.build_dataset.records)
    if records_path.is_file():
        records = read_parquet(records_path)
        for row in records.itertuples():
            if event_id in list(row.event_ids if row.event_ids is not None else []):
                dataset.append({"record_id": row.record_id, "split": row.split, "task": row.task})
    rejected: list[str] = []
    rejects_path = Path(params.build_dataset.rejects)
    if rejects_path.is_file():
        rejects = read_parquet(rejects_path)
        rejected = sorted(rejects.loc[rejects["asset_id"] == f"feedback:{event_id}", "reason"])
    versions = registry_versions(params.export.registry_dir)
    learners = []
    for version in sorted(versions):
        if found := learned(version, versions).get(event_id):
            learners.append({"version": version} | found)
    return {
        "event_id": event_id,
        "event": event,
        "feedback_records": sft,
        "dataset_records": sorted(dataset, key=lambda r: r["record_id"]),
        "dataset_rejects": rejected,
        "versions": learners,
    }


def version_lineage(params: Params, version: str) -> dict[str, Any]:
    """What one published version learned from: its ancestry and every event behind it."""
    versions = registry_versions(params.export.registry_dir)
    if version not in versions:
        known = ", ".join(sorted(versions)) or "none"
        raise SystemExit(
            f"{version} is not published in {params.export.registry_dir} (published: {known})"
        )
    entry = versions[version]
    state = entry["trainer_state"] or {}
    data = state.get("data") or {}
    table = _events_table(params)
    events = [
        {"event_id": event} | info | {"event": table.get(event)}
        for event, info in sorted(learned(version, versions).items())
    ]
    return {
        "version": version,
        "init": state.get("init"),
        "ancestry": ancestry(version, versions),
        "train_sha256": state.get("train_sha256"),
        "trained_records": len(data.get("record_ids", [])),
        "new_records": data.get("new_records"),
        "replayed_records": data.get("replayed_records"),
        "lineage_recorded": bool(data),
        "events": events,
    }


def _event_text(answer: dict) -> str:
    lines = [f"event {answer['event_id']}"]
    event = answer["event"]
    lines.append(
        "  ingested: " + ", ".join(f"{k} {event[k]}" for k in EVENT_FIELDS if k in event)
        if event
        else "  not in the ingested events"
    )
    for r in answer["feedback_records"]:
        lines.append(f"  feedback record: line {r['line']} of records.jsonl ({r['origin']})")
    for r in answer["dataset_records"]:
        lines.append(f"  dataset record {r['record_id']}: {r['task']}, split {r['split']}")
    lines += [f"  left out of the dataset: {reason}" for reason in answer["dataset_rejects"]]
    if not answer["versions"]:
        lines.append("  no published version learned from it")
    for v in answer["versions"]:
        lines.append(f"  {v['version']}: {v['how']}")
    return "\n".join(lines)


def _version_text(answer: dict) -> str:
    start = answer["init"] or {}
    origin = (
        f"continued from {start['version']}"
        if start.get("from") == "promoted"
        else "trained from the base model"
    )
    lines = [f"version {answer['version']}: {origin}"]
    if not answer["lineage_recorded"]:
        lines.append("  exported before lineage was recorded: no trainer_state data")
    else:
        lines.append(
            f"  trained on {answer['trained_records']} records ({answer['new_records']} new, "
            f"{answer['replayed_records']} replayed) of train split "
            f"{(answer['train_sha256'] or '')[:16]}; ancestry {' <- '.join(answer['ancestry'])}"
        )
    if not answer["events"]:
        lines.append("  learned from no feedback event")
    for e in answer["events"]:
        about = e["event"] or {}
        detail = ", ".join(f"{k} {about[k]}" for k in ("action", "task") if k in about)
        lines.append(f"  {e['event_id']}: {e['how']}" + (f" ({detail})" if detail else ""))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Lineage: feedback events <-> model versions.")
    parser.add_argument("kind", choices=["event", "version"])
    parser.add_argument("name", help="an event id, or a published model version")
    parser.add_argument("--params", default="params.yaml")
    parser.add_argument("--json", action="store_true", help="the answer as JSON")
    args = parser.parse_args(argv)
    params = load_params(args.params)
    if args.kind == "event":
        answer = event_lineage(params, args.name)
        text = _event_text(answer)
    else:
        answer = version_lineage(params, args.name)
        text = _version_text(answer)
    print(json.dumps(answer, indent=2, sort_keys=True) if args.json else text)


if __name__ == "__main__":
    main()
