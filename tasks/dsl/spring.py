"""API operations read from Spring `@RestController` classes, for API tables without a spec.

Paths come from `@RequestMapping` on the class and `@GetMapping` & co. on the methods;
parameters from `@PathVariable`, `@RequestParam`, `@RequestHeader` and `@RequestBody`; bodies
from the DTO classes among the assets; success codes from `@ResponseStatus` or the
`ResponseEntity` builder the method returns; error codes from the `@ExceptionHandler` methods of
a `@RestControllerAdvice` for the exceptions the operation can raise (a `@Valid` body, or a
`throw` in the controller or in the methods of injected services it calls).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from http import HTTPStatus

from tree_sitter import Node

from tasks.dsl.api_cells import Operation, request_cell, response_cells
from tasks.dsl.code_model import ClassUnit
from tasks.dsl.java_units import JAVA_PARSER, annotations, type_text
from tasks.dsl.restful import plural_noun
from tasks.dsl.spring_types import NO_BODY, SCALAR_TYPES, JavaTypes, split_generic

_MAPPINGS = {
    "GetMapping": "GET",
    "PostMapping": "POST",
    "PutMapping": "PUT",
    "PatchMapping": "PATCH",
    "DeleteMapping": "DELETE",
    "RequestMapping": "",
}
_LOCATIONS = {"PathVariable": "path", "RequestParam": "query", "RequestHeader": "header"}
_BUILDER_CODES = {"created": 201, "accepted": 202, "noContent": 204, "ok": 200}
# `throw new X(`, and exceptions made for `orElseThrow(() -> new XException(...))` or `X::new`.
_THROW = re.compile(
    r"\bthrow\s+new\s+([\w.]+)\s*\(|\bnew\s+([\w.]+(?:Exception|Error))\s*\("
    r"|\b([\w.]+(?:Exception|Error))::new\b"
)
_CALL = re.compile(r"\b(?:(\w+)\s*\.\s*)?(\w+)\s*\(")
_VALIDATION_ERROR = "MethodArgumentNotValidException"
_MAX_CALLS = 200  # methods followed per operation: enough for a service layer, bounded


@dataclass
class Controller:
    asset_id: str
    name: str
    section: str
    summary: str
    operations: list[Operation]
    assets: set[str] = field(default_factory=set)  # every asset the table draws from


def _text(node: Node | None) -> str:
    return node.text.decode("utf-8", "replace") if node is not None and node.text else ""


def _annotation_nodes(node: Node) -> dict[str, Node]:
    modifiers = next((c for c in node.children if c.type == "modifiers"), None)
    found = {}
    for child in modifiers.children if modifiers is not None else []:
        if child.type in ("annotation", "marker_annotation"):
            found[_text(child.child_by_field_name("name")).rsplit(".", 1)[-1]] = child
    return found


def _arguments(annotation: Node) -> dict[str, list[Node]]:
    """Annotation arguments by key ("value" for the bare one), arrays flattened."""
    holder = annotation.child_by_field_name("arguments")
    found: dict[str, list[Node]] = {}
    for child in holder.named_children if holder is not None else []:
        key, value = "value", child
        if child.type == "element_value_pair":
            key, value = _text(child.child_by_field_name("key")), child.child_by_field_name("value")
        values = (
            value.named_children if value.type == "element_value_array_initializer" else [value]
        )
        found.setdefault("value" if key == "path" else key, []).extend(values)
    return found


def _values(annotation: Node) -> list[str]:
    return [_text(node) for node in _arguments(annotation).get("value", [])]


def _strings(nodes: list[Node]) -> list[str]:
    return [_text(n)[1:-1] for n in nodes if n.type == "string_literal"]


def _status(names: list[str]) -> int | None:
    """The first HTTP status among names such as `HttpStatus.CREATED`, `CREATED` or `201`."""
    codes = (_status_name(name.rsplit(".", 1)[-1]) for name in names)
    return next((code for code in codes if code), None)


def _join(base: str, path: str) -> str:
    joined = "/" + "/".join(part for part in f"{base}/{path}".split("/") if part)
    return re.sub(r"\{(\w+):[^{}]*\}", r"{\1}", joined)  # `{id:\d+}` -> `{id}`


def _doc_sentence(node: Node) -> str:
    doc = node.prev_named_sibling
    if doc is None or doc.type != "block_comment" or not _text(doc).startswith("/**"):
        return ""
    lines = [re.sub(r"^\s*/?\*+/?\s?", "", line) for line in _text(doc).splitlines()]
    text = " ".join(line for line in lines if line.strip() and not line.lstrip().startswith("@"))
    text = re.sub(r"\{@\w+\s+([^}]*)\}", r"\1", " ".join(text.replace("*/", "").split()))
    return re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0].rstrip(".").strip()


def _words(name: str) -> str:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name).lower()
    return spaced[:1].upper() + spaced[1:]


class _Project:
    """The Java classes of the assets: DTOs, services, exceptions and the error advice."""

    def __init__(self, units: dict[str, list[ClassUnit]]) -> None:
        self.asset_of: dict[str, str] = {}
        classes: dict[str, ClassUnit] = {}
        for asset_id, file_units in units.items():
            for unit in file_units:
                if unit.language == "java":
                    classes.setdefault(unit.name, unit)
                    self.asset_of.setdefault(unit.name, asset_id)
        self.types = JavaTypes(classes)
        # exception -> status code, error body, assets the body draws from (advice, DTOs)
        self.handlers: dict[str, tuple[int, str | None, set[str]]] = {}

    def add_advice(self, asset_id: str, body: Node) -> None:
        for method in (m for m in body.named_children if m.type == "method_declaration"):
            found = _annotation_nodes(method)
            if "ExceptionHandler" not in found:
                continue
            response_status = found.get("ResponseStatus")
            code = _status(_values(response_status)) if response_status else None
            code = code or _status(re.findall(r"HttpStatus\.\w+", _text(method))) or 500
            returns = self.types.unwrap(type_text(method.child_by_field_name("type")))
            self.types.used.clear()
            body_type = None if returns in NO_BODY else self.types.render(returns)
            assets = {asset_id} | {self.asset_of[name] for name in self.types.used}
            exceptions = [
                _text(n.named_children[0]).rsplit(".", 1)[-1]
                for n in _arguments(found["ExceptionHandler"]).get("value", [])
                if n.type == "class_literal"
            ]
            for exception in exceptions:
                self.handlers.setdefault(exception, (code, body_type, assets))

    def handler_for(self, exception: str) -> tuple[int, str | None, set[str]] | None:
        seen: set[str] = set()
        while exception and exception not in seen:
            seen.add(exception)
            if exception in self.handlers:
                return self.handlers[exception]
            unit = self.types.lookup(exception)
            exception = unit.bases[0].rsplit(".", 1)[-1] if unit and unit.bases else ""
        return None

    def thrown(
        self, source: str, owner: ClassUnit, seen: set[tuple[str, str]] | None = None
    ) -> set[str]:
        """Exceptions a method body can throw, following calls into the classes it uses."""
        seen = set() if seen is None else seen
        found = {next(g for g in match if g).rsplit(".", 1)[-1] for match in _THROW.findall(source)}
        fields = dict(owner.fields)
        for target, name in sorted(set(_CALL.findall(source))):
            unit = owner if target in ("", "this") else None
            if target in fields:
                unit = self.types.lookup(fields[target])
            if unit is None or (unit.name, name) in seen or len(seen) >= _MAX_CALLS:
                continue
            seen.add((unit.name, name))
            for called in (m for m in unit.methods if m.name == name):
                found |= self.thrown(called.source, unit, seen)
        return found


def _mapping(method: Node) -> tuple[str, str] | None:
    """(HTTP method, path) of a handler method's mapping annotation, None when it has none."""
    for name, verb in _MAPPINGS.items():
        if annotation := _annotation_nodes(method).get(name):
            arguments = _arguments(annotation)
            if not verb:
                verbs = [_text(n).rsplit(".", 1)[-1] for n in arguments.get("method", [])]
                verb = verbs[0] if verbs else "GET"
            return verb, (_strings(arguments.get("value", [])) or [""])[0]
    return None


def _request(method: Node, project: _Project, near: str) -> tuple[str, bool]:
    parts: dict[str, dict[str, str]] = {"path": {}, "query": {}, "header": {}}
    body, validated = None, False
    holder = method.child_by_field_name("parameters")
    for parameter in holder.named_children if holder is not None else []:
        if parameter.type != "formal_parameter":
            continue
        found = _annotation_nodes(parameter)
        kind = type_text(parameter.child_by_field_name("type"))
        name = _text(parameter.child_by_field_name("name"))
        if "RequestBody" in found:
            body = project.types.render(kind, near)
            validated = "Valid" in found or "Validated" in found
            continue
        location = next((_LOCATIONS[a] for a in found if a in _LOCATIONS), None)
        if location is None and split_generic(kind)[0] == "Pageable":
            parts["query"] |= {"page": "Integer", "size": "Integer", "sort": "String"}
        if location is None and not found and kind in SCALAR_TYPES:
            location = "query"  # Spring binds an unannotated simple parameter from the query
        if location is not None:
            arguments = (
                _arguments(found[next(a for a in found if a in _LOCATIONS)]) if found else {}
            )
            label = (_strings(arguments.get("value", []) + arguments.get("name", [])) or [name])[0]
            parts[location][label] = project.types.render(kind, near)
    return request_cell(parts, body), validated


def _success_codes(method: Node) -> list[int]:
    found = _annotation_nodes(method)
    if status := found.get("ResponseStatus"):
        return [_status(_values(status)) or 200]
    body = _text(method.child_by_field_name("body"))
    codes = [_BUILDER_CODES[m] for m in re.findall(r"ResponseEntity\s*\.\s*(\w+)\s*\(", body)
             if m in _BUILDER_CODES]  # fmt: skip
    statuses = re.findall(r"ResponseEntity\s*\.\s*status\s*\(\s*(?:HttpStatus\.)?(\w+)", body)
    codes += [code for name in statuses if (code := _status_name(name))]
    return sorted(set(codes)) or [200]


def _status_name(name: str) -> int | None:
    if name.isdigit():
        return int(name)
    return HTTPStatus[name].value if name in HTTPStatus.__members__ else None


def _operation(
    method: Node, mapping: tuple[str, str], controller: ClassUnit, base: str, project: _Project
) -> tuple[Operation, set[str]]:
    verb, path = mapping
    near = controller.name
    request, validated = _request(method, project, near)
    returns = project.types.unwrap(type_text(method.child_by_field_name("type")))
    body = None if returns in NO_BODY else project.types.render(returns, near)
    bodies: dict[int, str | None] = {
        code: None if code == 204 else body for code in _success_codes(method)
    }
    source = _text(method.child_by_field_name("body"))
    raised = project.thrown(source, controller)
    if validated:
        raised.add(_VALIDATION_ERROR)
    assets: set[str] = set()
    # The services an operation calls only tell which errors it can raise; the advice and the
    # error DTO give the error cells their text, so they feed the table.
    for exception in sorted(raised):
        if handler := project.handler_for(exception):
            code, error_body, handler_assets = handler
            bodies.setdefault(code, error_body)
            assets |= handler_assets
    name = _text(method.child_by_field_name("name"))
    response, errors = response_cells(bodies)
    operation = Operation(
        section=_section(controller.name),
        path=_join(base, path),
        method=verb,
        description=_doc_sentence(method) or _words(name),
        request=request,
        response=response,
        errors=errors,
    )
    return operation, assets


def _section(name: str) -> str:
    words = _words(re.sub(r"(Rest)?Controller$", "", name) or name).split()
    return " ".join(w.title() for w in [*words[:-1], plural_noun(words[-1].lower())])


def controllers(sources: dict[str, str], units: dict[str, list[ClassUnit]]) -> list[Controller]:
    """The REST controllers among Java sources (asset id -> text), with their operations."""
    project = _Project(units)
    parsed = {
        asset_id: JAVA_PARSER.parse(text.encode("utf-8")).root_node
        for asset_id, text in sources.items()
        if "Controller" in text
    }
    declarations = [
        (asset_id, node)
        for asset_id, root in parsed.items()
        for node in root.named_children
        if node.type == "class_declaration"
    ]
    for asset_id, node in declarations:
        if {"RestControllerAdvice", "ControllerAdvice"} & set(annotations(node)):
            project.add_advice(asset_id, node.child_by_field_name("body"))
    found = []
    for asset_id, node in declarations:
        marks = set(annotations(node))
        if "RestController" not in marks and not {"Controller", "ResponseBody"} <= marks:
            continue
        unit = project.types.lookup(_text(node.child_by_field_name("name")))
        if unit is None:
            continue
        project.types.used.clear()
        mapping = _annotation_nodes(node).get("RequestMapping")
        base = (_strings(_arguments(mapping).get("value", [])) or [""])[0] if mapping else ""
        summary = _doc_sentence(node)
        controller = Controller(asset_id, unit.name, _section(unit.name), summary, [], {asset_id})
        for method in node.child_by_field_name("body").named_children:
            mapping = _mapping(method) if method.type == "method_declaration" else None
            if mapping is not None:
                operation, assets = _operation(method, mapping, unit, base, project)
                controller.operations.append(operation)
                controller.assets |= assets
        controller.assets |= {project.asset_of[name] for name in project.types.used}
        if controller.operations:
            found.append(controller)
    return found
