"""Named schemas of OpenAPI 3 / Swagger 2 specs as PlantUML classes, per operation."""

from __future__ import annotations

from pathlib import Path

from tasks.dsl import plantuml
from tasks.dsl.api_openapi import read_document
from tasks.dsl.api_schemas import SchemaModel

FIXTURES = Path(__file__).parent / "fixtures"

OPENAPI_DIAGRAM = """@startuml
class NewStandingOrder {
  -amount : Number
  -currency : String
  -firstPayment : Date
  -payee : Payee
}
class Payee {
  -name : String
  -iban : String
}
class StandingOrder {
  -id : String
  -createdAt : DateTime
  -paused : Boolean
}
NewStandingOrder <|-- StandingOrder
NewStandingOrder --> Payee
@enduml"""


def _model(name: str) -> SchemaModel:
    return SchemaModel(read_document((FIXTURES / name).read_text("utf-8")))


def test_given_openapi3_with_refs_and_all_of_when_modelled_then_the_diagram_matches_golden():
    model = _model("openapi3.yaml")
    used = model.operation_schemas()
    assert used[("Standing Orders", "/standing-orders", "POST")] == {
        "NewStandingOrder", "StandingOrder",
    }  # fmt: skip
    classes = model.closure(used[("Standing Orders", "/standing-orders", "POST")])
    diagram = plantuml.render_class_diagram([model.unit(name) for name in classes])
    assert diagram == OPENAPI_DIAGRAM
    assert plantuml.validate(diagram) == []


def test_given_error_and_default_responses_when_modelled_then_only_success_bodies_count():
    used = _model("openapi3.yaml").operation_schemas()
    assert used[("Payees", "/payees", "GET")] == {"Payee"}  # `default` is the only response
    assert "Error" not in set().union(*used.values())  # the error envelope is not the model


def test_given_swagger2_definitions_when_modelled_then_body_parameters_and_arrays_count():
    model = _model("swagger2.json")
    used = model.operation_schemas()
    assert used[("pet", "/pets", "POST")] == {"Pet"}
    pet = model.unit("Pet")
    assert ("category", "Category") in pet.fields and ("tags", "List<String>") in pet.fields
    assert model.closure({"Pet"}) == ["Category", "Pet"]


def test_given_enums_scalar_aliases_and_one_of_when_modelled_then_types_follow_the_schema():
    spec = {
        "openapi": "3.0.3",
        "components": {"schemas": {
            "Status": {"type": "string", "enum": ["OPEN", "CLOSED", None]},
            "Currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
            "Card": {"type": "object", "properties": {"last4": {"type": "string"}}},
            "Iban": {"type": "object", "properties": {"iban": {"type": "string"}}},
            "Account": {"type": "object", "properties": {
                "status": {"$ref": "#/components/schemas/Status"},
                "currency": {"$ref": "#/components/schemas/Currency"},
                "method": {"oneOf": [{"$ref": "#/components/schemas/Card"},
                                     {"$ref": "#/components/schemas/Iban"}]},
                "limits": {"type": "object", "properties": {"daily": {"type": "number"}}},
            }},
        }},
    }  # fmt: skip
    model = SchemaModel(spec)
    assert model.unit("Status").kind == "enum"
    assert [name for name, _ in model.unit("Status").fields] == ["OPEN", "CLOSED"]
    assert model.unit("Account").fields == [
        ("status", "Status"), ("currency", "String"), ("method", "Card | Iban"),
        ("limits", "Object"),
    ]  # fmt: skip
    assert model.closure({"Account"}) == ["Account", "Card", "Iban", "Status"]
    diagram = plantuml.render_class_diagram([model.unit(n) for n in model.closure({"Account"})])
    assert "Account --> Card" in diagram and "Account --> Iban" in diagram
    assert plantuml.validate(diagram) == []
