"""Candidates from code: methods to implement, tests matched by naming, package diagrams."""

from __future__ import annotations

from tasks.build_dataset import from_code
from tasks.dsl import code_units

MONEY = """class Money:
    def __init__(self, cents: int) -> None:
        self.cents = cents

    def plus(self, other: "Money") -> "Money":
        total = self.cents + other.cents
        checked = max(total, 0)
        return Money(checked)

    def short(self) -> int:
        return self.cents
"""
TESTS = """from ledger.money import Money


def test_plus_adds():
    assert Money(1).plus(Money(2)).cents == 3


def test_plus_never_negative():
    assert Money(-5).plus(Money(1)).cents == 0


def test_unknown_behaviour():
    assert True
"""


def units() -> dict:
    return {
        "money.py": code_units.parse_python(MONEY, "ledger.money", "ledger/money.py"),
        "test_money.py": code_units.parse_python(TESTS, "tests.test_money", "tests/test_money.py"),
    }


KINDS = {"money.py": "source", "test_money.py": "test"}
PATHS = {"money.py": "ledger/money.py", "test_money.py": "tests/test_money.py"}


def test_given_a_class_when_read_then_only_non_trivial_methods_are_to_implement():
    built = from_code.from_sources(units(), KINDS, min_body_lines=3, classes_per_record=3)
    (candidate,) = [c for c in built.candidates if c.task == "implement_method"]
    assert candidate.method == "plus" and candidate.fields == {"name": "plus"}
    assert candidate.input.splitlines()[0] == "ledger.money.Money(int)"


def test_given_tests_named_after_methods_when_matched_then_they_join_and_the_rest_is_rejected():
    built = from_code.from_tests(units(), KINDS, PATHS, max_tests=1)
    (candidate,) = built.candidates
    assert candidate.input.startswith("def plus(") and "test_plus_adds" in candidate.output
    assert candidate.assets == ("money.py", "test_money.py")
    reasons = sorted(r.reason for r in built.rejects)
    assert reasons == [
        "surplus: 'test_plus_never_negative' beyond max_tests_per_record 1 for its method",
        "unmatched_test: no method of 'money' matches test 'test_unknown_behaviour'",
    ]


def test_given_a_diagram_without_classes_when_read_then_it_is_rejected():
    built = from_code.from_plantuml("empty.puml", "@startuml\ntitle nothing\n@enduml")
    assert built.candidates == [] and built.rejects[0].reason == "no class declared in the diagram"
    kept = from_code.from_plantuml("a.puml", "@startuml\nclass A\nclass B\n@enduml")
    assert kept.candidates[0].input == "Classes: A, B"
