"""Online metrics (acceptance, edit and reject rates) and the nightly retrain decision."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pandas as pd

from tasks.io import read_json, read_parquet
from tasks.params import RetrainParams

ACTION_RATES = {"accept": "accept_rate", "edit": "edit_rate", "reject": "reject_rate"}


def _rates(actions: pd.Series) -> dict[str, float | int]:
    counts = actions.value_counts()
    total = int(counts.sum())
    rates = {name: round(counts.get(a, 0) / total, 4) for a, name in ACTION_RATES.items()}
    return {"events": total, **rates}


def online_metrics(events: pd.DataFrame) -> dict[str, Any]:
    """Rates overall, per model version and per model version and task (DVC metrics)."""
    if events.empty:
        return {"overall": {"events": 0}}
    by_model: dict[str, Any] = {}
    for model, group in events.groupby("model_version"):
        tasks = {task: _rates(rows["action"]) for task, rows in group.groupby("task")}
        by_model[model] = {"all": _rates(group["action"]), **tasks}
    return {"overall": _rates(events["action"]), "model_version": by_model}


def daily_rates(events: pd.DataFrame) -> list[dict[str, Any]]:
    """Rates per UTC day and model version, oldest first (a DVC plot over time)."""
    if events.empty:
        return []
    # Timestamps repeat (events arrive in bursts): parse each distinct one once.
    codes, stamps = pd.factorize(events["timestamp"])
    days = pd.to_datetime(stamps, format="ISO8601", utc=True).strftime("%Y-%m-%d")
    frame = events.assign(day=days.to_numpy()[codes])
    return [
        {"day": day, "model_version": model, **_rates(group["action"])}
        for (day, model), group in frame.groupby(["day", "model_version"])
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
