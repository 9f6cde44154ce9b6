"""PlantUML class diagrams: rendering from class units, structural validation, real PlantUML."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from tasks.dsl import code_units, plantuml
from tasks.dsl.code_units import ClassUnit, MethodUnit
from tasks.dsl.problems import Problem
from tests.support import REPO

FIXTURES = Path(__file__).parent / "fixtures"

PAYMENTS_JAVA = {
    "Payee.java": "package com.acme;\npublic class Payee {\n    private String iban;\n}\n",
    "Named.java": "package com.acme;\npublic interface Named {\n    String name();\n}\n",
    "Order.java": (
        "package com.acme;\npublic abstract class Order {\n    protected Money amount;\n}\n"
    ),
    "StandingOrder.java": """package com.acme;
public class StandingOrder extends Order implements Named, Comparable<StandingOrder> {
    private List<Payee> payees;
    private Optional<Payee> primary;
    private Status status;
    public String name() { return "order"; }
    void internal() {}
    private static int counter;
}
""",
    "Status.java": "package com.acme;\npublic enum Status {\n    ACTIVE, PAUSED\n}\n",
}

PAYMENTS_DIAGRAM = """@startuml
title com.acme
interface Named {
  +name() : String
}
class Order {
  -amount : Money
}
class Payee {
  -iban : String
}
class StandingOrder {
  -payees : List<Payee>
  -primary : Optional<Payee>
  -status : Status
  +name() : String
}
enum Status {
  ACTIVE
  PAUSED
}
Named <|.. StandingOrder
Order <|-- StandingOrder
StandingOrder --> "*" Payee
StandingOrder --> Payee
StandingOrder --> Status
@enduml"""


def _units() -> list[ClassUnit]:
    return [unit for text in PAYMENTS_JAVA.values() for unit in code_units.parse_java(text)]


def test_given_java_classes_when_rendered_then_the_diagram_matches_golden():
    assert plantuml.render_class_diagram(_units(), title="com.acme") == PAYMENTS_DIAGRAM


def test_given_units_in_any_order_when_rendered_then_output_is_the_same():
    units = _units()
    random.Random(7).shuffle(units)
    assert plantuml.render_class_diagram(units, title="com.acme") == PAYMENTS_DIAGRAM


def test_given_python_units_when_rendered_then_private_and_test_methods_are_hidden():
    text = (FIXTURES / "payments.py.txt").read_text(encoding="utf-8")
    units = [u for u in code_units.parse_python(text, "acme.payments") if u.kind != "module"]
    diagram = plantuml.render_class_diagram(units)
    assert "+pause(order_id : str, until : date) : None" in diagram
    assert "_audit" not in diagram and "__repr__" not in diagram and "__init__" not in diagram
    assert 'StandingOrderService --> "*" Payee' in diagram
    assert "title" not in diagram


def test_given_nested_classes_when_rendered_then_namespace_separator_is_turned_off():
    units = code_units.parse_java((FIXTURES / "StandingOrderService.java").read_text("utf-8"))
    diagram = plantuml.render_class_diagram(units, title="com.acme.payments.service")
    assert diagram.splitlines()[1] == "set namespaceSeparator none"
    assert "class StandingOrderService.Window <<record>> {" in diagram


def test_given_hand_built_units_when_rendered_then_they_validate():
    method = MethodUnit("run", [("when", "Date")], "void", "", 1, False, 1)
    units = [
        ClassUnit("java", "", "Job", ["Runnable"], [], [("steps", "Step[]")], [method], "class"),
        ClassUnit("java", "", "Step", [], [], [("next", "Step")], [], "class"),
        ClassUnit("java", "", "Runnable", [], [], [], [method], "interface"),
    ]
    diagram = plantuml.render_class_diagram(units)
    assert 'Job --> "*" Step' in diagram and "Step --> Step" in diagram
    assert "Runnable <|.. Job" in diagram
    assert plantuml.validate(diagram) == []


RICH_DIAGRAM = """@startuml
' a comment
/' a block
   comment '/
title Payments
skinparam classAttributeIconSize 0
skinparam class {
  BackgroundColor White
}
hide empty members
left to right direction
package com.acme {
  abstract class Base
  class Order <<Entity>> {
    -id : String
    +{static} of(id : String) : Order
    {abstract} +total() : Money
    String currency
    --
    +pause(until : LocalDate) : void
  }
  enum Status {
    ACTIVE,
    PAUSED
  }
}
class "Money Amount" as Money
note right of Order : the aggregate
note "free text" as N1
note as N2
  a longer note
end note
Base <|-- Order
Order "1" *-- "*" Money : amount >
Order o-- Status
Order ..> Money
Order -up-> Base
N1 .. Order
@enduml"""


@pytest.mark.parametrize("diagram", [PAYMENTS_DIAGRAM, RICH_DIAGRAM])
def test_given_a_valid_diagram_when_validated_then_there_are_no_problems(diagram):
    assert plantuml.validate(diagram) == []


BROKEN_DIAGRAMS = [
    ("missing-enduml", "@startuml\nclass A\n", "line 2", "must end with @enduml"),
    ("missing-startuml", "class A\n@enduml", "line 1", "must start with @startuml"),
    ("empty", "\n\n", "diagram", "is empty"),
    (
        "unclosed-brace",
        "@startuml\nclass A {\n  -x : int\n@enduml",
        "line 2",
        "'{' of class 'A' is never closed",
    ),
    (
        "brace-not-closed-before-next",
        "@startuml\nclass A {\n  -x : int\nclass B {\n}\n@enduml",
        "line 4",
        "'{' of 'A' (line 2) is not closed before this line",
    ),
    ("extra-closing-brace", "@startuml\nclass A\n}\n@enduml", "line 3", "'}' without an open '{'"),
    (
        "unclosed-package",
        "@startuml\npackage p {\nclass A\n@enduml",
        "line 2",
        "'{' of package 'package p' is never closed",
    ),
    (
        "undeclared-class",
        "@startuml\nclass A\nA --> B\n@enduml",
        "line 3",
        "relationship uses undeclared class 'B'",
    ),
    (
        "undeclared-both",
        "@startuml\nclass A\nC <|-- D : x\n@enduml",
        "line 3",
        "relationship uses undeclared class 'C'",
    ),
    ("no-class", "@startuml\ntitle Nothing\n@enduml", "diagram", "declares no class"),
    (
        "unknown-statement",
        "@startuml\nclass A\nA has many B\n@enduml",
        "line 3",
        "unrecognised statement 'A has many B'",
    ),
    (
        "bad-member",
        "@startuml\nclass A {\n  +run(a : T : R\n}\n@enduml",
        "line 3",
        "unrecognised member '+run(a : T : R' in the body of 'A'",
    ),
    (
        "note-not-closed",
        "@startuml\nclass A\nnote as N1\n  text\n@enduml",
        "diagram",
        "a note block is never closed",
    ),
    (
        "text-after-enduml",
        "@startuml\nclass A\n@enduml\nclass B\n@enduml",
        "line 3",
        "text follows @enduml",
    ),
]


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [case[1:] for case in BROKEN_DIAGRAMS],
    ids=[case[0] for case in BROKEN_DIAGRAMS],
)
def test_given_a_broken_diagram_when_validated_then_the_reason_is_reported(text, where, message):
    problems = plantuml.validate(text)
    assert any(p.where == where and message in p.message for p in problems), problems


def test_given_no_plantuml_installed_when_validating_with_it_then_a_clear_error_is_raised(
    monkeypatch, tmp_path
):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("PLANTUML_JAR", raising=False)
    assert plantuml.plantuml_available() is False
    with pytest.raises(plantuml.PlantUmlUnavailable, match="PlantUML is not installed"):
        plantuml.validate_with_plantuml(PAYMENTS_DIAGRAM)


requires_plantuml = pytest.mark.skipif(
    not plantuml.plantuml_available(),
    reason="PlantUML is not installed: `apt-get install plantuml` (Debian: 1.2020, needs Java), "
    "or PLANTUML_JAR=/path/to/plantuml.jar with `java` on PATH",
)
# Diagrams both checkers must reject; the structural checker's reasons are tested above.
AGREED_BROKEN = {
    "unclosed-brace": "@startuml\nclass A {\n  -x : int\n@enduml",
    "extra-closing-brace": "@startuml\nclass A\n}\n@enduml",
    "unknown-statement": "@startuml\nclass A\nA has many B\n@enduml",
    "note-not-closed": "@startuml\nclass A\nnote as N1\n  text\n@enduml",
    "missing-enduml": "@startuml\nclass A\n",
    "empty": "\n",
    "dangling-arrow": "@startuml\nclass A\nA <|--\n@enduml",
    "arrow-without-left": "@startuml\nclass A\n--> A\n@enduml",
    "open-stereotype": "@startuml\nclass A <<\n@enduml",
    "unclosed-skinparam": "@startuml\nclass A\nskinparam foo {\n@enduml",
    "double-brace": "@startuml\nclass A {{\n}\n@enduml",
    "unclosed-quote": '@startuml\nclass "A\n@enduml',
    "empty-relation-label": "@startuml\nclass A\nclass B\nA -- B :\n@enduml",
    "closing-brace-twice": "@startuml\nclass A {\n  -x : int\n}}\n@enduml",
}
# What PlantUML tolerates (it creates undeclared classes, takes any text as a member) but the
# training format does not: the structural checker is stricter by design.
STRICTER = {
    "undeclared-class": "@startuml\nclass A\nA --> B\n@enduml",
    "missing-startuml": "class A\n@enduml",
    "no-class": "@startuml\ntitle Nothing\n@enduml",
    "bad-member": "@startuml\nclass A {\n  +run(a : T : R\n}\n@enduml",
    "unclosed-package": "@startuml\npackage p {\nclass A\n@enduml",
    "keyword-typo": "@startuml\nclas A\n@enduml",
}


def _agreement_valid() -> list[str]:
    samples = sorted((REPO / "samples" / "models").glob("*.puml"))
    return [
        PAYMENTS_DIAGRAM,
        RICH_DIAGRAM,
        plantuml.render_class_diagram(_units(), title="com.acme"),
        "@startuml\nenum E {\n  X\n  Y\n}\ninterface I\nclass C\nI <|.. C\n@enduml",
        *(path.read_text("utf-8") for path in samples),
    ]


@requires_plantuml
def test_given_the_agreement_set_when_checked_by_both_then_they_agree_on_every_diagram():
    texts = _agreement_valid() + list(AGREED_BROKEN.values())
    real = plantuml.validate_many_with_plantuml(texts)
    disagreements = [
        (text[:60], found, plantuml.validate(text))
        for text, found in zip(texts, real, strict=True)
        if bool(found) != bool(plantuml.validate(text))
    ]
    assert disagreements == []
    assert sum(bool(found) for found in real) == len(AGREED_BROKEN)


@requires_plantuml
def test_given_diagrams_plantuml_tolerates_when_checked_then_only_the_structural_check_fails():
    real = plantuml.validate_many_with_plantuml(list(STRICTER.values()))
    assert [name for name, found in zip(STRICTER, real, strict=True) if found] == []
    assert all(plantuml.validate(text) for text in STRICTER.values())


@requires_plantuml
def test_given_a_broken_diagram_when_checked_by_plantuml_then_lines_are_those_of_the_text():
    text = "' a comment first\n@startuml\nclass A\nA has many B\n@enduml"
    assert plantuml.validate_with_plantuml(text) == [Problem("line 4", "plantuml: Syntax Error?")]
    batch = plantuml.validate_many_with_plantuml([PAYMENTS_DIAGRAM, text, "@startuml\nclass A\n"])
    assert batch[0] == [] and batch[1] == plantuml.validate_with_plantuml(text)
    assert batch[2] == [Problem("diagram", "plantuml: no @enduml closes the diagram")]
