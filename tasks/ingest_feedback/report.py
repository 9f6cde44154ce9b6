"""Online metrics (acceptance, edit and reject rates) and the nightly retrain decision."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tasks.io import read_json, read_parquet
from tasks.params import RetrainParams

ACTION_RATES = {"accept": "accept_rate", "edit": "edit_rate", "reject": "reject_rate"}


def _rates(counts: dict[str, int]) -> dict[str, float | int]:
    total = sum(counts.values())
    rates = {name: round(counts.get(a, 0) / total, 4) for a, name in ACTION_RATES.items()}
    return {"events": total, **rates}


def _action_counts(events: pd.DataFrame, keys: list[str]) -> dict[tuple, dict[str, int]]:
    # Events per action for each value of `keys`, keys in sorted order: one vectorised count
    # (categorical columns welcome), then a loop over the few groups, not over the events.
    sizes = events.groupby([*keys, "action"], observed=True).size()
    counts: dict[tuple, dict[str, int]] = {}
    for (*key, action), n in sizes.items():
        counts.setdefault(tuple(map(str, key)), {})[str(action)] = int(n)
    return dict(sorted(counts.items()))


def _merge(parts: Iterable[dict[str, int]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for part in parts:
        for action, n in part.items():
            total[action] = total.get(action, 0) + n
    return total


def online_metrics(events: pd.DataFrame) -> dict[str, Any]:
    """Rates overall, per model version and per model version and task (DVC metrics)."""
    if events.empty:
        return {"overall": {"events": 0}}
    counts = _action_counts(events, ["model_version", "task"])
    by_model: dict[str, Any] = {}
    for (model, task), actions in counts.items():
        by_model.setdefault(model, {})[task] = _rates(actions)
    for model, tasks in by_model.items():
        tasks["all"] = _rates(_merge(c for (m, _), c in counts.items() if m == model))
    return {"overall": _rates(_merge(counts.values())), "model_version": by_model}


def headline(overall: dict[str, Any]) -> dict[str, Any]:
    """What `dvc metrics show` prints for step 6: events n and the three rates overall (the same
    short names as the other steps' headlines, so the table stays narrow)."""
    short = {"events": "n", "accept_rate": "accept", "edit_rate": "edit", "reject_rate": "reject"}
    return {name: round(overall[key], 2) for key, name in short.items() if key in overall}


def daily_rates(events: pd.DataFrame) -> list[dict[str, Any]]:
    """Rates per UTC day and model version, oldest first (a DVC plot over time)."""
    if events.empty:
        return []
    # Timestamps repeat (events arrive in bursts): parse each distinct one once.
    stamps = events["timestamp"].astype("category")
    days = pd.to_datetime(stamps.cat.categories, format="ISO8601", utc=True).strftime("%Y-%m-%d")
    frame = events.assign(day=np.asarray(days, dtype=object)[stamps.cat.codes.to_numpy()])
    return [
        {"day": day, "model_version": model, **_rates(actions)}
        for (day, model), actions in _action_counts(frame, ["day", "model_version"]).items()
    ]


def assets_digest(inventory_path: str | Path) -> str:
    """A digest of the kept assets' contents: changes whenever step 1's inventory does."""
    path = Path(inventory_path)
    if not path.exists():
        return ""
    inventory = read_parquet(path)
    kept = inventory.loc[inventory["status"] == "kept", ["source", "path", "sha256"]]
    lines = sorted("\0".join(map(str, row)) for row in kept.itertuples(index=False))
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def retrain_decision(
    snapshot: dict[str, Any], baseline: dict[str, Any] | None, rules: RetrainParams
) -> dict[str, Any]:
    """Whether there is enough new feedback or new assets since the last retrain, and why."""
    base = baseline or {"events": 0, "sft_records": 0, "assets_digest": None}
    new_events = snapshot["events"] - base["events"]
    new_sft = snapshot["sft_records"] - base["sft_records"]
    assets_changed = snapshot["assets_digest"] != base["assets_digest"]
    reasons = []
    if rules.always:
        reasons.append("ingest_feedback.retrain.always is set")
    if baseline is None:
        reasons.append("no retrain recorded yet")
    if new_events > 0 and new_events >= rules.min_new_events:
        reasons.append(f"{new_events} new events >= min_new_events {rules.min_new_events}")
    if new_sft > 0 and new_sft >= rules.min_new_sft_records:
        reasons.append(
            f"{new_sft} new SFT records >= min_new_sft_records {rules.min_new_sft_records}"
        )
    if rules.on_new_assets and assets_changed and baseline is not None:
        reasons.append("the asset inventory changed")
    retrain = bool(reasons)
    if not retrain:
        reasons.append(
            f"only {new_events} new events (min_new_events {rules.min_new_events}) and"
            f" {new_sft} new SFT records (min_new_sft_records {rules.min_new_sft_records}),"
            " asset inventory unchanged"
        )
    return {
        "retrain": retrain,
        "reasons": reasons,
        "new_events": new_events,
        "new_sft_records": new_sft,
        "assets_changed": assets_changed,
        "snapshot": snapshot,
    }


def load_baseline(trainer_state: str | Path) -> dict[str, Any] | None:
    """The snapshot the last training consumed (fine-tune's trainer state), if any."""
    path = Path(trainer_state)
    return read_json(path).get("feedback_snapshot") if path.exists() else None
