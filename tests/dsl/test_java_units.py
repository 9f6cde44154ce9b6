"""Java units beyond the basics: Lombok-generated members, what tests call, their set-up."""

from __future__ import annotations

from pathlib import Path

import pytest

from tasks.dsl import code_units
from tasks.dsl.code_units import ClassUnit

FIXTURES = Path(__file__).parent / "fixtures" / "vetclinic"


def _unit(file: str, name: str | None = None) -> ClassUnit:
    units = code_units.parse_java((FIXTURES / file).read_text(encoding="utf-8"), file)
    return next(u for u in units if name is None or u.name == name)


@pytest.mark.parametrize(
    ("file", "summary"),
    [
        (  # @Data: a required-args constructor (final and @NonNull fields), getters, setters
            "Visit.java",
            "org.acme.vetclinic.visits.Visit(String, LocalDate, String)\n"
            "- fields: petName:String, date:LocalDate, description:String, paid:boolean, "
            "reminders:int\n"
            "- methods: getPetName(): String, getDate(): LocalDate, getDescription(): String, "
            "setDescription(String): void, isPaid(): boolean, setPaid(boolean): void, "
            "getReminders(): int, setReminders(int): void",
        ),
        (  # @Value @Builder: all-args constructor, getters only, builder()
            "Invoice.java",
            "org.acme.vetclinic.billing.Invoice(String, BigDecimal, boolean)\n"
            "- fields: number:String, amount:BigDecimal, settled:boolean\n"
            "- methods: getNumber(): String, getAmount(): BigDecimal, isSettled(): boolean, "
            "builder(): InvoiceBuilder",
        ),
        (  # @Getter @Setter @NoArgs/@AllArgsConstructor; @Setter(NONE); a declared getter wins
            "Vet.java",
            "org.acme.vetclinic.vets.Vet(Long, String, List<String>, boolean)\n"
            "- fields: id:Long, name:String, specialties:List<String>, isAway:boolean\n"
            "- methods: getName(): String, getId(): Long, setName(String): void, "
            "getSpecialties(): List<String>, setSpecialties(List<String>): void, "
            "isAway(): boolean, setAway(boolean): void",
        ),
        (  # @RequiredArgsConstructor on a Spring service: its final dependencies
            "VisitService.java",
            "org.acme.vetclinic.visits.VisitService(VisitRepository, Clock)\n"
            "- fields: visits:VisitRepository, clock:Clock, scheduled:int\n"
            "- methods: schedule(String, LocalDate, String): Visit, cancel(String, LocalDate): "
            "void, parse(String): LocalDate",
        ),
    ],
    ids=["data", "value-builder", "getter-setter", "required-args"],
)
def test_given_lombok_annotations_when_summarised_then_generated_members_are_listed(file, summary):
    unit = _unit(file)
    assert code_units.render_summary(unit) == summary
    assert code_units.validate_summary(summary) == []
    assert all(m.source == "" and m.body_lines == 0 for m in unit.generated)


def test_given_data_with_a_declared_constructor_when_summarised_then_no_other_is_claimed():
    source = (
        "@lombok.Data\nclass Owner {\n    private final String name;\n    private int pets;\n"
        "    Owner(String name, int pets) {\n        this.name = name;\n        this.pets = pets;\n"
        "    }\n}\n"
    )
    [unit] = code_units.parse_java(source)
    assert unit.ctor_params == ["String", "int"]
    assert [m.name for m in unit.generated] == ["getName", "getPets", "setPets"]


def test_given_a_class_without_lombok_when_parsed_then_nothing_is_generated():
    unit = _unit("VisitBook.java")
    assert unit.generated == [] and unit.ctor_params == []


def test_given_test_methods_when_parsed_then_calls_are_resolved_through_fields_and_locals():
    unit = _unit("VisitServiceTest.java", "VisitServiceTest")
    tests = {m.name: m for m in unit.methods if m.is_test}
    schedule = tests["should_schedule_visit_given_free_slot"].calls
    assert ("VisitService", "schedule", 3) in schedule  # a field of the class under test
    assert ("VisitRepository", "findByPetNameAndDate", 2) in schedule  # a mock, not the subject
    assert ("", "verify", 1) in schedule  # a static import
    cancel = tests["given_a_booked_slot_when_cancelling_then_it_is_freed"].calls
    assert [c for c in cancel if c[0] == "VisitService"] == [("VisitService", "cancel", 2)]
    book = _unit("VisitBookTest.java")
    calls = [m.calls for m in book.methods if m.name == "skipsPaidVisitsWhenAskedTo"][0]
    assert ("Visit", "setPaid", 1) in calls  # a local variable's type
    assert [c for c in calls if c[1] == "findVisit"] == [("VisitBook", "findVisit", 2)]


def test_given_a_test_class_when_parsed_then_tests_carry_the_before_each_set_up():
    outer = _unit("VisitServiceTest.java", "VisitServiceTest")
    [set_up] = [m for m in outer.methods if m.is_setup]
    assert set_up.name == "setUp" and not set_up.is_test
    test = next(m for m in outer.methods if m.is_test)
    assert test.setup == [set_up.source] and test.context == ()
    assert set_up.source.startswith("@BeforeEach\nvoid setUp() {")


def test_given_a_nested_test_class_when_parsed_then_it_sees_the_outer_fields_and_set_up():
    nested = _unit("VisitServiceTest.java", "VisitServiceTest.WhenTheSlotIsTaken")
    [test] = [m for m in nested.methods if m.is_test]
    assert test.context == ("WhenTheSlotIsTaken",)
    assert [s.split("\n")[1] for s in test.setup] == ["void setUp() {", "void bookTheSlot() {"]
    assert ("VisitService", "schedule", 3) in test.calls  # `service` is the outer class's field


def test_given_overloads_when_signed_then_the_signature_names_each_one():
    unit = _unit("VisitBook.java")
    signatures = [code_units.signature(m, "java") for m in unit.methods if m.name == "findVisit"]
    assert signatures == [
        "findVisit(String petName)",
        "findVisit(String petName, boolean unpaidOnly)",
        "findVisit(String petName, LocalDate from, LocalDate to)",
    ]


def test_given_test_code_with_a_nested_class_when_validated_then_it_is_read_as_members():
    code = (
        "@BeforeEach\nvoid setUp() {\n    service = new VisitService(visits, clock);\n}\n\n"
        "@Nested\nclass WhenAway {\n    @Test\n    void refuses() {\n"
        '        assertThat(service.parse("x")).isNull();\n    }\n}'
    )
    assert code_units.validate_test(code, "java") == []
    assert code_units.syntax_valid(code, "java")
    broken = code.replace("isNull();", "isNull(;")
    assert [p.where for p in code_units.validate_test(broken, "java")] == ["line 10"]
