"""Java sources through tree-sitter-java: class units, and syntax/structure checks of snippets."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field

import tree_sitter_java
from tree_sitter import Language, Node, Parser

from tasks.dsl.code_model import (
    UNKNOWN,
    Call,
    ClassUnit,
    CodeParseError,
    MethodUnit,
    count_body_lines,
    simple_type,
)
from tasks.dsl.problems import Problem

TEST_ANNOTATIONS = frozenset({"Test", "ParameterizedTest", "RepeatedTest"})
# JUnit 5 and JUnit 4 per-test set-up: run before every test of the class and its @Nested ones.
SETUP_ANNOTATIONS = frozenset({"BeforeEach", "Before"})
_LOMBOK_CONSTRUCTORS = frozenset(
    {"NoArgsConstructor", "RequiredArgsConstructor", "AllArgsConstructor"}
)
# JUnit/AssertJ/Hamcrest asserts, Mockito verifications and Spring MockMvc expectations.
_ASSERTION_CALL = re.compile(r"assert\w*|verify\w*|andExpect\w*|fail")
JAVA_PARSER = Parser(Language(tree_sitter_java.language()))  # shared by every Java reader
_DECLARATION_KINDS = {
    "class_declaration": "class",
    "interface_declaration": "interface",
    "enum_declaration": "enum",
    "record_declaration": "record",
}
_WRAPPER = "class __Wrapper__ {\n"


def _text(node: Node | None) -> str:
    return node.text.decode("utf-8", "replace") if node is not None and node.text else ""


def type_text(node: Node | None) -> str:
    """A type as written, with whitespace normalised: `Map<String, List<Long>>`."""
    text = re.sub(r"\s+", " ", _text(node)).strip()
    text = re.sub(r"\s*,\s*", ", ", text)
    return re.sub(r"\s*([<>\[\]])\s*", r"\1", text)


def walk(node: Node) -> Iterator[Node]:
    """The node and all its descendants, depth first."""
    yield node
    for child in node.children:
        yield from walk(child)


def syntax_problems(root: Node, line_offset: int = 0, last_line: int = 0) -> list[Problem]:
    """One problem per line holding an ERROR or MISSING node (line numbers shifted by offset)."""
    found: dict[int, str] = {}
    stack = [root]
    while stack:
        node = stack.pop()
        nested = [child for child in node.children if child.has_error]
        if node.type == "ERROR" and nested:
            # A large ERROR node around smaller ones: the smaller ones pinpoint the mistake.
            stack.extend(reversed(nested))
            continue
        if node.type == "ERROR":
            # Skip the wrapper's own tokens when the error node starts on the wrapper line.
            anchor = next((c for c in node.children if c.start_point.row + line_offset >= 0), node)
            snippet = " ".join(_text(anchor).split())[:40]
            message = f"syntax error near {snippet!r}"
        elif node.is_missing:
            anchor, message = node, f"syntax error: missing '{node.type}'"
        else:
            stack.extend(reversed(nested))
            continue
        line = anchor.start_point.row + 1 + line_offset
        found.setdefault(max(1, min(line, last_line)) if last_line else line, message)
    return [Problem(f"line {line}", message) for line, message in sorted(found.items())]


def _modifiers(node: Node) -> Node | None:
    return next((child for child in node.children if child.type == "modifiers"), None)


def annotation_nodes(node: Node) -> dict[str, Node]:
    """Simple name -> node of each annotation of a declaration or parameter (first one wins)."""
    modifiers = _modifiers(node)
    found: dict[str, Node] = {}
    for child in modifiers.children if modifiers is not None else []:
        if child.type in ("annotation", "marker_annotation"):
            found.setdefault(_text(child.child_by_field_name("name")).rsplit(".", 1)[-1], child)
    return found


def annotation_values(annotation: Node) -> dict[str, list[Node]]:
    """An annotation's arguments by key ("value" for the bare one and for `path`), arrays
    flattened: `@GetMapping(path = {"/a", "/b"})` -> {"value": [<"/a">, <"/b">]}."""
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


def annotation_arguments(node: Node) -> dict[str, str]:
    """Simple name -> argument text (without parentheses, "" for a marker) of each annotation."""
    modifiers = _modifiers(node)
    found: dict[str, str] = {}
    for child in modifiers.children if modifiers is not None else []:
        if child.type in ("marker_annotation", "annotation"):
            name = _text(child.child_by_field_name("name")).rsplit(".", 1)[-1]
            found.setdefault(name, _text(child.child_by_field_name("arguments"))[1:-1].strip())
    return found


def annotations(node: Node) -> list[str]:
    """Simple names of a declaration's annotations (`@org.junit.Test` -> `Test`)."""
    return list(annotation_arguments(node))


def _modifier_words(node: Node) -> set[str]:
    modifiers = _modifiers(node)
    return {child.type for child in modifiers.children} if modifiers is not None else set()


def _parameters(node: Node | None) -> list[tuple[str, str]]:
    params = []
    for child in node.named_children if node is not None else []:
        if child.type == "formal_parameter":
            kind = type_text(child.child_by_field_name("type"))
            kind += _text(child.child_by_field_name("dimensions"))
            params.append((_text(child.child_by_field_name("name")), kind))
        elif child.type == "spread_parameter":
            parts = [c for c in child.named_children if c.type != "modifiers"]
            declarator = parts[-1] if parts[-1].type == "variable_declarator" else None
            name = _text(declarator.child_by_field_name("name")) if declarator else ""
            params.append((name, type_text(parts[0]) + "..."))
    return params


def javadoc(node: Node) -> Node | None:
    """The Javadoc comment right above a declaration (None without one)."""
    doc = node.prev_sibling
    if (
        doc is not None
        and doc.type == "block_comment"
        and _text(doc).startswith("/**")
        and node.start_point.row - doc.end_point.row <= 1
    ):
        return doc
    return None


def _source_with_javadoc(node: Node, source: bytes) -> str:
    doc = javadoc(node)
    start = doc.start_byte if doc is not None else node.start_byte
    line_start = source.rfind(b"\n", 0, start) + 1
    prefix = source[line_start:start]
    # Keep the first line's indentation so dedent lines it up with the rest.
    indent = prefix if not prefix.strip() else b" " * len(prefix)
    return textwrap.dedent((indent + source[start : node.end_byte]).decode("utf-8", "replace"))


def _method(node: Node, source: bytes, in_interface: bool) -> MethodUnit:
    body = node.child_by_field_name("body")
    words = _modifier_words(node)
    visibility = next((w for w in ("public", "protected", "private") if w in words), None)
    return MethodUnit(
        name=_text(node.child_by_field_name("name")),
        params=_parameters(node.child_by_field_name("parameters")),
        returns=type_text(node.child_by_field_name("type"))
        + _text(node.child_by_field_name("dimensions")),
        source=_source_with_javadoc(node, source),
        body_lines=count_body_lines(_text(body)[1:-1]) if body is not None else 0,
        is_test=bool(TEST_ANNOTATIONS & set(annotations(node))),
        start_line=node.start_point.row + 1,
        visibility=visibility or ("public" if in_interface else "package"),
        is_setup=bool(SETUP_ANNOTATIONS & set(annotations(node))),
    )


def _receiver(node: Node | None, scope: dict[str, str], fields: dict[str, str]) -> str:
    """The simple type name of a call's receiver ("" for none, UNKNOWN when it cannot tell)."""
    if node is None:
        return ""
    if node.type == "identifier":
        name = _text(node)
        if name in scope:
            return simple_type(scope[name])
        return name if name[:1].isupper() else UNKNOWN  # `Money.of(..)`: a static call
    if node.type == "field_access" and _text(node.child_by_field_name("object")) == "this":
        kind = fields.get(_text(node.child_by_field_name("field")))
        return simple_type(kind) if kind else UNKNOWN
    if node.type == "object_creation_expression":
        return simple_type(type_text(node.child_by_field_name("type")))
    if node.type in ("scoped_identifier", "type_identifier"):
        return simple_type(_text(node))
    return UNKNOWN


def _local_types(node: Node) -> dict[str, str]:
    """Types of the parameters and local variables declared anywhere in a method."""
    types: dict[str, str] = {}
    for child in walk(node):
        if child.type in ("formal_parameter", "catch_formal_parameter", "enhanced_for_statement"):
            name, kind = child.child_by_field_name("name"), child.child_by_field_name("type")
            if name is not None and kind is not None:
                types[_text(name)] = type_text(kind)
        elif child.type == "local_variable_declaration":
            kind = type_text(child.child_by_field_name("type"))
            for declarator in child.children_by_field_name("declarator"):
                value = declarator.child_by_field_name("value")
                if (
                    kind == "var"
                    and value is not None
                    and value.type == "object_creation_expression"
                ):
                    inferred = type_text(value.child_by_field_name("type"))
                else:
                    inferred = kind
                if inferred != "var":
                    types[_text(declarator.child_by_field_name("name"))] = inferred
    return types


def calls_of(node: Node, fields: dict[str, str]) -> list[Call]:
    """What a method invokes, each call's receiver resolved through locals, then fields."""
    scope = {**fields, **_local_types(node)}
    found: list[tuple[int, Call]] = []
    for child in walk(node):
        if child.type == "method_invocation":
            arguments = child.child_by_field_name("arguments")
            count = len([a for a in arguments.named_children if "comment" not in a.type])
            receiver = _receiver(child.child_by_field_name("object"), scope, fields)
            name = child.child_by_field_name("name")
            found.append((name.start_byte, (receiver, _text(name), count)))
        elif child.type == "method_reference" and len(child.named_children) == 2:
            target, name = child.named_children
            if name.type == "identifier":  # `service::create`, not `Order::new`
                found.append((name.start_byte, (_receiver(target, scope, fields), _text(name), -1)))
    return [call for _, call in sorted(found, key=lambda item: item[0])]  # as written


def _bases(node: Node) -> list[str]:
    bases = []
    for child in node.children:
        if child.type in ("superclass", "super_interfaces", "extends_interfaces"):
            holder = next((c for c in child.named_children if c.type == "type_list"), child)
            bases += [type_text(t) for t in holder.named_children]
    return bases


def _members(node: Node, kind: str) -> list[Node]:
    body = node.child_by_field_name("body")
    if body is None:
        return []
    members = list(body.named_children)
    if kind == "enum":
        declarations = [m for m in members if m.type == "enum_body_declarations"]
        members = [m for m in members if m.type == "enum_constant"]
        members += [child for d in declarations for child in d.named_children]
    return members


@dataclass
class _Field:
    name: str
    kind: str
    final: bool
    initialised: bool
    annotations: dict[str, str]
    line: int


@dataclass
class _Enclosing:
    """What a nested class sees of the classes around it: field types and set-up methods."""

    fields: dict[str, str] = field(default_factory=dict)
    setup: list[str] = field(default_factory=list)
    context: tuple[str, ...] = ()


def _fields(member: Node) -> list[_Field]:
    words = _modifier_words(member)
    kind_text = type_text(member.child_by_field_name("type"))
    found = []
    for declarator in member.children_by_field_name("declarator"):
        found.append(
            _Field(
                _text(declarator.child_by_field_name("name")),
                kind_text + _text(declarator.child_by_field_name("dimensions")),
                "final" in words,
                declarator.child_by_field_name("value") is not None,
                annotation_arguments(member),
                member.start_point.row + 1,
            )
        )
    return found


def _accessor_level(arguments: str | None) -> str | None:
    """A Lombok accessor's visibility from its annotation's arguments (None: AccessLevel.NONE)."""
    if arguments is None:
        return None
    level = re.search(r"AccessLevel\.(\w+)", arguments)
    word = level.group(1).lower() if level else "public"
    return None if word == "none" else {"module": "package"}.get(word, word)


def _generated(name: str, params: list[tuple[str, str]], returns: str, line: int, level: str):
    return MethodUnit(name, params, returns, "", 0, False, line, level)


def _lombok(
    unit: ClassUnit, node: Node, fields: list[_Field], explicit_constructors: int
) -> list[list[str]]:
    """Lombok's generated accessors (into `unit.generated`) and constructors (returned).

    `@Getter`/`@Setter` on the class or a field, `@Data` (getters, setters of non-final fields,
    a required-args constructor), `@Value` (getters, an all-args constructor), `@Builder` (an
    all-args constructor and `builder()`), and the three `@...ArgsConstructor` annotations. A
    method the class declares itself is not generated again (Lombok matches by name).
    """
    marks = annotation_arguments(node)
    if not (set(marks) & {"Getter", "Setter", "Data", "Value", "Builder", *_LOMBOK_CONSTRUCTORS}):
        return []
    declared = {method.name for method in unit.methods}
    is_value = "Value" in marks
    class_getter = marks.get("Getter", "" if "Data" in marks or is_value else None)
    class_setter = marks.get("Setter", "" if "Data" in marks else None)
    for item in fields:
        final = item.final or is_value
        capital = item.name[:1].upper() + item.name[1:]
        getter, setter = "get" + capital, "set" + capital
        if item.kind == "boolean":
            bare = item.name[2:] if re.match(r"is[A-Z]", item.name) else capital
            getter, setter = "is" + bare, "set" + bare
        get_level = _accessor_level(item.annotations.get("Getter", class_getter))
        if get_level and getter not in declared:
            unit.generated.append(_generated(getter, [], item.kind, item.line, get_level))
        set_level = _accessor_level(item.annotations.get("Setter", class_setter))
        if set_level and not final and setter not in declared:
            params = [(item.name, item.kind)]
            unit.generated.append(_generated(setter, params, "void", item.line, set_level))
    if "Builder" in marks and "builder" not in declared:
        builder = f"{unit.name.rsplit('.', 1)[-1]}Builder"
        line = node.start_point.row + 1
        unit.generated.append(_generated("builder", [], builder, line, "public"))
    # An initialised final field takes no argument; @Value makes every field final.
    every = [f.kind for f in fields if not ((f.final or is_value) and f.initialised)]
    required = [
        f.kind
        for f in fields
        if (f.final or is_value or "NonNull" in f.annotations) and not f.initialised
    ]
    constructors = []
    if "NoArgsConstructor" in marks:
        constructors.append([])
    if "RequiredArgsConstructor" in marks:
        constructors.append(required)
    if "AllArgsConstructor" in marks:
        constructors.append(every)
    if not explicit_constructors and not set(marks) & _LOMBOK_CONSTRUCTORS:
        # @Builder and @Value write an all-args constructor, @Data a required-args one,
        # only when the class declares no constructor of its own.
        if "Builder" in marks or is_value:
            constructors.append(every)
        elif "Data" in marks:
            constructors.append(required)
    return constructors


def _collect(
    node: Node,
    package: str,
    outer: str,
    source: bytes,
    path: str,
    enclosing: _Enclosing | None = None,
) -> list[ClassUnit]:
    kind = _DECLARATION_KINDS[node.type]
    name = _text(node.child_by_field_name("name"))
    qualified = f"{outer}.{name}" if outer else name
    unit = ClassUnit("java", package, qualified, _bases(node), [], [], [], kind, path)
    enclosing = enclosing or _Enclosing()
    nested: list[Node] = []
    tests: list[tuple[Node, MethodUnit]] = []
    constructors: list[list[str]] = []
    instance_fields: list[_Field] = []
    field_types = dict(enclosing.fields)
    if kind == "record":
        components = _parameters(node.child_by_field_name("parameters"))
        unit.fields += components
        field_types.update(components)
        constructors.append([kind for _, kind in components])
    for member in _members(node, kind):
        if member.type == "enum_constant":
            unit.fields.append((_text(member.child_by_field_name("name")), qualified))
        elif member.type == "field_declaration":
            declared = _fields(member)
            field_types.update((item.name, item.kind) for item in declared)
            if "static" not in _modifier_words(member):
                # Instance state only: static constants and loggers are not part of the design.
                unit.fields += [(item.name, item.kind) for item in declared]
                instance_fields += declared
        elif member.type == "constructor_declaration":
            params = _parameters(member.child_by_field_name("parameters"))
            constructors.append([kind for _, kind in params])
        elif member.type == "method_declaration":
            method = _method(member, source, kind == "interface")
            unit.methods.append(method)
            if method.is_test:
                tests.append((member, method))
        elif member.type in _DECLARATION_KINDS:
            nested.append(member)
    explicit = len(constructors) - (kind == "record")
    constructors += _lombok(unit, node, instance_fields, explicit)
    # The longest constructor shows every dependency; ties go to the first declared.
    unit.ctor_params = max(constructors, key=len, default=[])
    setup = [*enclosing.setup, *(m.source for m in unit.methods if m.is_setup)]
    context = (*enclosing.context, name) if outer else ()
    for member, method in tests:
        method.calls = calls_of(member, field_types)
        method.setup = list(setup)
        method.context = context
    inner = _Enclosing(field_types, setup, context)
    units = [unit]
    for member in nested:
        units += _collect(member, package, qualified, source, path, inner)
    return units


def parse_java(text: str, path: str = "") -> list[ClassUnit]:
    """Top-level and nested classes, interfaces, enums and records of a Java file."""
    source = text.encode("utf-8")
    root = JAVA_PARSER.parse(source).root_node
    if root.has_error:
        first = syntax_problems(root)
        where = first[0].where if first else "an unknown line"
        raise CodeParseError(f"{path or 'Java source'}: syntax error at {where}")
    package = ""
    units: list[ClassUnit] = []
    for child in root.named_children:
        if child.type == "package_declaration":
            package = _text(next(c for c in child.named_children if c.type != "annotation"))
        elif child.type in _DECLARATION_KINDS:
            units += _collect(child, package, "", source, path)
    return units


def _parse_snippet(code: str, whole: bool) -> tuple[Node, list[Problem]]:
    # Members alone do not parse as Java; a class around them makes them a compilation unit.
    wrapped = code if whole else _WRAPPER + code + "\n}\n"
    root = JAVA_PARSER.parse(wrapped.encode("utf-8")).root_node
    last_line = max(1, len(code.splitlines()))
    return root, syntax_problems(root, 0 if whole else -1, last_line)


def _parse_either(code: str) -> tuple[Node, list[Problem]]:
    """A whole file when the code declares a class, else class members; members also when
    the class is only a `@Nested` one among test methods (the whole-file parse then fails)."""
    if re.search(r"\b(class|interface|enum|record)\s", code) is None:
        return _parse_snippet(code, whole=False)
    root, problems = _parse_snippet(code, whole=True)
    if problems:
        members = _parse_snippet(code, whole=False)
        if not members[1]:
            return members
    return root, problems


def check_method(code: str, name: str | None) -> list[Problem]:
    """Syntax problems of a Java method, or a missing method / wrong name."""
    root, problems = _parse_snippet(code, whole=False)
    if problems:
        return problems
    body = root.named_children[0].child_by_field_name("body")
    members = body.named_children if body is not None else []
    declared = [
        _text(m.child_by_field_name("name"))
        for m in members
        if m.type in ("method_declaration", "constructor_declaration")
    ]
    if not declared:
        types = [m for m in members if m.type in _DECLARATION_KINDS]
        found = f"; found {types[0].type.split('_')[0]} declaration" if types else ""
        return [Problem("code", f"no method declaration found{found}")]
    if name and name not in declared:
        return [Problem("code", f"no method named '{name}' (found: {', '.join(declared)})")]
    return []


def check_test(code: str) -> list[Problem]:
    """Syntax problems of Java test code, a missing @Test method or a missing assertion."""
    root, problems = _parse_either(code)
    if problems:
        return problems
    nodes = list(walk(root))
    methods = [n for n in nodes if n.type == "method_declaration"]
    if not any(TEST_ANNOTATIONS & set(annotations(method)) for method in methods):
        problems.append(Problem("code", "no method annotated @Test or @ParameterizedTest"))
    calls = {_text(n.child_by_field_name("name")) for n in nodes if n.type == "method_invocation"}
    asserts = any(n.type == "assert_statement" for n in nodes)
    if not asserts and not any(_ASSERTION_CALL.fullmatch(call) for call in calls):
        message = "no assertion (assert*, assertThat, assertThrows, verify* or andExpect call)"
        problems.append(Problem("code", message))
    return problems


def parses(code: str) -> bool:
    """Whether Java code parses: a whole file, or members (methods, fields) of a class."""
    return not _parse_either(code)[1]
