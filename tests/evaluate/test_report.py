import pandas as pd

from tasks.evaluate.report import promotion_decision, render_report
from tasks.params import GateThresholds

GATE = GateThresholds(tolerance=0.05, max_regurgitation=0.5, loss_tiebreak=True)


def side(values: dict[str, float], loss: float = 1.0) -> dict:
    out = {
        task: {"primary": v, "primary_metric": "format_valid", "answer_loss": loss, "n": 1}
        for task, v in values.items()
    }
    return out | {"overall": {"primary": sum(values.values()) / len(values)}}


def test_given_tuned_better_on_every_task_when_gated_then_promoted_with_the_checks_listed():
    metrics = {"base": side({"a": 0.2, "b": 0.5}), "tuned": side({"a": 0.6, "b": 0.7})}
    metrics["regurgitation"] = {"tuned": 0.1}
    decision = promotion_decision(metrics, GATE)
    assert decision["promoted"] and decision["failures"] == []
    assert any("no promoted model yet" in reason for reason in decision["reasons"])


def test_given_a_task_not_beating_base_when_gated_then_not_promoted_and_the_task_is_named():
    decision = promotion_decision(
        {"base": side({"a": 0.2, "b": 0.5}), "tuned": side({"a": 0.9, "b": 0.4})}, GATE
    )
    assert not decision["promoted"] and decision["reasons"][0].startswith("b: tuned")


def test_given_a_tie_when_gated_then_only_a_lower_answer_loss_breaks_it():
    tied_better = {"base": side({"a": 0.0}, loss=2.0), "tuned": side({"a": 0.0}, loss=1.5)}
    tied_worse = {"base": side({"a": 0.0}, loss=1.5), "tuned": side({"a": 0.0}, loss=2.0)}
    assert promotion_decision(tied_better, GATE)["promoted"]
    assert "tied" in promotion_decision(tied_worse, GATE)["reasons"][0]
    strict = GATE.model_copy(update={"loss_tiebreak": False})
    assert not promotion_decision(tied_better, strict)["promoted"]


def test_given_a_promoted_model_or_regurgitation_when_gated_then_both_limits_apply():
    metrics = {
        "base": side({"a": 0.1}),
        "tuned": side({"a": 0.5}),
        "promoted": side({"a": 0.7}),
        "regurgitation": {"tuned": 0.8},
    }
    failures = promotion_decision(metrics, GATE)["failures"]
    assert any("regressed beyond tolerance" in f for f in failures)
    assert any("above the ceiling" in f for f in failures)
    metrics |= {"promoted": side({"a": 0.53}), "regurgitation": {"tuned": 0.0}}
    assert promotion_decision(metrics, GATE)["promoted"]


def test_given_scored_rows_when_reported_then_best_and_worst_examples_appear_per_task():
    sample = pd.DataFrame({"record_id": ["r1", "r2"], "output": ["REF1", "REF2"]})
    scored = pd.DataFrame(
        [
            {"model": "tuned", "record_id": "r1", "task": "a", "output": "GOOD",
             "format_valid": True, "problems": "", "chrf": 80.0},
            {"model": "tuned", "record_id": "r2", "task": "a", "output": "BAD",
             "format_valid": False, "problems": "line 1: nope", "chrf": 5.0},
        ]
    )  # fmt: skip
    metrics = {"base": side({"a": 0.0}), "tuned": side({"a": 0.5}), "regurgitation": {}}
    decision = promotion_decision(metrics, GATE)
    text = render_report(sample, scored, metrics, decision, "frozen (evalsets/x.jsonl)")
    assert text.index("**Best**") < text.index("GOOD") < text.index("**Worst**") < text.index("BAD")
    assert "invalid (line 1: nope)" in text and "Promotion: promoted" in text
