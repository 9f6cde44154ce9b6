"""Java sources through tree-sitter-java: class units, and syntax/structure checks of snippets."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterator

import tree_sitter_java
from tree_sitter import Language, Node, Parser

from tasks.dsl.code_model import ClassUnit, CodeParseError, MethodUnit, count_body_lines
from tasks.dsl.problems import Problem

TEST_ANNOTATIONS = frozenset({"Test", "ParameterizedTest", "RepeatedTest"})
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


def annotations(node: Node) -> list[str]:
    """Simple names of a declaration's annotations (`@org.junit.Test` -> `Test`)."""
    modifiers = _modifiers(node)
    if modifiers is None:
        return []
    names = [
        _text(child.child_by_field_name("name"))
        for child in modifiers.children
        if child.type in ("marker_annotation", "annotation")
    ]
    return [name.rsplit(".", 1)[-1] for name in names]


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


def _source_with_javadoc(node: Node, source: bytes) -> str:
    start = node.start_byte
    doc = node.prev_sibling
    if (
        doc is not None
        and doc.type == "block_comment"
        and _text(doc).startswith("/**")
        and node.start_point.row - doc.end_point.row <= 1
    ):
        start = doc.start_byte
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
    )


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


def _collect(node: Node, package: str, outer: str, source: bytes, path: str) -> list[ClassUnit]:
    kind = _DECLARATION_KINDS[node.type]
    name = _text(node.child_by_field_name("name"))
    qualified = f"{outer}.{name}" if outer else name
    unit = ClassUnit("java", package, qualified, _bases(node), [], [], [], kind, path)
    nested: list[ClassUnit] = []
    constructors: list[list[str]] = []
    if kind == "record":
        components = _parameters(node.child_by_field_name("parameters"))
        unit.fields += components
        constructors.append([kind for _, kind in components])
    for member in _members(node, kind):
        if member.type == "enum_constant":
            unit.fields.append((_text(member.child_by_field_name("name")), qualified))
        elif member.type == "field_declaration" and "static" not in _modifier_words(member):
            # Instance state only: static constants and loggers are not part of the design.
            kind_text = type_text(member.child_by_field_name("type"))
            for declarator in member.children_by_field_name("declarator"):
                field_name = _text(declarator.child_by_field_name("name"))
                dims = _text(declarator.child_by_field_name("dimensions"))
                unit.fields.append((field_name, kind_text + dims))
        elif member.type == "constructor_declaration":
            params = _parameters(member.child_by_field_name("parameters"))
            constructors.append([kind for _, kind in params])
        elif member.type == "method_declaration":
            unit.methods.append(_method(member, source, kind == "interface"))
        elif member.type in _DECLARATION_KINDS:
            nested += _collect(member, package, qualified, source, path)
    # The longest constructor shows every dependency; ties go to the first declared.
    unit.ctor_params = max(constructors, key=len, default=[])
    return [unit, *nested]


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
    root, problems = _parse_snippet(code, whole=re.search(r"\bclass\s", code) is not None)
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
