"""Code units from Java and Python, the class summary format, and method/test checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from tasks.dsl import code_units
from tasks.dsl.code_units import ClassUnit, CodeParseError

FIXTURES = Path(__file__).parent / "fixtures"
JAVA = (FIXTURES / "StandingOrderService.java").read_text(encoding="utf-8")
JAVA_TEST = (FIXTURES / "StandingOrderServiceTest.java").read_text(encoding="utf-8")
PYTHON = (FIXTURES / "payments.py.txt").read_text(encoding="utf-8")

JAVA_SUMMARY = """com.acme.payments.service.StandingOrderService(StandingOrderRepository, Clock)
- fields: repository:StandingOrderRepository, clock:Clock, history:Map<String, List<Long>>
- methods: create(CreateStandingOrderRequest): StandingOrder, pause(String, LocalDate): void, \
page(List<T>, int...): List<T>"""

CREATE_SOURCE = """/**
 * Creates a standing order from the request.
 */
@Transactional
public StandingOrder create(CreateStandingOrderRequest request) {
    StandingOrder order = new StandingOrder(request, clock.instant());
    return repository.save(order);
}"""

PYTHON_SUMMARIES = [
    "acme.payments.Status()\n- fields: ACTIVE:Status, PAUSED:Status\n- methods:",
    "acme.payments.Payee(str, str, list[str])\n"
    "- fields: name:str, iban:str, aliases:list[str], checked:bool\n- methods:",
    "acme.payments.StandingOrderService(StandingOrderRepository, clock, *extra)\n"
    "- fields: limit:int, repository:StandingOrderRepository, clock:Any, payees:list[Payee], "
    "_paused:Any\n"
    "- methods: paused(): int, pause(str, date): None, _audit(Any): None",
    "acme.payments()\n- fields:\n"
    "- methods: make_service(Any, Any): StandingOrderService, parse_amount(str, bool): float",
]

PAUSE_SOURCE = '''def pause(self, order_id: str, until: date) -> None:
    """Pause the order until the given day."""
    order = self.repository.get(order_id)
    order.pause(until)
    self._paused += 1'''


def _by_name(units: list[ClassUnit]) -> dict[str, ClassUnit]:
    return {unit.name: unit for unit in units}


def test_given_a_java_class_when_parsed_then_the_summary_matches_golden():
    service = _by_name(code_units.parse_java(JAVA, "StandingOrderService.java"))
    unit = service["StandingOrderService"]
    assert (unit.kind, unit.bases) == ("class", ["AbstractService<StandingOrder>", "Pausable"])
    assert unit.source_path == "StandingOrderService.java"
    assert code_units.render_summary(unit) == JAVA_SUMMARY


def test_given_a_java_method_with_javadoc_and_annotation_when_parsed_then_source_includes_them():
    unit = code_units.parse_java(JAVA)[0]
    create = unit.methods[0]
    assert create.source == CREATE_SOURCE
    assert create.params == [("request", "CreateStandingOrderRequest")]
    assert (create.returns, create.body_lines, create.is_test) == ("StandingOrder", 2, False)
    assert JAVA.splitlines()[create.start_line - 1].strip() == "@Transactional"
    page = unit.methods[2]
    assert page.params == [("items", "List<T>"), ("bounds", "int...")]
    assert page.visibility == "protected"


def test_given_nested_enum_and_record_when_parsed_then_they_are_units_of_their_own():
    units = _by_name(code_units.parse_java(JAVA))
    status = units["StandingOrderService.Status"]
    assert (status.kind, status.fields) == (
        "enum",
        [("ACTIVE", "StandingOrderService.Status"), ("PAUSED", "StandingOrderService.Status")],
    )
    assert [m.name for m in status.methods] == ["isActive"]
    window = units["StandingOrderService.Window"]
    assert (window.kind, window.ctor_params) == ("record", ["LocalDate", "LocalDate"])
    assert window.fields == [("from", "LocalDate"), ("to", "LocalDate")]


def test_given_a_java_interface_when_parsed_then_methods_are_public_and_bases_are_extended():
    source = "interface Pausable extends Named, Comparable<Order> {\n    int LIMIT = 3;\n"
    [unit] = code_units.parse_java(source + "    void pause(String id);\n}\n")
    assert (unit.kind, unit.bases) == ("interface", ["Named", "Comparable<Order>"])
    assert unit.fields == []  # interface constants are static
    assert (unit.methods[0].visibility, unit.methods[0].body_lines) == ("public", 0)


def test_given_java_tests_when_parsed_then_test_methods_are_marked_and_left_out_of_summary():
    [unit] = code_units.parse_java(JAVA_TEST)
    assert [(m.name, m.is_test) for m in unit.methods] == [
        ("createStoresTheOrder", True),
        ("pauseKeepsTheOrder", True),
        ("sample", False),
    ]
    assert code_units.render_summary(unit).endswith("- methods: sample(): StandingOrder")


def test_given_java_with_a_syntax_error_when_parsed_then_the_error_names_the_line():
    with pytest.raises(CodeParseError, match=r"A.java: syntax error at line 3"):
        code_units.parse_java("class A {\n  void f() {\n    int x = ;\n  }\n}\n", "A.java")


def test_given_a_python_module_when_parsed_then_summaries_match_golden():
    units = code_units.parse_python(PYTHON, "acme.payments", "acme/payments.py")
    assert [unit.kind for unit in units] == ["enum", "class", "class", "module"]
    assert [code_units.render_summary(unit) for unit in units] == PYTHON_SUMMARIES


def test_given_a_python_method_when_parsed_then_source_docstring_and_decorators_are_kept():
    units = _by_name(code_units.parse_python(PYTHON, "acme.payments"))
    pause = next(m for m in units["StandingOrderService"].methods if m.name == "pause")
    assert pause.source == PAUSE_SOURCE
    assert (pause.body_lines, pause.returns, pause.params) == (
        3,
        "None",
        [("order_id", "str"), ("until", "date")],
    )
    parse_amount = next(m for m in units["payments"].methods if m.name == "parse_amount")
    assert parse_amount.source.startswith("@cache\ndef parse_amount(")
    assert PYTHON.splitlines()[parse_amount.start_line - 1] == "@cache"
    assert [m.name for m in units["payments"].methods if m.is_test] == ["test_parse_amount"]


def test_given_python_with_a_syntax_error_when_parsed_then_the_error_names_the_line():
    with pytest.raises(CodeParseError, match=r"bad.py: syntax error at line 2"):
        code_units.parse_python("def f():\n    return (\n", "bad", "bad.py")


def test_given_empty_members_when_summarised_then_lines_are_trimmed():
    unit = ClassUnit("java", "", "Empty", [], [], [], [], "class", "")
    assert code_units.render_summary(unit) == "Empty()\n- fields:\n- methods:"


@pytest.mark.parametrize(
    "summary", [JAVA_SUMMARY, *PYTHON_SUMMARIES, "Empty()\n- fields:\n- methods:\n"]
)
def test_given_rendered_summaries_when_validated_then_there_are_no_problems(summary):
    assert code_units.validate_summary(summary) == []


BROKEN_SUMMARIES = [
    (
        "no-parentheses",
        "com.acme.Service\n- fields:\n- methods:",
        "line 1",
        "must be 'qualified.Name(Type, ...)'",
    ),
    ("bad-name", "com..Service()\n- fields:\n- methods:", "line 1", "must be 'qualified.Name"),
    (
        "unbalanced-generic",
        "Service(Map<String, List<Long>)\n- fields:\n- methods:",
        "line 1",
        "unbalanced brackets",
    ),
    ("empty-ctor-type", "Service(String, )\n- fields:\n- methods:", "line 1", "has an empty type"),
    ("missing-methods", "Service()\n- fields: a:String", "line 3", "missing the '- methods:' line"),
    (
        "field-without-colon",
        "Service()\n- fields: repository Repo\n- methods:",
        "line 2",
        "item 'repository Repo' must be 'name:Type'",
    ),
    (
        "field-label",
        "Service()\n- field: a:String\n- methods:",
        "line 2",
        "must start with '- fields:'",
    ),
    ("no-space", "Service()\n- fields:a:String\n- methods:", "line 2", "followed by a space"),
    (
        "method-without-return",
        "Service()\n- fields:\n- methods: run(String)",
        "line 3",
        "item 'run(String)' must be 'name(Types): Return'",
    ),
    (
        "method-bad-generic",
        "Service()\n- fields:\n- methods: run(List<String): void",
        "line 3",
        "unbalanced brackets",
    ),
    ("extra-line", "Service()\n- fields:\n- methods:\nmore text", "line 4", "unexpected line"),
]


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [case[1:] for case in BROKEN_SUMMARIES],
    ids=[case[0] for case in BROKEN_SUMMARIES],
)
def test_given_a_broken_summary_when_validated_then_the_reason_is_reported(text, where, message):
    problems = code_units.validate_summary(text)
    assert any(p.where == where and message in p.message for p in problems), problems


def test_given_every_parsed_method_when_validated_then_it_is_a_valid_method():
    for unit in code_units.parse_java(JAVA) + code_units.parse_python(PYTHON, "acme.payments"):
        for method in unit.methods:
            assert code_units.validate_method(method.source, unit.language, method.name) == []


@pytest.mark.parametrize(
    ("code", "language", "name", "expected"),
    [
        (
            "public int add(int a, int b) {\n    return a + b\n}",
            "java",
            "add",
            ["line 2: syntax error: missing ';'"],
        ),
        (
            "public int add(int a, int b) {\n    return a + b;\n",
            "java",
            "add",
            ["line 2: syntax error: missing '}'"],
        ),
        (
            "void f() {\n  int x = 1;\n  return x +* 2;\n}",
            "java",
            None,
            ["line 3: syntax error near '+'"],
        ),
        (
            "public int add(int a, int b) { return a + b; }",
            "java",
            "sub",
            ["code: no method named 'sub' (found: add)"],
        ),
        ("private int count = 0;", "java", None, ["code: no method declaration found"]),
        (
            "class Calc { int add(int a, int b) { return a + b; } }",
            "java",
            "add",
            ["code: no method declaration found; found class declaration"],
        ),
        (
            "def add(a, b)\n    return a + b",
            "python",
            "add",
            ["line 1: syntax error: expected ':'"],
        ),
        (
            "def sub(a, b):\n    return a - b",
            "python",
            "add",
            ["line 1: function is named 'sub', expected 'add'"],
        ),
        (
            "x = 1\n\ndef add(a, b):\n    return a + b",
            "python",
            "add",
            ["line 1: unexpected top-level statement 'x = 1'; only the method is expected"],
        ),
        (
            "def a():\n    pass\n\ndef b():\n    pass",
            "python",
            None,
            ["code: expected exactly one top-level function, found 2"],
        ),
        (
            "fn add() {}",
            "rust",
            None,
            [
                "language: unsupported language 'rust'; "
                "expected java, python, typescript or javascript"
            ],
        ),
    ],
)
def test_given_an_invalid_method_when_validated_then_problems_name_the_line(
    code, language, name, expected
):
    assert [str(p) for p in code_units.validate_method(code, language, name)] == expected


@pytest.mark.parametrize(
    ("code", "language"),
    [
        ("    def add(self, a: int) -> int:\n        return a\n", "python"),
        ("import math\n\n@cache\nasync def add(a, b):\n    return math.fsum([a, b])", "python"),
        ('@Override\npublic String toString() {\n    return "x";\n}', "java"),
        ("public Order(String id) {\n    this.id = id;\n}", "java"),
        ("void f() {\n    record Point(int x, int y) {}\n}", "java"),
    ],
)
def test_given_a_valid_method_when_validated_then_there_are_no_problems(code, language):
    assert code_units.validate_method(code, language) == []


@pytest.mark.parametrize(
    ("code", "language", "expected"),
    [
        ("def test_add():\n    assert add(1, 2) == 3", "python", []),
        (
            "def test_rejects():\n    with pytest.raises(ValueError):\n        add(None, 1)",
            "python",
            [],
        ),
        (
            "class T(unittest.TestCase):\n    def test_x(self):\n        self.assertEqual(1, 1)",
            "python",
            [],
        ),
        (
            "def check_add():\n    assert add(1, 2) == 3",
            "python",
            ["code: no test function (a function named test*)"],
        ),
        (
            "def test_add():\n    add(1, 2)",
            "python",
            ["code: no assertion (assert statement or pytest.raises)"],
        ),
        ("def test_add(:\n    pass", "python", ["line 1: syntax error: invalid syntax"]),
        ("@Test\nvoid adds() {\n    assertEquals(3, calc.add(1, 2));\n}", "java", []),
        ("@Test\nvoid saves() {\n    verify(repository).save(order);\n}", "java", []),
        ("@ParameterizedTest\nvoid adds(int a) {\n    assertThat(a).isPositive();\n}", "java", []),
        (
            "@Test\nvoid adds() {\n    calc.add(1, 2);\n}",
            "java",
            ["code: no assertion (assert*, assertThat, assertThrows, verify* or andExpect call)"],
        ),
        (
            '@Test\nvoid gets() throws Exception {\n    mvc.perform(get("/a"))'
            ".andExpect(status().isOk());\n}",
            "java",
            [],
        ),
        (
            "void adds() {\n    assertEquals(3, calc.add(1, 2));\n}",
            "java",
            ["code: no method annotated @Test or @ParameterizedTest"],
        ),
        (
            "@Test\nvoid adds() {\n    assertEquals(3, calc.add(1, 2);\n}",
            "java",
            ["line 3: syntax error: missing ')'"],
        ),
    ],
)
def test_given_test_code_when_validated_then_structure_is_checked(code, language, expected):
    assert [str(p) for p in code_units.validate_test(code, language)] == expected


def test_given_a_whole_java_test_class_when_validated_then_it_is_accepted():
    assert code_units.validate_test(JAVA_TEST, "java") == []
    [unit] = code_units.parse_java(JAVA_TEST)
    for method in unit.methods[:1]:
        assert code_units.validate_test(method.source, "java") == []


def test_given_a_method_with_a_string_at_column_0_when_parsed_then_its_source_still_parses():
    text = 'class A:\n    def f(self):\n        x = """\ntop level text\n"""\n        return x\n'
    (unit,) = code_units.parse_python(text, "m")
    source = unit.methods[0].source
    assert source == 'def f(self):\n    x = """\ntop level text\n"""\n    return x'
    assert code_units.validate_method(source, "python", "f") == []
