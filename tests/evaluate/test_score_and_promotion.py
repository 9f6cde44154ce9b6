import pandas as pd

from tasks.evaluate.report import promotion_decision
from tasks.evaluate.score import score_record, task_metrics

STORY = """User Story: Pause a standing order
As an account holder
I want to pause a standing order
So that I keep my savings

AC 1: Pause an active order
Given an active standing order
When I pause it
Then no payment is made"""


def test_a_valid_story_scores_valid_and_a_chatty_answer_does_not():
    good = score_record("create_agile_user_story", None, "en", STORY, STORY)
    chatty = score_record("create_agile_user_story", None, "en", STORY, "Sure! " + STORY)
    assert good == {"format_valid": True, "problems": "", "exact_match": True}
    assert not chatty["format_valid"] and "line 1" in chatty["problems"]


def test_implement_method_must_define_the_named_method():
    code = "def fee(amount: int) -> int:\n    return amount // 100\n"
    right = score_record("implement_method", "fee", "python", code, code)
    wrong = score_record("implement_method", "tax", "python", code, code)
    assert right["format_valid"] and not wrong["format_valid"]


def test_metrics_are_per_model_and_task_with_an_overall_mean():
    scored = pd.DataFrame(
        [
            {
                "model": "base",
                "task": "a",
                "format_valid": False,
                "exact_match": False,
                "answer_loss": 2,
            },
            {
                "model": "base",
                "task": "b",
                "format_valid": True,
                "exact_match": False,
                "answer_loss": 1,
            },
            {
                "model": "tuned",
                "task": "a",
                "format_valid": True,
                "exact_match": False,
                "answer_loss": 1,
            },
            {
                "model": "tuned",
                "task": "b",
                "format_valid": True,
                "exact_match": True,
                "answer_loss": 1,
            },
        ]
    )
    metrics = task_metrics(scored)
    assert metrics["tuned"]["a"] == {
        "format_valid": 1.0,
        "exact_match": 0.0,
        "answer_loss": 1.0,
        "n": 1,
    }
    assert metrics["base"]["overall"] == {
        "format_valid": 0.5,
        "exact_match": 0.0,
        "answer_loss": 1.5,
    }


def metrics_for(base: dict, tuned: dict) -> dict:
    def side(values):
        out = {task: {"format_valid": v} for task, v in values.items()}
        out["overall"] = {"format_valid": sum(values.values()) / len(values)}
        return out

    return {"base": side(base), "tuned": side(tuned)}


def test_promotion_needs_an_overall_gain_and_no_task_regression():
    assert promotion_decision(metrics_for({"a": 0.2, "b": 0.5}, {"a": 0.6, "b": 0.5}))["promoted"]
    regressed = promotion_decision(metrics_for({"a": 0.2, "b": 0.5}, {"a": 0.9, "b": 0.4}))
    assert not regressed["promoted"] and regressed["reasons"][0].startswith("b:")
    flat = promotion_decision(metrics_for({"a": 0.0}, {"a": 0.0}))
    assert not flat["promoted"] and "not above base" in flat["reasons"][0]
