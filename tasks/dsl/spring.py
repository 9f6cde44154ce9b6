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
from tasks.dsl.java_units import (
    JAVA_PARSER,
    annotation_nodes,
    annotation_values,
    annotations,
    type_text,
)
from tasks.dsl.restful import plural_noun
from tasks.dsl.spring_bodies import Bodies, Outcome
from tasks.dsl.spring_types import NO_BODY, SCALAR_TYPES, JavaTypes, JsonShape, split_generic

# Request-mapping annotations -> their HTTP method ("": from `method = RequestMethod.X`).
MAPPINGS = {
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


def _values(annotation: Node) -> list[str]:
    return [_text(node) for node in annotation_values(annotation).get("value", [])]


def _strings(nodes: list[Node]) -> list[str]:
    return [_text(n)[1:-1] for n in nodes if n.type == "string_literal"]


def _status(names: list[str]) -> int | None:
    """The first HTTP status among names such as `HttpStatus.CREATED`, `CREATED` or `201`."""
    codes = (_status_name(name.rsplit(".", 1)[-1]) for name in names)
    return next((code for code in codes if code), None)


def join_path(base: str, path: str) -> str:
    """A class mapping and a method mapping as one path: `/news` + `{id}` -> `/news/{id}`."""
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


_TYPE_DECLARATIONS = ("class_declaration", "record_declaration", "enum_declaration")
# Annotations that change what the tables say about a class (or that mark a controller).
_MARKERS = re.compile(
    r"Controller|@JsonRootName|@JsonSerialize|@ResponseStatus|@Json(Property|Ignore)"
)
_STATUS_TOKEN = re.compile(r"\b(?:HttpStatus\.)?([A-Z][A-Z_]*[A-Z])\b")


def _declarations(root: Node, outer: str = "") -> list[tuple[str, Node]]:
    """(qualified name `Outer.Inner`, node) of every class, record and enum in a tree."""
    found = []
    for node in root.named_children:
        if node.type in _TYPE_DECLARATIONS:
            name = f"{outer}.{_text(node.child_by_field_name('name'))}".lstrip(".")
            found.append((name, node))
            body = node.child_by_field_name("body")
            if body is not None:
                found += _declarations(body, name)
        elif node.type in ("class_body", "enum_body_declarations"):
            found += _declarations(node, outer)
    return found


def _static_imports(root: Node) -> set[str]:
    """HttpStatus constants a file imports statically (`*` for all of them)."""
    names = set()
    for node in root.named_children:
        written = _text(node) if node.type == "import_declaration" else ""
        static = re.match(r"import\s+static\b", written)
        if static and (match := re.search(r"\bHttpStatus\s*\.\s*(\*|\w+)\s*;", written)):
            names.add(match[1])
    return names


def root_wrapping(texts: list[str]) -> tuple[bool, bool]:
    """(UNWRAP_ROOT_VALUE, WRAP_ROOT_VALUE) enabled in Spring settings or Java configuration."""
    unwrap = wrap = False
    for text in texts:
        flat = re.sub(r"[-_]", "", text.lower())  # relaxed binding: unwrap-root-value, ...
        unwrap |= bool(re.search(r"\bunwraprootvalue\s*[:=]\s*true\b", flat))
        wrap |= bool(re.search(r"(?<![a-z])wraprootvalue\s*[:=]\s*true\b", flat))
        for name, enabled in (("UNWRAP_ROOT_VALUE", "unwrap"), ("WRAP_ROOT_VALUE", "wrap")):
            on = re.search(
                rf"\b(?:enable|featuresToEnable)\s*\([^;]*?\b{name}\b"
                rf"|\bconfigure\s*\(\s*(?:\w+\.)*{name}\s*,\s*true\b",
                text,
            )
            if on and enabled == "unwrap":
                unwrap = True
            elif on:
                wrap = True
    return unwrap, wrap


def _field_annotations(node: Node) -> list[tuple[str, dict[str, Node]]]:
    """(field name, its annotations) of a class's fields and a record's components."""
    found = []
    if node.type == "record_declaration":
        holder = node.child_by_field_name("parameters")
        for parameter in holder.named_children if holder is not None else []:
            name = _text(parameter.child_by_field_name("name"))
            found.append((name, annotation_nodes(parameter)))
    body = node.child_by_field_name("body")
    for member in body.named_children if body is not None else []:
        if member.type == "field_declaration":
            marks = annotation_nodes(member)
            for declarator in member.children_by_field_name("declarator"):
                found.append((_text(declarator.child_by_field_name("name")), marks))
    return found


class _Project:
    """The Java classes of the assets: DTOs, services, exceptions and the error advice."""

    def __init__(
        self,
        units: dict[str, list[ClassUnit]],
        parsed: dict[str, Node],
        settings: dict[str, str],
        sources: dict[str, str],
    ) -> None:
        self.asset_of: dict[str, str] = {}
        classes: dict[str, ClassUnit] = {}
        for asset_id, file_units in units.items():
            for unit in file_units:
                if unit.language == "java":
                    classes.setdefault(unit.name, unit)
                    self.asset_of.setdefault(unit.name, asset_id)
        shape = JsonShape()
        self.declarations: dict[str, Node] = {}
        self.static_statuses: dict[str, set[str]] = {}  # asset -> HttpStatus static imports
        # exception class -> the status its class-level @ResponseStatus gives
        self.exception_status: dict[str, int] = {}
        for asset_id, root in parsed.items():
            self.static_statuses[asset_id] = _static_imports(root)
            for name, node in _declarations(root):
                self.declarations.setdefault(name, node)
                self._read_annotations(name, node, shape)
        self.types = JavaTypes(classes, shape)
        self.bodies = Bodies(self.types, self.declarations)
        self.unwrap_requests, self.wrap_responses = root_wrapping(
            [*settings.values(), *sources.values()]
        )
        self.setting_assets = {
            asset_id for asset_id, text in settings.items() if any(root_wrapping([text]))
        }
        # exception -> status code, error body, assets the body draws from (advice, DTOs)
        self.handlers: dict[str, tuple[int, str | None, set[str]]] = {}

    def _read_annotations(self, name: str, node: Node, shape: JsonShape) -> None:
        marks = annotation_nodes(node)
        if root := marks.get("JsonRootName"):
            value = _strings(annotation_values(root).get("value", []))
            if value:
                shape.root_names[name] = value[0]
        if (serialize := marks.get("JsonSerialize")) and "using" in annotation_values(serialize):
            shape.opaque.add(name)
        if status := marks.get("ResponseStatus"):
            arguments = annotation_values(status)
            code = _status(
                [_text(n) for n in arguments.get("value", []) + arguments.get("code", [])]
            )
            if code:
                self.exception_status[name] = code
        for field_name, field_marks in _field_annotations(node):
            if "JsonIgnore" in field_marks:
                shape.ignored.setdefault(name, set()).add(field_name)
            if prop := field_marks.get("JsonProperty"):
                wire = _strings(annotation_values(prop).get("value", []))
                if wire and wire[0]:
                    shape.renamed.setdefault(name, {})[field_name] = wire[0]

    def success_body(self, type_text: str, near: str) -> str:
        """A response body in the table's notation, wrapped in its root name when configured."""
        return self.types.render_body(type_text, near, self.wrap_responses)

    def advice_status(self, asset_id: str, method: Node, outcomes: list[Outcome]) -> int:
        """The status an exception handler answers with: its @ResponseStatus, the status its
        return builds, else the first `HttpStatus.X` (or statically imported `X`) it names."""
        found = annotation_nodes(method)
        if status := found.get("ResponseStatus"):
            arguments = annotation_values(status)
            nodes = arguments.get("value", []) + arguments.get("code", [])
            if code := _status([_text(n) for n in nodes]):
                return code
        if code := next((o.status for o in outcomes if o.status), None):
            return code
        imported = self.static_statuses.get(asset_id, set())
        for match in _STATUS_TOKEN.finditer(_text(method.child_by_field_name("body"))):
            qualified = match[0].startswith("HttpStatus.")
            if (qualified or "*" in imported or match[1] in imported) and (
                code := _status_name(match[1])
            ):  # fmt: skip
                return code
        return 500

    def add_advice(self, asset_id: str, node: Node) -> None:
        advice = self.types.lookup(_text(node.child_by_field_name("name")))
        overrides = "ResponseEntityExceptionHandler" in {
            split_generic(base)[0].rsplit(".", 1)[-1] for base in (advice.bases if advice else [])
        }  # fmt: skip
        body = node.child_by_field_name("body")
        for method in (m for m in body.named_children if m.type == "method_declaration"):
            found = annotation_nodes(method)
            name = _text(method.child_by_field_name("name"))
            if "ExceptionHandler" in found:
                exceptions = [
                    _text(n.named_children[0]).rsplit(".", 1)[-1]
                    for n in annotation_values(found["ExceptionHandler"]).get("value", [])
                    if n.type == "class_literal"
                ] or [  # without a value, the handler's exception parameters say what it handles
                    split_generic(kind)[0].rsplit(".", 1)[-1]
                    for kind in _parameter_types(method)
                    if re.search(r"(Exception|Error|Throwable)$", kind)
                ]
            elif overrides and "Override" in found and re.fullmatch(r"handle[A-Z]\w+", name):
                # ResponseEntityExceptionHandler's handleMethodArgumentNotValid & co.
                exceptions = [name.removeprefix("handle") + "Exception"]
            else:
                continue
            self.types.used.clear()
            owner = advice or ClassUnit("java", "", "", [], [], [], [], "class")
            outcomes = self.bodies.outcomes(method, owner)
            code = self.advice_status(asset_id, method, outcomes)
            returns = self.types.unwrap(type_text(method.child_by_field_name("type")))
            body_type = None
            if returns not in NO_BODY:
                if self.types.informative(returns, owner.name):
                    body_type = self.types.render(returns, owner.name)
                else:
                    known = [o.body for o in outcomes if o.body and self.types.informative(o.body)]
                    body_type = self.types.render(known[0] if known else returns, owner.name)
            assets = {asset_id} | {self.asset_of[n] for n in self.types.used if n in self.asset_of}
            for exception in exceptions:
                self.handlers.setdefault(exception, (code, body_type, assets))

    def handler_for(self, exception: str) -> tuple[int, str | None, set[str]] | None:
        """Status, body and assets of the answer to an exception: an advice's handler for it
        or a superclass, else a class-level @ResponseStatus on it or a superclass (no body)."""
        chain, seen = [], set()
        while exception and exception not in seen:
            seen.add(exception)
            chain.append(exception)
            unit = self.types.lookup(exception)
            exception = unit.bases[0].rsplit(".", 1)[-1] if unit and unit.bases else ""
        for name in chain:
            if name in self.handlers:
                return self.handlers[name]
        for name in chain:
            if name in self.exception_status:
                assets = {self.asset_of[name]} if name in self.asset_of else set()
                return self.exception_status[name], None, assets
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
    for name, verb in MAPPINGS.items():
        if annotation := annotation_nodes(method).get(name):
            arguments = annotation_values(annotation)
            if not verb:
                verbs = [_text(n).rsplit(".", 1)[-1] for n in arguments.get("method", [])]
                verb = verbs[0] if verbs else "GET"
            return verb, (_strings(arguments.get("value", [])) or [""])[0]
    return None


def _parameter_types(method: Node) -> list[str]:
    holder = method.child_by_field_name("parameters")
    return [
        type_text(p.child_by_field_name("type"))
        for p in (holder.named_children if holder is not None else [])
        if p.type == "formal_parameter"
    ]


def _request(method: Node, project: _Project, near: str) -> tuple[str, bool]:
    parts: dict[str, dict[str, str]] = {"path": {}, "query": {}, "header": {}}
    body, validated = None, False
    holder = method.child_by_field_name("parameters")
    for parameter in holder.named_children if holder is not None else []:
        if parameter.type != "formal_parameter":
            continue
        found = annotation_nodes(parameter)
        kind = type_text(parameter.child_by_field_name("type"))
        name = _text(parameter.child_by_field_name("name"))
        if "RequestBody" in found:
            body = project.types.render_body(kind, near, project.unwrap_requests)
            validated = "Valid" in found or "Validated" in found
            continue
        location = next((_LOCATIONS[a] for a in found if a in _LOCATIONS), None)
        if location is None and split_generic(kind)[0] == "Pageable":
            parts["query"] |= {"page": "Integer", "size": "Integer", "sort": "String"}
        if location is None and not found and kind in SCALAR_TYPES:
            location = "query"  # Spring binds an unannotated simple parameter from the query
        if location is not None:
            arguments = (
                annotation_values(found[next(a for a in found if a in _LOCATIONS)]) if found else {}
            )
            label = (_strings(arguments.get("value", []) + arguments.get("name", [])) or [name])[0]
            parts[location][label] = project.types.render(kind, near)
    # With a BindingResult parameter the handler itself decides what invalid input answers.
    if {"BindingResult", "Errors"} & set(_parameter_types(method)):
        validated = False
    return request_cell(parts, body), validated


def _annotated_status(method: Node) -> int | None:
    if status := annotation_nodes(method).get("ResponseStatus"):
        return _status(_values(status)) or 200
    return None


def _explicit_codes(method: Node) -> list[int]:
    """Status codes the `ResponseEntity` builders in a handler's body name."""
    body = _text(method.child_by_field_name("body"))
    codes = [_BUILDER_CODES[m] for m in re.findall(r"ResponseEntity\s*\.\s*(\w+)\s*\(", body)
             if m in _BUILDER_CODES]  # fmt: skip
    statuses = re.findall(r"ResponseEntity\s*\.\s*status\s*\(\s*(?:HttpStatus\.)?(\w+)", body)
    codes += [code for name in statuses if (code := _status_name(name))]
    return sorted(set(codes))


def _status_name(name: str) -> int | None:
    if name.isdigit():
        return int(name)
    return HTTPStatus[name].value if name in HTTPStatus.__members__ else None


def _bodies(method: Node, controller: ClassUnit, project: _Project) -> dict[int, str | None]:
    """Status code -> body of what a handler answers itself (not its exceptions)."""
    near = controller.name
    declared = project.types.unwrap(type_text(method.child_by_field_name("type")))
    outcomes = project.bodies.outcomes(method, controller)
    annotated = _annotated_status(method)
    codes = set(_explicit_codes(method)) | {o.status for o in outcomes if o.status}
    if annotated:
        codes = {annotated} | {code for code in codes if code >= 400}
    if not annotated and (not any(code < 400 for code in codes) or any(
        o.status is None for o in outcomes
    )):  # fmt: skip
        codes.add(200)  # a plain return value (or none) answers 200
    default = annotated or 200
    bodies: dict[int, str | None] = {}
    for code in sorted(codes):
        said = [
            o.body
            for o in outcomes
            if (o.status == code or (o.status is None and code == default)) and o.body
            and project.types.informative(o.body, near)
        ]  # fmt: skip
        matching = [
            o for o in outcomes if o.status == code or (o.status is None and code == default)
        ]
        built_empty = bool(matching) and all(o.status and o.body is None for o in matching)
        if code == 204 or (built_empty and not project.types.informative(declared, near)):
            bodies[code] = None  # `ResponseEntity.ok().build()`: no body
        elif code >= 400:
            bodies[code] = project.types.render(said[0], near) if said else None
        elif declared in NO_BODY:
            bodies[code] = None
        elif project.types.informative(declared, near) or not said:
            bodies[code] = project.success_body(declared, near)
        else:
            bodies[code] = project.success_body(said[0], near)
    return bodies


def _operation(
    method: Node, mapping: tuple[str, str], controller: ClassUnit, base: str, project: _Project
) -> tuple[Operation, set[str]]:
    verb, path = mapping
    request, validated = _request(method, project, controller.name)
    bodies = _bodies(method, controller, project)
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
        path=join_path(base, path),
        method=verb,
        description=_doc_sentence(method) or _words(name),
        request=request,
        response=response,
        errors=errors,
    )
    return operation, assets


def _section(name: str) -> str:
    stem = re.sub(r"(Rest)?(Controller|Api|Resource|Endpoints?)$", "", name) or name
    words = _words(stem).split()
    last = words[-1].lower()
    plural = last if last.endswith("s") and not last.endswith("ss") else plural_noun(last)
    return " ".join(w.title() for w in [*words[:-1], plural])


def controllers(
    sources: dict[str, str],
    units: dict[str, list[ClassUnit]],
    settings: dict[str, str] | None = None,
) -> list[Controller]:
    """The REST controllers among Java sources (asset id -> text), with their operations.

    `settings` (asset id -> text of `application.properties` / `.yml`) tell whether Jackson
    wraps bodies in their `@JsonRootName`; Java configuration among the sources counts too.
    """
    parsed = {
        asset_id: JAVA_PARSER.parse(text.encode("utf-8")).root_node
        for asset_id, text in sources.items()
        if _MARKERS.search(text)
    }
    project = _Project(units, parsed, settings or {}, sources)
    declarations = [
        (asset_id, node)
        for asset_id, root in parsed.items()
        for node in root.named_children
        if node.type == "class_declaration"
    ]
    for asset_id, node in declarations:
        if {"RestControllerAdvice", "ControllerAdvice"} & set(annotations(node)):
            project.add_advice(asset_id, node)
    found = []
    for asset_id, node in declarations:
        marks = set(annotations(node))
        if "RestController" not in marks and not {"Controller", "ResponseBody"} <= marks:
            continue
        unit = project.types.lookup(_text(node.child_by_field_name("name")))
        if unit is None:
            continue
        project.types.used.clear()
        project.types.wrapped = False
        mapping = annotation_nodes(node).get("RequestMapping")
        base = (_strings(annotation_values(mapping).get("value", [])) or [""])[0] if mapping else ""
        summary = _doc_sentence(node)
        controller = Controller(asset_id, unit.name, _section(unit.name), summary, [], {asset_id})
        for method in node.child_by_field_name("body").named_children:
            mapping = _mapping(method) if method.type == "method_declaration" else None
            if mapping is not None:
                operation, assets = _operation(method, mapping, unit, base, project)
                controller.operations.append(operation)
                controller.assets |= assets
        controller.assets |= {project.asset_of[name] for name in project.types.used}
        if project.types.wrapped:
            controller.assets |= project.setting_assets
        if controller.operations:
            found.append(controller)
    return found
