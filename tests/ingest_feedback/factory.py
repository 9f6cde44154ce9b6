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
            ("dpo", "jsonl"), ("kto", "jsonl"), ("metrics", "json"), ("rates", "json"),
            ("daily", "json"), ("retrain_decision", "json"))},
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


def _with(raw: bytes, old: bytes, new: bytes) -> bytes:
    assert old in raw
    return raw.replace(old, new, 1)


def poison_lines() -> dict[str, bytes]:
    """Raw lines that no event dict can express, one per way a decoder fails, by name.

    Each breaks msgspec, orjson or the stdlib json in its own way (see DECODER_ERRORS in
    tests/ingest_feedback/test_events.py); all are built here, none is stored as a file.
    """
    good = json.dumps(event(event_id="poison")).encode()
    deep = b"[" * 100_000 + b"]" * 100_000
    past_recursion = b"[" * 1000 + b"]" * 1000  # past msgspec's limit, within orjson's 1024
    return {
        "invalid_utf8_in_string": _with(good, b'"autodev"', b'"auto\xff\xfedev"'),
        "invalid_utf8_in_key": _with(good, b'"client"', b'"cli\xc3ent"'),
        "torn_multibyte_char": good[: good.index(b'"autodev"') + 5] + "é".encode()[:1],
        "nested_100000_deep": good[:-1] + b', "extra": ' + deep + b"}",
        "nested_100000_deep_whole_line": deep,
        "nested_past_recursion_not_orjson_limit": good[:-1] + b', "x": ' + past_recursion + b"}",
        "lone_surrogate_escape": _with(good, b'"autodev"', b'"auto\\ud800dev"'),
        "number_overflows_double": _with(good, b'"latency_ms": 800', b'"latency_ms": 1e999'),
        "integer_of_5000_digits": _with(
            good, b'"latency_ms": 800', b'"latency_ms": 1' + b"0" * 5000
        ),
        "nan_literal": _with(good, b'"latency_ms": 800', b'"latency_ms": NaN'),
        "nul_byte_outside_a_string": good[:-1] + b"\x00}",
        "trailing_garbage": good + b" trailing",
        "utf8_bom": b"\xef\xbb\xbf" + good,
    }
