"""Candidates from Spring code: controllers, services, their MockMvc tests and data classes.

- implementation_spring_controller: the API table of a controller's operations (as
  from_api renders them, in chunks of `api_operations_per_record`) and the services the handlers
  call, as Java interfaces of their public signatures -> the controller slice: the class with
  its annotations, fields, constructor, and only those handlers (their source as written);
- implementation_spring_service: the service's public signatures as an interface and the Spring
  Data repositories it uses (their source) -> the service slice with one public method (and the
  private methods it calls);
- implementation_controller_test: the controller slice of the handlers a test exercises (its
  `perform(get("/.."))` requests matched to the handlers' mappings) -> the test class slice:
  annotations, fields, set-up, and up to `max_tests_per_record` of those tests;
- design_plantuml_java_datastructure: the Java source of a group of related data classes of one
  package (entities, records, enums, exceptions; no Spring beans, no interfaces), bodies and
  comments elided -> their class diagram, grouped and drawn as class_groups does.

Records must fit `max_record_tokens` by estimate: the richest variant that fits is kept
(full service interfaces before the called methods only, Javadoc before none), and what fits in
no variant is a reject saying so. Slices drop the package and imports.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass

from tree_sitter import Node

from tasks.build_dataset import class_groups, from_api
from tasks.build_dataset.assets import ParsedAssets
from tasks.build_dataset.candidates import Built, Candidate, Reject, chunks
from tasks.dsl import api_table, plantuml, spring_code
from tasks.dsl.code_model import ClassUnit
from tasks.dsl.java_units import (
    SETUP_ANNOTATIONS,
    TEST_ANNOTATIONS,
    annotation_nodes,
    annotations,
    javadoc,
)
from tasks.params import BuildDatasetParams

CONTROLLER = "implementation_spring_controller"
SERVICE = "implementation_spring_service"
CONTROLLER_TEST = "implementation_controller_test"
DIAGRAM = "design_plantuml_java_datastructure"
# Characters per token of the base model's tokenizer on these records: 3.8 at least, 4.9 the
# median on the samples' Spring records (SmolLM2, measured with build_dataset's token counter),
# so 4.0 with class_groups' prompt estimate (110 tokens, more than it takes) never came out
# short there; the build's filter counts the real tokens and rejects what is still too long.
CHARS_PER_TOKEN = 4.0
# Beans and configuration: no data structure to draw (they feed the other tasks).
_BEANS = frozenset(
    {
        "RestController",
        "Controller",
        "RestControllerAdvice",
        "ControllerAdvice",
        "Service",
        "Component",
        "Repository",
        "Configuration",
        "SpringBootApplication",
    }
)
_TYPES = ("class_declaration", "interface_declaration", "enum_declaration", "record_declaration")
_TEST_SETUP = frozenset({*SETUP_ANNOTATIONS, "BeforeAll", "AfterEach", "After", "AfterAll"})
_TEST_CONFIG = frozenset({"TestConfiguration", "Configuration"})
_SPRING_DATA = re.compile(r"\b\w*Repository\s*<")
_DIAGRAM_CLASS = re.compile(r"^(?:class|interface|enum) (\S+)(?: <<\w+>>)? \{$", re.M)
_BODIES = ("method_declaration", "constructor_declaration", "compact_constructor_declaration")


def estimated_tokens(input_text: str, output: str) -> int:
    """An estimate of a record's tokens, prompt included, that errs long."""
    return class_groups.PROMPT_TOKENS + round((len(input_text) + len(output)) / CHARS_PER_TOKEN)


def _text(node: Node | None) -> str:
    return node.text.decode("utf-8", "replace") if node is not None and node.text else ""


def _name(node: Node) -> str:
    return _text(node.child_by_field_name("name"))


def _simple_type(node: Node | None) -> str:
    return _text(node).split("<", 1)[0].split("[", 1)[0].strip().rsplit(".", 1)[-1]


def _mentions(name: str, text: str) -> bool:
    return re.search(rf"(?<![\w$]){re.escape(name)}(?![\w$])", text) is not None


@dataclass
class _Type:
    """A top-level type of a Java source asset, with the tree it was parsed into."""

    asset_id: str
    node: Node
    source: bytes

    @property
    def name(self) -> str:
        return _name(self.node)

    @property
    def marks(self) -> set[str]:
        return set(annotations(self.node))

    def members(self, *kinds: str) -> list[Node]:
        body = self.node.child_by_field_name("body")
        return [m for m in body.named_children if m.type in kinds] if body is not None else []

    def field_types(self) -> list[tuple[str, str]]:
        """(field name, simple type name) of its fields, in order."""
        found = []
        for member in self.members("field_declaration"):
            kind = _simple_type(member.child_by_field_name("type"))
            for declarator in member.children_by_field_name("declarator"):
                found.append((_name(declarator), kind))
        return found


def _types(texts: dict[str, str]) -> list[_Type]:
    """The top-level types of Java texts (asset id -> text), in asset order."""
    found = []
    for asset_id in sorted(texts):
        root, _ = spring_code.parse_class_file(texts[asset_id])
        source = texts[asset_id].encode("utf-8")
        found += [
            _Type(asset_id, node, source) for node in root.named_children if node.type in _TYPES
        ]
    return found


def _by_name(types: list[_Type]) -> dict[str, _Type]:
    found: dict[str, _Type] = {}
    for item in types:
        found.setdefault(item.name, item)
    return found


def _slice(item: _Type, members: list[Node], doc: bool) -> str:
    """The class as written with only `members` (and their Javadoc when `doc`) in its body."""
    source, node = item.source, item.node
    body = node.child_by_field_name("body")
    parts = [source[node.start_byte : body.start_byte + 1].decode("utf-8", "replace")]
    last_row = body.start_point.row
    for member in sorted(members, key=lambda m: m.start_byte):
        first = (javadoc(member) if doc else None) or member
        start = source.rfind(b"\n", 0, first.start_byte) + 1
        parts.append("\n" if first.start_point.row == last_row + 1 else "\n\n")
        parts.append(source[start : member.end_byte].decode("utf-8", "replace"))
        last_row = member.end_point.row
    return "".join([*parts, "\n}"])


def _signature(method: Node) -> str:
    """A method's declaration without modifiers and body: `<T> List<T> find(UUID id)`."""
    start = next(
        c
        for c in method.children
        if c.type == "type_parameters" or c == method.child_by_field_name("type")
    )
    body = method.child_by_field_name("body")
    end = body.start_byte if body is not None else method.end_byte
    text = method.text[start.start_byte - method.start_byte : end - method.start_byte]
    flat = " ".join(text.decode("utf-8", "replace").rstrip().rstrip(";").split())
    return re.sub(r"\s+\)", ")", re.sub(r"\(\s+", "(", flat))


def _public_methods(item: _Type) -> list[Node]:
    """The methods an interface of the type shows: public (any of an interface's), not static."""
    is_interface = item.node.type == "interface_declaration"
    return [
        method
        for method in item.members("method_declaration")
        if not {"static", "private"} & (words := spring_code.modifier_words(method))
        and (is_interface or "public" in words)
    ]


def _interface(item: _Type, methods: list[Node]) -> str | None:
    """Some of the type's methods as a Java interface of their signatures (None: no method)."""
    head = f"public interface {item.name}"
    parameters = next((c for c in item.node.children if c.type == "type_parameters"), None)
    extends = next((c for c in item.node.children if c.type == "extends_interfaces"), None)
    head += _text(parameters) + (" " + " ".join(_text(extends).split()) if extends else "")
    lines = [f"    {_signature(method)};" for method in methods]
    return "\n".join([head + " {", *lines, "}"]) if lines else None


def _declaration(item: _Type) -> str:
    """A type's own source text: its annotations to its closing brace."""
    return item.source[item.node.start_byte : item.node.end_byte].decode("utf-8", "replace")


def _nested_used(item: _Type, text: str) -> list[Node]:
    return [m for m in item.members(*_TYPES) if _mentions(_name(m), text)]


def _fitting(
    variants: list[tuple[str, str]], max_tokens: int
) -> tuple[tuple[str, str] | None, int]:
    """The first (input, output) that fits by estimate, and the leanest variant's estimate."""
    for variant in variants:
        if estimated_tokens(*variant) <= max_tokens:
            return variant, estimated_tokens(*variant)
    return None, min(estimated_tokens(*variant) for variant in variants)


def _too_long(what: str, tokens: int, max_tokens: int, variants: bool = True) -> str:
    shortest = " even in its shortest form" if variants else ""
    return (
        f"too long for max_record_tokens: {what} takes ~{tokens} tokens by estimate{shortest} "
        f"(limit {max_tokens})"
    )


def _quoted(names: list[str]) -> str:
    return ", ".join(f"'{name}'" for name in names)


def _combos(inputs: list[str], outputs: list[str]) -> list[tuple[str, str]]:
    """(input, output) variants, richest first: each output with each input, in order."""
    return list(dict.fromkeys((i, o) for o in outputs for i in inputs))


def _controllers(types: list[_Type]) -> list[_Type]:
    return [
        item
        for item in types
        if item.node.type == "class_declaration" and spring_code.is_controller(item.node)
    ]


def _handlers(item: _Type) -> list[tuple[Node, list[spring_code.Route]]]:
    bases = spring_code.class_paths(item.node)
    return [
        (method, spring_code.handler_routes(method, bases))
        for method in item.members("method_declaration")
        if spring_code.mapping_of(method) is not None
    ]


def _route_key(method: str, path: str) -> tuple[str, str]:
    return method, re.sub(r"\{[^{}]*\}", "{}", path)


def _controller_slice(
    item: _Type, handlers: list[Node], doc: bool, constructors: bool = True
) -> str:
    """The controller with its fields, constructors (unless not `constructors`), the handlers
    and the nested types they use."""
    text = "\n".join(_text(h) for h in handlers)
    kinds = ("field_declaration", "constructor_declaration")[: 2 if constructors else 1]
    return _slice(item, [*item.members(*kinds), *handlers, *_nested_used(item, text)], doc)


def _dependencies(item: _Type, code: str, types: dict[str, _Type]) -> list[tuple[str, _Type]]:
    """(field name, type) of the injected beans (classes and interfaces among the assets) that
    `code` uses."""
    return [
        (field, types[kind])
        for field, kind in item.field_types()
        if kind in types
        and types[kind].node.type in ("class_declaration", "interface_declaration")
        and _mentions(field, code)
    ]


def _called(field: str, code: str) -> set[str]:
    return set(re.findall(rf"(?<![\w$]){re.escape(field)}\s*\.\s*(\w+)\s*\(", code))


def _java_record(
    task: str, item: _Type, variant: tuple[str, str], assets: set[str], method: str | None = None
) -> Candidate:
    """A Java answer's candidate: its own asset first, then the others it draws from; the
    class's name fills the instruction, and a service's method too."""
    fields = {"name": item.name} | ({"method": method} if task == SERVICE and method else {})
    return Candidate(
        task=task,
        input=variant[0],
        output=variant[1],
        language="java",
        assets=(item.asset_id, *sorted(assets - {item.asset_id})),
        fields=fields,
        method=method,
    )


def spring_controllers(parsed: ParsedAssets, step: BuildDatasetParams) -> Built:
    """implementation_spring_controller per chunk of each REST controller's operations."""
    built, max_tokens = Built(), step.max_record_tokens
    types = _source_types(parsed)
    by_name = _by_name(types)
    specs = [section for *_, found in parsed.specs for section in found]
    units = {asset_id: parsed.units[asset_id] for asset_id in parsed.java_sources}
    sections = from_api.controller_sections(parsed.java_sources, units, specs, parsed.settings)
    for item in _controllers(types):
        handlers = _handlers(item)
        if not handlers:
            reason = f"no_handlers: controller '{item.name}' has no handler method"
            built.rejects.append(Reject(item.asset_id, CONTROLLER, reason))
            continue
        keys = {
            _route_key(route.method, route.path): method
            for method, routes in handlers
            for route in routes
        }
        own = [s for s in sections if s.assets[0] == item.asset_id]
        matched = [
            (keys[key], op, section)
            for section in own
            for op in section.operations
            if (key := _route_key(op.method, op.path)) in keys
        ]
        for method, _ in handlers:
            if all(found != method for found, _, _ in matched):
                reason = (
                    f"no_operation: handler '{_name(method)}' of '{item.name}' has no API table row"
                )
                built.rejects.append(Reject(item.asset_id, CONTROLLER, reason))
        for chunk in chunks(matched, step.api_operations_per_record):
            found = _controller_records(item, chunk, by_name, max_tokens)
            built.extend(found)
    return built


_Chunk = list[tuple[Node, api_table.Operation, from_api.Section]]  # handler, its row, section


def _controller_records(
    item: _Type, chunk: _Chunk, types: dict[str, _Type], max_tokens: int
) -> Built:
    """The record of some handlers, or of each alone when together they do not fit."""
    built = Built()
    methods = [method for method, _, _ in chunk]
    code = "\n".join(_text(method) for method in methods)
    table = api_table.render_table([op for _, op, _ in chunk])
    used = _dependencies(item, code, types)
    full = [text for _, dep in used if (text := _interface(dep, _public_methods(dep)))]
    narrow = []
    for field, dep in used:
        called = _called(field, code)
        text = _interface(dep, [m for m in _public_methods(dep) if _name(m) in called])
        narrow += [text] if text else []
    inputs = ["\n\n".join([table, *full]), "\n\n".join([table, *narrow])]
    outputs = [_controller_slice(item, methods, doc) for doc in (True, False)]
    variant, tokens = _fitting(_combos(inputs, outputs), max_tokens)
    names = [_name(method) for method in methods]
    if variant is None and len(chunk) > 1:
        for one in chunk:
            built.extend(_controller_records(item, [one], types, max_tokens))
        return built
    if variant is None:
        what = f"controller '{item.name}' with handler {_quoted(names)}"
        built.rejects.append(Reject(item.asset_id, CONTROLLER, _too_long(what, tokens, max_tokens)))
        return built
    assets = {asset for *_, section in chunk for asset in section.assets} | {
        dep.asset_id for _, dep in used
    }
    method = names[0] if len(names) == 1 else None
    built.candidates.append(_java_record(CONTROLLER, item, variant, assets, method))
    return built


def _repository(item: _Type) -> bool:
    extends = next((c for c in item.node.children if c.type == "extends_interfaces"), None)
    return item.node.type == "interface_declaration" and (
        "Repository" in item.marks or _SPRING_DATA.search(_text(extends)) is not None
    )


def _helpers(item: _Type, method: Node) -> list[Node]:
    """The non-public methods of the class that a method calls, directly or through others."""
    others = [
        m
        for m in item.members("method_declaration")
        if m != method and "public" not in spring_code.modifier_words(m)
    ]
    found: list[Node] = []
    text = _text(method)
    grew = True
    while grew:
        grew = False
        for other in others:
            if all(other != f for f in found) and re.search(
                rf"(?<![\w$.]){re.escape(_name(other))}\s*\(", text
            ):
                found.append(other)
                text += "\n" + _text(other)
                grew = True
    return found


def spring_services(parsed: ParsedAssets, step: BuildDatasetParams) -> Built:
    """implementation_spring_service per public method of each `@Service` / `@Component` class."""
    built, max_tokens = Built(), step.max_record_tokens
    types = _source_types(parsed)
    by_name = _by_name(types)
    services = [
        item
        for item in types
        if item.node.type == "class_declaration"
        and spring_code.SERVICE_MARKS & item.marks
        and not spring_code.is_controller(item.node)
    ]
    for item in services:
        methods = [
            m
            for m in item.members("method_declaration")
            if {"public"} <= spring_code.modifier_words(m)
            and "static" not in spring_code.modifier_words(m)
            and m.child_by_field_name("body")
        ]
        if not methods:
            reason = f"no_public_method: service '{item.name}' has no public method with a body"
            built.rejects.append(Reject(item.asset_id, SERVICE, reason))
            continue
        repositories = [
            (field, by_name[kind])
            for field, kind in item.field_types()
            if kind in by_name and _repository(by_name[kind])
        ]
        for method in methods:
            built.extend(_service_record(item, method, repositories, max_tokens))
    return built


def _service_record(
    item: _Type, method: Node, repositories: list[tuple[str, _Type]], max_tokens: int
) -> Built:
    built = Built()
    helpers = _helpers(item, method)
    code = "\n".join(_text(node) for node in [method, *helpers])
    members = [*item.members("field_declaration", "constructor_declaration"), method, *helpers]
    members += _nested_used(item, code)
    used = [(field, repo) for field, repo in repositories if _mentions(field, code)]
    # The interface shows the method to implement, so that the input tells which one it is.
    interface = _interface(item, [method]) or ""
    inputs = [
        "\n\n".join([interface, *(_declaration(repo) for _, repo in shown)])
        for shown in (repositories, used)
    ]
    outputs = [_slice(item, members, doc) for doc in (True, False)]
    variant, tokens = _fitting(_combos(inputs, outputs), max_tokens)
    name = _name(method)
    if variant is None:
        what = f"service '{item.name}' with method '{name}'"
        built.rejects.append(Reject(item.asset_id, SERVICE, _too_long(what, tokens, max_tokens)))
        return built
    shown = repositories if variant[0] == inputs[0] else used
    assets = {repo.asset_id for _, repo in shown}
    built.candidates.append(_java_record(SERVICE, item, variant, assets, name))
    return built


def _source_types(parsed: ParsedAssets) -> list[_Type]:
    """The top-level types of the Java source assets (test files aside)."""
    texts = parsed.java_sources
    return _types({a: text for a, text in texts.items() if parsed.kinds.get(a) == "source"})


def _webmvc_targets(item: _Type) -> set[str]:
    """The controllers a `@WebMvcTest(X.class)` / `(controllers = X.class)` names."""
    annotation = annotation_nodes(item.node).get("WebMvcTest")
    text = _text(annotation.child_by_field_name("arguments")) if annotation is not None else ""
    text = re.sub(r"\b(?:excludeFilters|includeFilters|excludeAutoConfiguration)\s*=.*", "", text)
    return set(re.findall(r"([\w$]+)\s*\.\s*class\b", text))


def _specificity(request: spring_code.Route, route: spring_code.Route) -> int:
    asked, mapped = request.path.split("/"), route.path.split("/")
    return sum(a == b and "{" not in a for a, b in zip(asked, mapped, strict=False))


def _exercised(
    test: Node, handlers: list[tuple[int, _Type, Node, list[spring_code.Route]]]
) -> tuple[list[tuple[int, _Type, Node]], list[spring_code.Route]]:
    """The handlers a test's requests reach (the most literal match per request), and the
    requests it performs."""
    requests = [r for r in spring_code.performed_requests(test) if r is not None]
    hits: list[tuple[int, _Type, Node]] = []
    for request in requests:
        scored = []
        for order, owner, method, routes in handlers:
            matching = [r for r in routes if spring_code.routes_match(request, r)]
            if matching:
                score = max(_specificity(request, route) for route in matching)
                scored.append((score, (order, owner, method)))
        best = max((score for score, _ in scored), default=None)
        for score, entry in scored:
            if score == best and all(entry[0] != hit[0] for hit in hits):
                hits.append(entry)
    return sorted(hits, key=lambda hit: hit[0]), requests


def _test_slice(item: _Type, tests: list[Node], config: bool) -> str:
    """The test class with its annotated fields, constructors, set-up, its test configuration
    (`config`), the tests, and the plain fields, helpers and nested types they use."""
    kept: list[Node] = []
    optional: list[tuple[list[str], Node]] = []
    for member in item.members(
        "field_declaration", "constructor_declaration", "method_declaration", *_TYPES
    ):
        marks = set(annotations(member))
        if member.type == "field_declaration":
            names = [_name(d) for d in member.children_by_field_name("declarator")]
            (kept.append(member) if marks else optional.append((names, member)))
        elif member.type == "constructor_declaration" or marks & _TEST_SETUP:
            kept.append(member)
        elif member.type in _TYPES and marks & _TEST_CONFIG:
            if config:
                kept.append(member)
        elif member.type in _TYPES or not marks & TEST_ANNOTATIONS:  # helpers, other types
            optional.append(([_name(member)], member))
    kept += tests
    text = "\n".join(_text(node) for node in kept)
    grew = True
    while grew:
        grew = False
        for names, member in optional:
            if all(member != k for k in kept) and any(_mentions(n, text) for n in names):
                kept.append(member)
                text += "\n" + _text(member)
                grew = True
    return _slice(item, kept, doc=True)


def controller_tests(parsed: ParsedAssets, step: BuildDatasetParams) -> Built:
    """implementation_controller_test per set of handlers the tests of a MockMvc test class
    exercise: the handlers' controller slice -> up to `max_tests_per_record` of those tests."""
    built = Built()
    controllers = _controllers(_source_types(parsed))
    for asset_id, text in sorted(parsed.java_tests.items()):
        for item in _types({asset_id: text}):
            if item.node.type == "class_declaration" and spring_code.uses_mockmvc(item.node):
                built.extend(_test_records(item, controllers, step))
    return built


def _test_records(item: _Type, controllers: list[_Type], step: BuildDatasetParams) -> Built:
    built, max_tokens, max_tests = Built(), step.max_record_tokens, step.max_tests_per_record
    named = _webmvc_targets(item)
    targets = [c for c in controllers if c.name in named] if named else controllers
    handlers = [
        (order, owner, method, routes)
        for order, (owner, (method, routes)) in enumerate(
            (owner, handler) for owner in targets for handler in _handlers(owner)
        )
    ]
    for nested in item.members(*_TYPES):
        for test in spring_code.test_methods(nested):
            reason = f"nested_test: '{_name(nested)}.{_name(test)}' is in a nested class; "
            built.rejects.append(Reject(item.asset_id, CONTROLLER_TEST, reason + "not sliced"))
    groups: dict[tuple[int, ...], tuple[list[tuple[int, _Type, Node]], list[Node]]] = {}
    for test in item.members("method_declaration"):
        if not TEST_ANNOTATIONS & set(annotations(test)):
            continue
        hits, requests = _exercised(test, handlers)
        if not hits:
            asked = ", ".join(
                f"{r.method} {r.path or '(a path that is no literal)'}" for r in requests
            )
            where = _quoted([c.name for c in targets]) or "no controller among the assets"
            reason = (
                f"unmatched_test: '{_name(test)}' performs {asked or 'no request'}, which no "
                f"handler of {where} maps"
            )
            built.rejects.append(Reject(item.asset_id, CONTROLLER_TEST, reason))
            continue
        key = tuple(hit[0] for hit in hits)
        groups.setdefault(key, (hits, []))[1].append(test)
    for hits, members in groups.values():
        for test in members[max_tests:]:
            reason = (
                f"surplus: '{_name(test)}' beyond max_tests_per_record {max_tests} for its handlers"
            )
            built.rejects.append(Reject(item.asset_id, CONTROLLER_TEST, reason))
        built.extend(_test_record(item, hits, members[:max_tests], max_tokens))
    return built


def _test_record(
    item: _Type, hits: list[tuple[int, _Type, Node]], tests: list[Node], max_tokens: int
) -> Built:
    """The record of the first tests that fit together (the controller's constructors, then the
    test configuration dropped when that is what it takes); the tests that do not fit are
    rejects."""
    built = Built()
    owners: dict[str, tuple[_Type, list[Node]]] = {}
    for _, owner, method in hits:
        owners.setdefault(owner.asset_id + owner.name, (owner, []))[1].append(method)
    # The fields name what the test mocks: the constructors go first when space is short.
    inputs = [
        "\n\n".join(
            _controller_slice(owner, methods, False, ctor) for owner, methods in owners.values()
        )
        for ctor in (True, False)
    ]
    chosen, tokens = None, 0
    for count in range(len(tests), 0, -1):
        outputs = [_test_slice(item, tests[:count], config) for config in (True, False)]
        chosen, tokens = _fitting(_combos(inputs, outputs), max_tokens)
        if chosen is not None:
            break
    kept = count if chosen is not None else 0
    handlers = _quoted([_name(method) for _, _, method in hits])
    for test in tests[kept:]:
        what = f"test '{_name(test)}' of handler {handlers}" + (
            " beside the tests before it" if kept else ""
        )
        built.rejects.append(
            Reject(item.asset_id, CONTROLLER_TEST, _too_long(what, tokens, max_tokens))
        )
    if chosen is None:
        return built
    assets = {owner.asset_id for owner, _ in owners.values()}
    built.candidates.append(_java_record(CONTROLLER_TEST, item, chosen, assets))
    return built


def _elided(node: Node, source: bytes, qualified: str, keep: set[str]) -> str:
    """A type's source without comments, with `{ ... }` for every method, constructor and enum
    constant body, without initializer blocks and the nested types not in `keep`."""
    edits: list[tuple[int, int, str]] = []

    def visit(current: Node, name: str) -> None:
        for child in current.children:
            if child.type in ("line_comment", "block_comment"):
                edits.append((child.start_byte, child.end_byte, ""))
            elif child.type in _TYPES:
                inner = f"{name}.{_name(child)}"
                if inner in keep:
                    visit(child, inner)
                else:
                    edits.append((child.start_byte, child.end_byte, ""))
            elif child.type in (*_BODIES, "enum_constant"):
                body = child.child_by_field_name("body")
                if body is not None:
                    edits.append((body.start_byte, body.end_byte, "{ ... }"))
            elif child.type == "static_initializer" or (
                child.type == "block" and current.type == "class_body"
            ):
                edits.append((child.start_byte, child.end_byte, ""))
            else:
                visit(child, name)

    visit(node, qualified)
    line_start = source.rfind(b"\n", 0, node.start_byte) + 1
    position, parts = node.start_byte, [b" " * (node.start_byte - line_start)]
    for start, end, replacement in sorted(edits):
        if start < position:
            continue  # inside an edit already made
        parts += [source[position:start], replacement.encode("utf-8")]
        position = end
    parts.append(source[position : node.end_byte])
    lines = [line.rstrip() for line in b"".join(parts).decode("utf-8", "replace").split("\n")]
    kept: list[str] = []
    for line in lines:
        blank = not line
        if blank and (not kept or not kept[-1] or kept[-1].endswith("{")):
            continue  # one blank line at most, none after an opening brace
        if line.strip() == "}" and kept and not kept[-1]:
            kept.pop()
        kept.append(line)
    return textwrap.dedent("\n".join(kept)).strip("\n")


def _java_of(group: list[tuple[str, ClassUnit]], top: dict[tuple[str, str], _Type]) -> str:
    """The elided source of a group's classes; a nested class inside its outer one when both
    are drawn."""
    names = {unit.name for _, unit in group}
    texts = []
    for asset_id, unit in sorted(group, key=lambda member: member[1].name):
        parts = unit.name.split(".")
        if any(".".join(parts[:end]) in names for end in range(1, len(parts))):
            continue
        item = top[(asset_id, parts[0])]
        node = item.node
        for part in parts[1:]:
            node = next(m for m in _members_of(node) if m.type in _TYPES and _name(m) == part)
        texts.append(_elided(node, item.source, unit.name, names))
    return "\n\n".join(texts)


def _members_of(node: Node) -> list[Node]:
    body = node.child_by_field_name("body")
    found = list(body.named_children) if body is not None else []
    return found + [
        c for m in found if m.type == "enum_body_declarations" for c in m.named_children
    ]


def java_class_diagrams(parsed: ParsedAssets, step: BuildDatasetParams) -> Built:
    """design_plantuml_java_datastructure per group of related data classes of a package: the
    groups and diagrams of class_groups.package_diagrams, the classes' elided Java as input; a
    group whose record is too long by estimate is drawn class by class."""
    built, max_tokens = Built(), step.max_record_tokens
    top = {(item.asset_id, item.name): item for item in _source_types(parsed)}
    packages: dict[str, list[tuple[str, ClassUnit]]] = {}
    for asset_id in sorted({asset_id for asset_id, _ in top}):
        for unit in parsed.units.get(asset_id, []):
            item = top.get((asset_id, unit.name.split(".", 1)[0]))
            if (
                item is None
                or unit.kind == "interface"
                or item.node.type == "interface_declaration"
            ):
                continue  # contracts, not data structures
            if not _BEANS & item.marks:
                packages.setdefault(unit.package, []).append((asset_id, unit))
    for package, members in sorted(packages.items()):
        found = class_groups.package_diagrams(
            package, members, step.plantuml_classes_per_record, max_tokens
        )
        built.rejects += [Reject(r.asset_id, DIAGRAM, r.reason) for r in found.rejects]
        by_name: dict[str, tuple[str, ClassUnit]] = {}
        for asset_id, unit in sorted(members, key=lambda member: (member[1].name, member[0])):
            by_name.setdefault(unit.name, (asset_id, unit))
        for candidate in found.candidates:
            group = [by_name[name] for name in _DIAGRAM_CLASS.findall(candidate.output)]
            built.extend(_diagram_records(package, group, top, max_tokens))
    return built


def _diagram_records(
    package: str,
    group: list[tuple[str, ClassUnit]],
    top: dict[tuple[str, str], _Type],
    max_tokens: int,
) -> Built:
    built = Built()
    drawn = class_groups.candidate(package, group)
    java = _java_of(group, top)
    tokens = estimated_tokens(java, drawn.output)
    if tokens <= max_tokens:
        built.candidates.append(
            Candidate(
                task=DIAGRAM,
                input=java,
                output=drawn.output,
                language="plantuml",
                assets=drawn.assets,
            )
        )
        return built
    if len(group) > 1:
        for asset_id, unit in group:
            if plantuml.has_members(unit):
                built.extend(_diagram_records(package, [(asset_id, unit)], top, max_tokens))
                continue
            others = _quoted([other.name for _, other in group if other is not unit])
            reason = (
                f"empty_class: '{package}.{unit.name}' has no fields or public methods, and its "
                f"diagram with {others} is too long for max_record_tokens (~{tokens} tokens)"
            )
            built.rejects.append(Reject(asset_id, DIAGRAM, reason))
        return built
    asset_id, unit = group[0]
    what = f"class '{package}.{unit.name}' (elided Java and diagram)"
    built.rejects.append(Reject(asset_id, DIAGRAM, _too_long(what, tokens, max_tokens, False)))
    return built
