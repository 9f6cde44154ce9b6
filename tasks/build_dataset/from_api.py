"""Candidates from API descriptions: tables from specs and Spring controllers, and their models.

design_restful_api: a resource description (section, title, what each operation does) -> the
section's table, in chunks of a few operations; the table comes from an OpenAPI / Swagger /
Postman spec, or is generated in reverse from a Spring `@RestController` when no spec exists.
design_plantuml_datastructure (kind `.api`): a chunk's table -> the named schemas its bodies use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tasks.build_dataset.candidates import Built, Candidate, Reject, chunks
from tasks.dsl import api_table, plantuml, spring
from tasks.dsl.api_openapi import read_document
from tasks.dsl.api_schemas import SchemaModel
from tasks.dsl.code_units import ClassUnit

API = "design_restful_api"
DIAGRAM = "design_plantuml_datastructure"
# Spring Boot settings files (`application.properties`, `application-dev.yml`, `bootstrap.yaml`).
SPRING_SETTINGS = re.compile(
    r"(?:^|/)(?:application|bootstrap)(?:-[\w.-]+)?\.(?:properties|ya?ml)$"
)


@dataclass
class Section:
    """One resource of an API: its operations and the assets its table draws from."""

    name: str
    title: str
    operations: list[api_table.Operation]
    assets: tuple[str, ...]


def _operation_key(operation: api_table.Operation) -> tuple[str, str]:
    # Path parameter names differ between a spec and the code ({id} vs {orderId}).
    return operation.method, re.sub(r"\{[^{}]*\}", "{}", operation.path)


def describe(section: str, title: str, operations: list[api_table.Operation]) -> str:
    """The resource description a table is designed from: name, origin, what each op does."""
    capabilities = "\n".join(f"- {op.description}" for op in operations)
    return f"Resource: {section} ({title})\nCapabilities:\n{capabilities}"


def _table_candidate(section: Section, operations: list[api_table.Operation]) -> Candidate:
    return Candidate(
        task=API,
        input=describe(section.name, section.title, operations),
        output=api_table.render_table(operations),
        language="markdown",
        assets=section.assets,
    )


def spec_sections(asset_id: str, kind: str, text: str) -> tuple[list[Section], list[Reject]]:
    """The resource sections of an OpenAPI / Swagger / Postman spec (a reject when unreadable)."""
    try:
        spec = api_table.load_spec(text)
        operations = (
            api_table.operations_from_postman(spec)
            if kind == "postman"
            else api_table.operations_from_openapi(spec)
        )
    except Exception as exc:  # noqa: BLE001 - any parser failure becomes a recorded reject
        return [], [Reject(asset_id, API, f"unparseable spec: {exc}")]
    info = spec.get("info") or {}
    title = info.get("title") or info.get("name") or asset_id.rsplit("/", 1)[-1]
    grouped: dict[str, list[api_table.Operation]] = {}
    for operation in operations:
        grouped.setdefault(operation.section, []).append(operation)
    if not grouped:
        return [], [Reject(asset_id, API, "the spec has no operations")]
    # Each resource is a sub-asset of its own (`<asset>#<resource>`): one big spec's resources
    # can fall on both sides of the split, while everything drawn from one resource stays put.
    return [Section(name, title, ops, (f"{asset_id}#{name}",)) for name, ops in grouped.items()], []


def from_sections(sections: list[Section], ops_per_record: int) -> Built:
    """design_restful_api per chunk of `ops_per_record` operations of each section."""
    built = Built()
    for section in sections:
        for operations in chunks(section.operations, ops_per_record):
            built.candidates.append(_table_candidate(section, operations))
    return built


def api_diagrams(asset_id: str, text: str, sections: list[Section], ops_per_record: int) -> Built:
    """design_plantuml_datastructure from a table chunk: the named schemas its bodies use."""
    built = Built()
    try:
        model = SchemaModel(read_document(text))
    except api_table.SpecError as exc:
        built.rejects.append(Reject(asset_id, DIAGRAM, f"unparseable spec: {exc}"))
        return built
    if not model.schemas:
        return built  # Postman collections and specs without named schemas have no model
    used = model.operation_schemas()
    for section in sections:
        for operations in chunks(section.operations, ops_per_record):
            names: set[str] = set()
            for op in operations:
                names |= used.get((section.name, op.path, op.method), set())
            classes = model.closure(names)
            if not classes:
                continue
            units = [model.unit(name) for name in classes]
            built.candidates.append(
                Candidate(
                    task=DIAGRAM,
                    input=api_table.render_table(operations),
                    output=plantuml.render_class_diagram(units),
                    language="plantuml",
                    assets=section.assets,
                    kind=f"{DIAGRAM}.api",
                )
            )
    return built


def controller_sections(
    sources: dict[str, str],
    units: dict[str, list[ClassUnit]],
    specs: list[Section],
    settings: dict[str, str] | None = None,
) -> list[Section]:
    """Sections generated from Spring controllers; a controller a spec documents joins its group.

    When a spec describes some of the same operations, the controller's records share an asset
    with the spec's, so both land in the same split: the two tables are near-duplicates.
    `settings` are the Spring Boot settings files among the assets (`application.properties`,
    `application.yml`): they tell whether Jackson wraps bodies in their `@JsonRootName`.
    """
    documented: dict[tuple[str, str], str] = {}
    for section in specs:
        for operation in section.operations:
            documented.setdefault(_operation_key(operation), section.assets[0])
    sections = []
    for controller in spring.controllers(sources, units, settings):
        overlapping = {
            documented[key]
            for op in controller.operations
            if (key := _operation_key(op)) in documented
        }
        assets = (
            controller.asset_id,
            *sorted((controller.assets | overlapping) - {controller.asset_id}),
        )
        title = controller.summary or controller.name
        sections.append(Section(controller.section, title, controller.operations, assets))
    return sections
