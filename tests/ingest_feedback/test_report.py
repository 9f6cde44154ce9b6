import pandas as pd

from tasks.ingest_feedback.report import (
    daily_rates,
    load_baseline,
    online_metrics,
    retrain_decision,
)
from tasks.io import write_json
from tasks.params import RetrainParams

RULES = RetrainParams(min_new_events=10, min_new_sft_records=5, on_new_assets=True, always=False)
SNAPSHOT = {"events": 30, "sft_records": 12, "assets_digest": "abc"}


def test_given_events_when_measured_then_rates_are_per_model_version_and_task():
    events = pd.DataFrame(
        {
            "model_version": ["m1", "m1", "m1", "m2"],
            "task": ["write_test", "write_test", "implement_method", "write_test"],
            "action": ["accept", "edit", "reject", "accept"],
            "timestamp": ["2026-11-01T09:00:00Z", "2026-11-01T23:59:00+00:00",
                          "2026-11-02T00:01:00Z", "2026-11-02T08:00:00Z"],
        }
    )  # fmt: skip
    metrics = online_metrics(events)
    assert metrics["overall"] == {"events": 4, "accept_rate": 0.5, "edit_rate": 0.25,
                                  "reject_rate": 0.25}  # fmt: skip
    assert metrics["model_version"]["m1"]["write_test"]["edit_rate"] == 0.5
    assert metrics["model_version"]["m2"]["all"]["accept_rate"] == 1.0
    days = [(d["day"], d["model_version"], d["events"]) for d in daily_rates(events)]
    assert days == [("2026-11-01", "m1", 2), ("2026-11-02", "m1", 1), ("2026-11-02", "m2", 1)]


def test_given_no_retrain_yet_when_deciding_then_the_answer_is_yes():
    decision = retrain_decision(SNAPSHOT, None, RULES)
    assert decision["retrain"] and "no retrain recorded yet" in decision["reasons"]


def test_given_little_new_feedback_and_the_same_assets_when_deciding_then_no_and_why():
    baseline = {"events": 25, "sft_records": 10, "assets_digest": "abc"}
    decision = retrain_decision(SNAPSHOT, baseline, RULES)
    assert not decision["retrain"]
    assert (decision["new_events"], decision["new_sft_records"]) == (5, 2)
    assert "only 5 new events (min_new_events 10)" in decision["reasons"][0]


def test_given_enough_new_events_or_new_assets_when_deciding_then_yes_with_the_reason():
    few = {"events": 25, "sft_records": 10, "assets_digest": "abc"}
    assert retrain_decision(SNAPSHOT, few | {"events": 20}, RULES)["reasons"] == [
        "10 new events >= min_new_events 10"
    ]
    assert retrain_decision(SNAPSHOT, few | {"sft_records": 7}, RULES)["reasons"] == [
        "5 new SFT records >= min_new_sft_records 5"
    ]
    assert retrain_decision(SNAPSHOT, few | {"assets_digest": "old"}, RULES)["reasons"] == [
        "the asset inventory changed"
    ]
    always = RULES.model_copy(update={"always": True})
    assert retrain_decision(SNAPSHOT, SNAPSHOT, always)["retrain"]
    assert not retrain_decision(SNAPSHOT, SNAPSHOT, RULES)["retrain"]


def test_the_retrain_baseline_is_the_snapshot_the_last_fine_tune_consumed(tmp_path):
    state = tmp_path / "trainer_state.json"
    assert load_baseline(state) is None  # nothing trained yet
    write_json(state, {"steps": 4})
    assert load_baseline(state) is None  # trained before feedback was recorded
    write_json(state, {"steps": 4, "feedback_snapshot": SNAPSHOT})
    assert load_baseline(state) == SNAPSHOT
