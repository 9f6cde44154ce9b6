"""Feedback events and params for the step-6 tests."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from tasks.params import Params, load_params
from tests.support import REPO


def event(**changes) -> dict:
    base = {
        "schema_version": 1,
        "event_id": "e1",
        "timestamp": "2026-11-01T09:15:00Z",
        "model_version": "m1",
        "task": "implement_method",
        "prompt": [{"role": "user", "content": "Implement the method fee\n\nledger.fees()"}],
        "completion": "def fee():\n    return 1\n",
        "action": "accept",
        "edited_completion": None,
        "latency_ms": 800,
        "client": "autodev",
        "user": "a" * 64,
    }
    return base | changes


def write_events(path: Path, lines: list[dict | str]) -> Path:
    """A JSONL file of events (dicts) and raw lines (str), newline-terminated."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines)
    path.write_text(text, encoding="utf-8")
    return path


def feedback_params(root: Path, sources: dict | None = None, **step) -> Params:
    """Params whose step-6 paths all live under `root`; the inbox is root/inbox."""
    out = {
        "sources": sources or {"samples": {"type": "dir", "path": str(root / "inbox")}},
        "ledger_dir": str(root / "ledger"),
        **{name: str(root / f"out/{name}.{ext}") for name, ext in (
            ("events", "parquet"), ("rejects", "parquet"), ("records", "jsonl"),
            ("dpo", "jsonl"), ("kto", "jsonl"), ("metrics", "json"), ("daily", "json"),
            ("retrain_decision", "json"))},
        **step,
    }  # fmt: skip
    raw = yaml.safe_load((REPO / "params.yaml").read_text())
    raw["ingest_feedback"] |= out  # sources replaced outright, not merged with the repo's
    raw["identify_assets"]["inventory"] = str(root / "inventory.parquet")
    raw["finetune"]["trainer_state"] = str(root / "trainer_state.json")  # the retrain baseline
    raw["gates"]["report_dir"] = str(root / "reports")
    raw["gates"]["suite_dir"] = str(REPO / "expectations")
    path = root / "params.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True))
    return load_params(path)
