"""Candidates from code: methods to implement, tests matched to methods, package diagrams."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd

from tasks.build_dataset import from_code, instructions
from tasks.build_dataset.filters import filter_candidates
from tasks.dsl import code_units
from tasks.formats import validate_output
from tasks.identify_assets import classify
from tasks.params import load_params
from tests.support import REPO

STANDARDS = load_params(REPO / "params.yaml").build_dataset.curation  # as shipped

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


# Matching tests by what they call, their set-up, overloads, Lombok, TypeScript/JavaScript.

FIXTURES = Path(__file__).parents[1] / "dsl" / "fixtures"


def _java_units() -> tuple[dict, dict, dict]:
    units, kinds, paths = {}, {}, {}
    for file in sorted((FIXTURES / "vetclinic").glob("*.java")):
        asset = file.name
        units[asset] = code_units.parse_java(file.read_text(encoding="utf-8"), asset)
        kinds[asset] = "test" if file.stem.endswith("Test") else "source"
        paths[asset] = f"src/{'test' if kinds[asset] == 'test' else 'main'}/java/{asset}"
    return units, kinds, paths


def _by_method(built) -> dict[str, str]:
    """write_test answers by the first line of their method's declaration."""
    found = {}
    for candidate in built.candidates:
        declaration = next(line for line in candidate.input.splitlines() if "(" in line)
        found[declaration.strip()] = candidate.output
    return found


def test_given_overloads_when_read_then_each_is_a_record_named_by_its_signature():
    units, kinds, _ = _java_units()
    built = from_code.from_sources(units, kinds, min_body_lines=3, classes_per_record=3)
    overloads = [c for c in built.candidates if c.method == "findVisit"]
    assert [c.fields["name"] for c in overloads] == [
        "findVisit(String petName)",
        "findVisit(String petName, boolean unpaidOnly)",
        "findVisit(String petName, LocalDate from, LocalDate to)",
    ]
    assigned = [replace(c) for c in overloads]
    instructions.assign(assigned, seed=7, zh_share=0.0)
    assert all(c.fields["name"] in c.instruction for c in assigned)
    records, rejects = filter_candidates(
        assigned, ["implement_method"], 10_000, lambda cs: [len(c.output) for c in cs], STANDARDS
    )
    assert len(records) == 3 and rejects == []  # none is a duplicate of another
    _, rejects = filter_candidates(
        assigned, ["implement_method"], 10, lambda cs: [len(c.output) for c in cs], STANDARDS
    )
    assert rejects[1].reason.startswith("too_long: ")
    assert rejects[1].reason.endswith("[method findVisit(String petName, boolean unpaidOnly)]")


def test_given_lombok_classes_when_summarised_then_inputs_show_generated_constructors():
    units, kinds, _ = _java_units()
    built = from_code.from_sources(units, kinds, min_body_lines=3, classes_per_record=3)
    schedule = next(c for c in built.candidates if c.method == "schedule")
    assert schedule.input.splitlines()[0] == (
        "org.acme.vetclinic.visits.VisitService(VisitRepository, Clock)"
    )


def test_given_given_when_then_nested_and_should_tests_when_matched_then_none_is_lost():
    units, kinds, paths = _java_units()
    built = from_code.from_tests(units, kinds, paths, max_tests=3)
    answers = _by_method(built)
    schedule = answers[
        "public Visit schedule(String petName, LocalDate date, String description) {"
    ]
    # should_*: by name; rejectsVisitsInThePast: by the call; the @Nested class's test: by the
    # call on its outer class's field, inside its own @Nested class with its own @BeforeEach.
    assert schedule.startswith("@BeforeEach\nvoid setUp() {")
    assert schedule.count("void setUp()") == 1
    for name in ("should_schedule_visit_given_free_slot", "rejectsVisitsInThePast"):
        assert f"void {name}()" in schedule
    nested = schedule[schedule.index("@Nested\nclass WhenTheSlotIsTaken {") :]
    assert "    @BeforeEach\n    void bookTheSlot() {" in nested
    assert "    @Test\n    void refusesASecondVisit() {" in nested
    assert "void shouldParseTheWordToday()" in answers["public LocalDate parse(String text) {"]
    cancel = answers["public void cancel(String petName, LocalDate date) {"]
    assert "void given_a_booked_slot_when_cancelling_then_it_is_freed()" in cancel
    assert "void setUp()" in cancel
    for candidate in built.candidates:
        assert validate_output("write_test", candidate.output, "java") == [], candidate.output
    assert [r.reason for r in built.rejects] == [
        "unmatched_test: no method of 'VisitService' matches test 'should_have_a_description'"
    ]


def test_given_tests_of_overloads_when_matched_then_each_overload_gets_its_own_test():
    units, kinds, paths = _java_units()
    answers = _by_method(from_code.from_tests(units, kinds, paths, max_tests=3))
    assert (
        "findsTheFirstVisitOfAPet" in answers["public Optional<Visit> findVisit(String petName) {"]
    )
    two = "public Optional<Visit> findVisit(String petName, boolean unpaidOnly) {"
    assert "skipsPaidVisitsWhenAskedTo" in answers[two]  # by the call's two arguments
    three = "public Optional<Visit> findVisit(String petName, LocalDate from, LocalDate to) {"
    assert "findVisitLooksInsideTheDateRange" in answers[three]


FEES = """def fee_for(amount: int, rate: float) -> int:
    charged = round(amount * rate)
    floor = max(charged, 1)
    return floor
"""
FEE_TESTS = """import pytest

from ledger.fees import fee_for


@pytest.fixture
def rate():
    return 0.01


@pytest.fixture
def unused():
    return 2


def test_minimum_is_one_penny(rate):
    assert fee_for(10, rate) == 1


class TestFeeFor:
    def setup_method(self):
        self.amount = 250

    def test_rounds(self):
        assert fee_for(self.amount, 0.01) == 2
"""


def test_given_pytest_tests_when_matched_then_calls_and_fixtures_are_followed():
    found = {
        "fees.py": code_units.parse_python(FEES, "ledger.fees", "ledger/fees.py"),
        "test_fees.py": code_units.parse_python(FEE_TESTS, "tests.test_fees", "tests/test_fees.py"),
    }
    kinds = {"fees.py": "source", "test_fees.py": "test"}
    paths = {"fees.py": "ledger/fees.py", "test_fees.py": "tests/test_fees.py"}
    built = from_code.from_tests(found, kinds, paths, max_tests=3)
    (candidate,) = built.candidates
    assert built.rejects == []
    # test_minimum_is_one_penny names no function: it calls fee_for; test_rounds is named
    # after its class. The fixture it requests comes first, the one nobody requests does not.
    output = candidate.output
    assert "@pytest.fixture\ndef rate():\n    return 0.01" in output
    assert output.index("def rate():") < output.index("def test_minimum_is_one_penny(rate):")
    assert "def unused" not in output
    assert output.index("def setup_method(self):") < output.index("def test_rounds(self):")
    assert validate_output("write_test", output, "python") == []


def _script_contents() -> pd.DataFrame:
    """The newsroom fixture as step 1 keeps it: language and kind from step 1's rules."""
    root = FIXTURES / "newsroom"
    rows = []
    for file in sorted(root.rglob("*.[jt]s")):
        path = file.relative_to(root).as_posix()
        text = file.read_text(encoding="utf-8")
        language = classify.language_of(path, text)
        kind = classify.kind_of(path, language, text)
        rows.append((f"newsroom:{path}", "newsroom", path, kind, language, text))
    return pd.DataFrame(rows, columns=["asset_id", "source", "path", "kind", "language", "text"])


def test_given_typescript_and_javascript_when_read_then_both_tasks_get_records():
    contents = _script_contents()
    assert dict(zip(contents["path"], contents["kind"], strict=True)) == {
        "lib/cart.js": "source",
        "lib/cart.test.js": "test",
        "src/app/articles/__tests__/slug.test.ts": "test",
        "src/app/articles/article.service.spec.ts": "test",
        "src/app/articles/article.service.ts": "source",
        "src/app/articles/slug.ts": "source",
    }
    units, rejects = from_code.parse_code(contents)
    assert rejects == [] and len(units) == 6
    kinds = dict(zip(contents["asset_id"], contents["kind"], strict=True))
    paths = dict(zip(contents["asset_id"], contents["path"], strict=True))
    sources = from_code.from_sources(units, kinds, min_body_lines=3, classes_per_record=3)
    implement = {c.method: c for c in sources.candidates if c.task == "implement_method"}
    assert sorted(implement) == ["add", "isSlug", "publish", "slugify", "tagged", "total"]
    assert implement["publish"].language == "typescript"
    assert implement["publish"].input.startswith("app.articles.ArticleService(ArticleStore")
    assert implement["add"].language == "javascript"
    tests = from_code.from_tests(units, kinds, paths, max_tests=3)
    assert tests.rejects == []
    answers = {
        c.input.splitlines()[0 if not c.input.startswith("/**") else 1]: c for c in tests.candidates
    }
    assert len(answers) == 7
    publish = answers["publish(article: Article): Observable<Article> {"]
    assert publish.output.startswith("let service: ArticleService;\n\nlet store:")
    assert "beforeEach(() => {" in publish.output
    assert "it('should publish a draft under its slug'" in publish.output
    find = answers["findBySlug(slug: string): Article | undefined {"].output
    assert "it('gives nothing back for an unknown slug'" in find  # by the call only
    slug = answers["export function slugify(title: string, separator = '-'): string {"].output
    assert slug.startswith("test('turns a title into words joined by dashes'")
    assert "it('charges tax on the total'" in answers["function total(cart) {"].output
    for candidate in [*implement.values(), *tests.candidates]:
        problems = validate_output(
            candidate.task, candidate.output, candidate.language, candidate.method
        )
        assert problems == [], (candidate.method, problems)
