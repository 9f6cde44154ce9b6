from math import comb

import pandas as pd
import pytest

from tasks.evaluate.execution import execute, find_project, pass_at_k, splice_method
from tasks.evaluate.sandbox import Limits

MODULE = '''class Fees:
    def fee(self, amount: int) -> int:
        """Fee in cents."""
        return amount // 100

    def other(self) -> int:
        return 1
'''
TESTS = """from bank.fees import Fees


def test_fee_is_one_percent():
    assert Fees().fee(1000) == 10
"""
GOOD_METHOD = "def fee(self, amount: int) -> int:\n    return amount // 100\n"
BAD_METHOD = "def fee(self, amount: int) -> int:\n    return amount\n"


def contents() -> pd.DataFrame:
    rows = [
        ("s:app/bank/__init__.py", "app/bank/__init__.py", "source", ""),
        ("s:app/bank/fees.py", "app/bank/fees.py", "source", MODULE),
        ("s:app/tests/test_fees.py", "app/tests/test_fees.py", "test", TESTS),
    ]
    return pd.DataFrame(
        [(a, "s", p, k, "python", t) for a, p, k, t in rows],
        columns=["asset_id", "source", "path", "kind", "language", "text"],
    )


@pytest.mark.parametrize(("n", "c", "k"), [(1, 0, 1), (1, 1, 1), (5, 2, 1), (5, 2, 3), (10, 3, 5)])
def test_given_small_n_c_k_when_estimated_then_pass_at_k_matches_the_closed_form(n, c, k):
    assert pass_at_k(n, c, k) == pytest.approx(1 - comb(n - c, k) / comb(n, k))


def test_given_a_class_method_when_spliced_then_only_that_method_is_replaced():
    spliced = splice_method(MODULE, "Fees", "fee", BAD_METHOD)
    assert "        return amount\n" in spliced and "def other(self)" in spliced
    assert '"""Fee in cents."""' not in spliced
    assert splice_method(MODULE, "Fees", "missing", BAD_METHOD) is None


def test_given_a_python_source_with_tests_when_found_then_the_project_has_its_import_root():
    project = find_project(contents(), "s:app/bank/fees.py")
    assert (project.root, project.module_path, project.test_path) == (
        "app",
        "bank/fees.py",
        "tests/test_fees.py",
    )
    assert find_project(contents(), "s:app/tests/test_fees.py") is None


@pytest.mark.slow
def test_given_generated_code_when_executed_then_right_passes_and_wrong_fails():
    project = find_project(contents(), "s:app/bank/fees.py")
    record = {"task": "implement_method", "method": "fee", "input": "bank.fees.Fees(int)"}
    assert execute(project, record, GOOD_METHOD, Limits()).passed
    wrong = execute(project, record, BAD_METHOD, Limits())
    assert not wrong.passed and wrong.reason == "failed (exit 1)"
    tests = {"task": "write_test", "input": GOOD_METHOD}
    generated = "def test_fee():\n    assert Fees().fee(1000) == 10\n"
    assert execute(project, tests, generated, Limits()).passed
    false_test = execute(project, tests, generated.replace("== 10", "== 11"), Limits())
    assert not false_test.passed
    assert execute(project, tests, "def test_(:", Limits()).reason.startswith("not runnable")


@pytest.mark.slow
@pytest.mark.parametrize(
    "body",
    [
        "while True:\n        pass",
        "block = bytearray(8 * 1024**3)",
        "import urllib.request\n    urllib.request.urlopen('http://example.com', timeout=2)",
    ],
    ids=["infinite-loop", "huge-allocation", "network-call"],
)
def test_given_hostile_generated_tests_when_executed_then_the_record_fails_and_we_survive(body):
    project = find_project(contents(), "s:app/bank/fees.py")
    hostile = f"def test_fee():\n    {body}\n    assert True\n"
    limits = Limits(timeout_s=5, cpu_s=2, memory_mb=512)
    outcome = execute(project, {"task": "write_test", "input": GOOD_METHOD}, hostile, limits)
    assert not outcome.passed and outcome.reason != "passed"
