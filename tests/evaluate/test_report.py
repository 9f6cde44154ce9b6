import pandas as pd

from tasks.evaluate.compare import IMPROVED, REGRESSED, TIE, Comparison
from tasks.evaluate.report import promotion_decision, render_report
from tasks.params import GateThresholds

GATE = GateThresholds(min_improved_tasks=2, tolerance=0.05, loss_tolerance=0.02,
                      max_regurgitation=0.5)  # fmt: skip


def cmp(delta: float, verdict: str, n: int = 10) -> Comparison:
    low, high = (delta - 0.1, delta + 0.1) if verdict != TIE else (-0.1, 0.1 + delta)
    return Comparison(n, 0.2, 0.2 + delta, delta, low, high, verdict)


def details(tasks: list[str], rate: float = 0.1) -> dict:
    tuned = {t: {"primary": 0.5, "primary_metric": "format_valid", "n": 10} for t in tasks}
    return {"tuned": tuned, "regurgitation": {"tuned": rate}}


def test_given_enough_tasks_improved_and_none_worse_when_gated_then_promoted():
    against_base = {"a": cmp(0.4, IMPROVED), "b": cmp(0.3, IMPROVED), "c": cmp(0.0, TIE)}
    decision = promotion_decision(against_base, None, None, details(["a", "b", "c"]), GATE, 0.95)
    assert decision["promoted"] and decision["failures"] == []
    assert (
        "improves on 2 of 3 tasks" in decision["reasons"][0] and "tied: c" in decision["reasons"][0]
    )
    assert any("no promoted model yet" in reason for reason in decision["reasons"])


def test_given_only_ties_when_gated_then_not_promoted_and_never_called_better():
    against_base = {"a": cmp(0.0, TIE), "b": cmp(0.1, TIE)}
    decision = promotion_decision(against_base, None, None, details(["a", "b"]), GATE, 0.95)
    assert not decision["promoted"]
    assert "improves on 0 of 2 tasks" in decision["failures"][0]
    assert not any("beats" in reason for reason in decision["reasons"])


def test_given_a_task_worse_than_base_when_gated_then_it_is_named():
    against_base = {"a": cmp(0.4, IMPROVED), "b": cmp(0.3, IMPROVED), "c": cmp(-0.3, REGRESSED)}
    decision = promotion_decision(against_base, None, None, details(["a", "b", "c"]), GATE, 0.95)
    assert not decision["promoted"] and decision["failures"][0].startswith("c: tuned is worse")


def test_given_a_promoted_model_when_tuned_loses_on_loss_or_a_metric_then_not_promoted():
    against_base = {"a": cmp(0.4, IMPROVED), "b": cmp(0.3, IMPROVED)}
    same = {"a": cmp(0.0, TIE), "b": cmp(0.0, TIE)}
    worse_loss = Comparison(20, 1.47, 1.81, 0.34, 0.25, 0.43, IMPROVED)  # loss went up
    decision = promotion_decision(against_base, same, worse_loss, details(["a", "b"]), GATE, 0.95)
    assert not decision["promoted"] and "answer loss rose" in decision["failures"][0]

    dropped = {"a": cmp(-0.2, TIE), "b": cmp(0.0, TIE)}
    better_loss = Comparison(20, 1.47, 1.40, -0.07, -0.1, -0.04, REGRESSED)
    decision = promotion_decision(
        against_base, dropped, better_loss, details(["a", "b"]), GATE, 0.95
    )
    assert not decision["promoted"] and decision["failures"][0].startswith(
        "a: worse than the promoted"
    )


def test_given_regurgitation_above_the_ceiling_when_gated_then_not_promoted():
    against_base = {"a": cmp(0.4, IMPROVED), "b": cmp(0.3, IMPROVED)}
    decision = promotion_decision(against_base, None, None, details(["a", "b"], 0.8), GATE, 0.95)
    assert any("above the ceiling" in f for f in decision["failures"])


def test_given_scored_rows_when_reported_then_intervals_and_best_and_worst_examples_appear():
    sample = pd.DataFrame({"record_id": ["r1", "r2"], "output": ["REF1", "REF2"]})
    scored = pd.DataFrame(
        [
            {"model": "tuned", "record_id": "r1", "task": "a", "output": "GOOD",
             "format_valid": True, "problems": "", "chrf": 80.0},
            {"model": "tuned", "record_id": "r2", "task": "a", "output": "BAD",
             "format_valid": False, "problems": "line 1: nope", "chrf": 5.0},
        ]
    )  # fmt: skip
    side = {"a": {"primary": 0.5, "primary_metric": "format_valid", "n": 2, "format_valid": 0.5,
                  "answer_loss": 1.0}}  # fmt: skip
    metrics = {"base": side, "tuned": side, "regurgitation": {},
               "comparisons": {"base": {"a": cmp(0.5, IMPROVED, n=2).as_dict()}}}  # fmt: skip
    decision = {"promoted": True, "reasons": ["checked"]}
    text = render_report(sample, scored, metrics, decision, "frozen (evalsets/x.jsonl)")
    assert text.index("**Best**") < text.index("GOOD") < text.index("**Worst**") < text.index("BAD")
    assert "invalid (line 1: nope)" in text and "Promotion: promoted" in text
    assert "+0.50 (+0.40..+0.60) | improved" in text
