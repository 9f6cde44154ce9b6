import pandas as pd

from tasks.evaluate.score import api_table_scores, score_record, syntax_valid, task_metrics

STORY = """User Story: Pause a standing order
As an account holder
I want to pause a standing order
So that I keep my savings

AC 1: Pause an active order
Given an active standing order
When I pause it
Then no payment is made"""

HEADER = (
    "| API | Method | Description | Request | Response | Error Response |\n"
    "| --- | --- | --- | --- | --- | --- |\n"
)
GOOD_ROW = (
    '| /orders/{orderId} | GET | Get an order | path {"orderId": String} | '
    '200 {"id": String} | 404: |\n'
)


def test_given_a_valid_story_when_scored_then_valid_with_its_ac_count_and_chatty_is_not():
    good = score_record("create_agile_user_story", None, "en", STORY, STORY)
    chatty = score_record("create_agile_user_story", None, "en", STORY, "Sure! " + STORY)
    assert good["format_valid"] and good["exact_match"] and good["ac_count"] == 1
    assert round(good["bleu"]) == 100 and good["chrf"] == 100.0
    assert not chatty["format_valid"] and chatty["ac_count"] == 0 and "line 1" in chatty["problems"]
    assert chatty["chrf"] < 100.0


def test_given_api_tables_when_scored_then_bad_cells_and_restful_violations_are_counted():
    good = api_table_scores(HEADER + GOOD_ROW)
    bad_method = api_table_scores(HEADER + GOOD_ROW.replace("| GET |", "| get |"))
    verb_path = api_table_scores(HEADER + GOOD_ROW.replace("/orders/{orderId}", "/getOrder"))
    assert good == {"cell_valid": 1.0, "restful_violations_per_table": 0.0}
    assert bad_method["cell_valid"] == 1 - 1 / 6
    assert verb_path["restful_violations_per_table"] >= 1
    assert api_table_scores("no table here") == {
        "cell_valid": 0.0,
        "restful_violations_per_table": None,
    }


def test_given_code_when_checked_then_python_uses_ast_and_java_tree_sitter_errors():
    assert syntax_valid("def fee(x):\n    return x\n", "python")
    assert not syntax_valid("def fee(x:\n    return x\n", "python")
    assert syntax_valid("public int fee(int x) { return x; }", "java")
    assert not syntax_valid("public int fee(int x) { return x }", "java")
    scored = score_record("implement_method", "tax", "python", "", "def fee(x):\n    return x\n")
    assert scored["syntax_valid"] and not scored["format_valid"]  # parses, wrong method name


def test_given_scored_rows_when_aggregated_then_primary_metric_per_task_and_overall_mean():
    scored = pd.DataFrame(
        [
            {"model": "tuned", "task": "write_test", "format_valid": True, "exact_match": False,
             "answer_loss": 1.0, "syntax_valid": True, "pass@1": 0.0},
            {"model": "tuned", "task": "write_test", "format_valid": False, "exact_match": False,
             "answer_loss": 2.0, "syntax_valid": False, "pass@1": None},
            {"model": "tuned", "task": "create_agile_user_story", "format_valid": True,
             "exact_match": True, "answer_loss": 0.5, "syntax_valid": None, "pass@1": None},
        ]
    )  # fmt: skip
    metrics = task_metrics(scored)["tuned"]
    assert metrics["write_test"]["primary_metric"] == "pass@1"
    assert metrics["write_test"]["primary"] == 0.0 and metrics["write_test"]["executed"] == 1
    assert metrics["write_test"]["syntax_valid"] == 0.5 and metrics["write_test"]["n"] == 2
    story = metrics["create_agile_user_story"]
    assert story["primary_metric"] == "format_valid" and story["primary"] == 1.0
    assert "syntax_valid" not in story
    assert metrics["overall"]["primary"] == 0.5 and metrics["overall"]["answer_loss"] == 1.0
