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
    assert "+pause(str, date) : None" in diagram  # parameter types, as the summary states them
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


CLINIC_JAVA = {
    "Named.java": "package com.vet;\npublic interface Named {\n    String label();\n}\n",
    "Animal.java": "package com.vet;\npublic class Animal {\n    private String name;\n}\n",
    "Pet.java": """package com.vet;
public class Pet extends Animal implements Named, Comparable<Pet> {
    private Map<String, List<Visit>> visitsByVet;
    private Optional<Owner> owner;
    private Page<Tag> tags;
    public String label() { return "pet"; }
    public static Pet stray(String name) { return new Pet(); }
    int compareTo(Pet other) { return 0; }
}
""",
    "Visit.java": "package com.vet;\npublic record Visit(LocalDate on, String note) {\n}\n",
    "Owner.java": "package com.vet;\npublic class Owner {\n    private Set<Pet> pets;\n}\n",
    "Tag.java": "package com.vet;\npublic enum Tag {\n    CALM, BITES\n}\n",
    "OwnerRepository.java": """package com.vet;
public interface OwnerRepository extends Repository<Owner, Integer> {
    Page<Owner> findByName(String name, Pageable page);
}
""",
    "OwnerFormatter.java": """package com.vet;
public class OwnerFormatter implements Formatter<Owner> {
    public String print(Owner owner, Locale locale) { return ""; }
}
""",
}


def _clinic(*names: str) -> list[ClassUnit]:
    chosen = names or tuple(name.removesuffix(".java") for name in CLINIC_JAVA)
    units = [u for text in CLINIC_JAVA.values() for u in code_units.parse_java(text)]
    return [unit for unit in units if unit.name in chosen]


def test_given_a_group_when_summarised_then_kinds_supertypes_inside_it_and_statics_are_stated():
    units = _clinic("Named", "Animal", "Pet", "Visit", "Tag")
    by_name = {unit.name: unit for unit in units}
    assert plantuml.class_summary(by_name["Pet"], units).splitlines() == [
        "com.vet.Pet() extends Animal implements Named",  # Comparable<Pet> is no class of it
        "- fields: visitsByVet:Map<String, List<Visit>>, owner:Optional<Owner>, tags:Page<Tag>",
        "- methods: label(): String, static stray(String): Pet",  # compareTo is not public
    ]
    assert plantuml.class_summary(by_name["Pet"]).splitlines()[0] == "com.vet.Pet()"
    assert plantuml.class_summary(by_name["Named"]).splitlines()[0] == "interface com.vet.Named()"
    assert plantuml.class_summary(by_name["Visit"]).splitlines()[0] == (
        "record com.vet.Visit(LocalDate, String)"
    )
    assert plantuml.class_summary(by_name["Tag"]).splitlines()[1] == "- fields: CALM:Tag, BITES:Tag"


CLINIC_DIAGRAM = """@startuml
title com.vet
class Animal {
  -name : String
}
interface Named {
  +label() : String
}
class Owner {
  -pets : Set<Pet>
}
class Pet {
  -visitsByVet : Map<String, List<Visit>>
  -owner : Optional<Owner>
  -tags : Page<Tag>
  +label() : String
  {static} +stray(String) : Pet
}
enum Tag {
  CALM
  BITES
}
class Visit <<record>> {
  -on : LocalDate
  -note : String
}
Animal <|-- Pet
Named <|.. Pet
Owner --> "*" Pet
Pet --> "*" Tag
Pet --> "*" Visit
Pet --> Owner
@enduml"""


def test_given_generic_fields_and_a_static_method_when_drawn_then_the_diagram_matches_golden():
    units = _clinic("Named", "Animal", "Pet", "Visit", "Owner", "Tag")
    diagram = plantuml.render_class_diagram(units, title="com.vet")
    assert diagram == CLINIC_DIAGRAM
    assert plantuml.validate(diagram) == []
    summaries = "\n\n".join(plantuml.class_summary(unit, units) for unit in units)
    assert plantuml.derivation_problems(summaries, diagram) == []


def test_given_a_supertype_outside_the_diagram_when_its_arguments_are_inside_then_a_dependency():
    units = _clinic("Owner", "OwnerRepository", "OwnerFormatter")
    by_name = {unit.name: unit for unit in units}
    header = plantuml.class_summary(by_name["OwnerRepository"], units).splitlines()[0]
    assert header == "interface com.vet.OwnerRepository() extends Repository<Owner, Integer>"
    # A Java class lists superclass and interfaces alike: which word is true is not known.
    assert plantuml.class_summary(by_name["OwnerFormatter"], units).splitlines()[0] == (
        "com.vet.OwnerFormatter()"
    )
    diagram = plantuml.render_class_diagram(units)
    assert "OwnerRepository ..> Owner" in diagram and "OwnerFormatter ..>" not in diagram
    kinds = {(r.source, r.target): r.kind for r in plantuml.relations(units)}
    assert kinds == {("OwnerRepository", "Owner"): "dependency"}


def test_given_python_forward_references_and_class_methods_when_drawn_then_typed_as_written():
    text = """from dataclasses import dataclass, field


@dataclass
class Visit:
    note: str


@dataclass
class Pet:
    visits: list["Visit"] = field(default_factory=list)
    rival: "Pet | None" = None

    @classmethod
    def stray(cls) -> "Pet":
        return cls()

    @staticmethod
    def kinds() -> list[str]:
        return []

    def _touch(self) -> None:
        pass
"""
    units = code_units.parse_python(text, "vet.pets")
    pet = next(unit for unit in units if unit.name == "Pet")
    assert plantuml.class_summary(pet, units).splitlines()[1:] == [
        "- fields: visits:list[Visit], rival:Pet | None",
        "- methods: static stray(): Pet, static kinds(): list[str]",
    ]
    diagram = plantuml.render_class_diagram(units)
    assert "  -visits : list[Visit]\n" in diagram and "{static} +stray() : Pet" in diagram
    assert 'Pet --> "*" Visit' in diagram and "Pet --> Pet" in diagram
    assert "_touch" not in diagram


def test_given_a_diagram_stating_more_or_less_than_its_summaries_then_the_facts_are_named():
    units = _clinic("Animal", "Pet", "Owner")
    summaries = "\n\n".join(plantuml.class_summary(unit, units) for unit in units)
    diagram = plantuml.render_class_diagram(units, title="com.vet")
    assert plantuml.derivation_problems(summaries, diagram) == []
    # The old records: an inheritance arrow that no summary states.
    bare = summaries.replace(" extends Animal", "")
    assert [str(p) for p in plantuml.derivation_problems(bare, diagram)] == [
        "diagram: states what no summary does: extends Pet Animal"
    ]
    dropped = diagram.replace("  -pets : Set<Pet>\n", "").replace('Owner --> "*" Pet\n', "")
    assert [str(p) for p in plantuml.derivation_problems(summaries, dropped)] == [
        "diagram: leaves out: association Owner Pet True",
        "diagram: leaves out: field Owner pets Set<Pet>",
    ]
    outside = summaries.replace("extends Animal", "extends Creature")
    problems = plantuml.derivation_problems(outside, diagram)
    assert any(
        "supertype 'Creature' that is no class of the diagram" in p.message for p in problems
    )


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
        CLINIC_DIAGRAM,
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
