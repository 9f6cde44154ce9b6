"""TypeScript and JavaScript through tree-sitter: class units, test cases, and snippet checks.

A file gives one unit per class, interface and enum, plus one "module" unit holding its
top-level functions (`function f() {}`, `const f = () => ...`, exported or not) and, in a test
file, its test cases: each `it(...)` / `test(...)` call is a test "method" whose set-up is the
declarations and `beforeEach` / `beforeAll` hooks of the `describe` blocks around it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath

import tree_sitter_javascript
import tree_sitter_typescript
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
from tasks.dsl.java_units import syntax_problems, walk
from tasks.dsl.problems import Problem

LANGUAGES = ("typescript", "javascript")
_PARSERS = {
    "typescript": Parser(Language(tree_sitter_typescript.language_typescript())),
    "tsx": Parser(Language(tree_sitter_typescript.language_tsx())),
    "javascript": Parser(Language(tree_sitter_javascript.language())),  # JSX included
}
_CLASSES = {"class_declaration": "class", "abstract_class_declaration": "class", "class": "class"}
_FUNCTIONS = {"arrow_function", "function_expression", "function", "generator_function"}
_FUNCTION_DECLARATIONS = {"function_declaration", "generator_function_declaration"}
_DECLARATIONS = {"lexical_declaration", "variable_declaration"}
# Jest, Vitest, Mocha and Jasmine: blocks, cases and per-test hooks (`it.each(...)(...)` too).
_SUITES = {"describe", "context", "suite", "fdescribe", "xdescribe"}
_CASES = {"it", "test", "specify", "fit", "xit"}
_HOOKS = {"beforeEach", "beforeAll", "before", "setup"}
_ASSERTION = re.compile(r"expect|assert\w*|should")
_INJECTORS = {"inject", "get", "resolve", "createComponent", "createSpyObj"}
_WRAPPER = "class __Wrapper__ {\n"
_TOP_LEVEL = re.compile(r"(export|(async\s+)?function|const|let|var|import)\b(?!\s*\()")


def language_of_path(path: str) -> str:
    """`typescript` for .ts/.tsx/.mts/.cts, else `javascript`."""
    return "typescript" if re.search(r"\.[cm]?tsx?$", path) else "javascript"


def _parser(language: str, path: str = "") -> Parser:
    if language == "typescript":
        return _PARSERS["tsx" if path.endswith(".tsx") else "typescript"]
    return _PARSERS["javascript"]


def _text(node: Node | None) -> str:
    return node.text.decode("utf-8", "replace") if node is not None and node.text else ""


def _dedent(text: str) -> str:
    """textwrap.dedent without its regular expression, which is compiled from the margin
    itself: a method deep in a long line (bundled code) would compile a huge pattern."""
    lines = text.split("\n")
    margins = [line[: len(line) - len(line.lstrip())] for line in lines if line.strip()]
    margin = min(margins, key=len, default="")
    while margin and not all(m.startswith(margin) for m in margins):
        margin = margin[:-1]  # tabs and spaces mixed: the part all lines share
    return "\n".join(line[len(margin) :] if line.strip() else "" for line in lines)


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _annotation(node: Node | None) -> str:
    """The type of a `: Type` annotation, whitespace normalised ("" without one)."""
    return _squeeze(_text(node).lstrip()[1:]) if node is not None else ""


def _identifier(name: str) -> str:
    cleaned = re.sub(r"\W", "_", name)
    return f"_{cleaned}" if cleaned[:1].isdigit() else cleaned


def package_of(path: str) -> str:
    """A file's folders as a dotted package: `src/app/article-list/x.ts` -> `app.article_list`."""
    parts = list(PurePosixPath(path).parent.parts)
    if parts[:1] == ["src"]:
        parts = parts[1:]
    return ".".join(_identifier(part) for part in parts if part not in ("", "."))


def _module_name(path: str) -> str:
    name = PurePosixPath(path).name or "module"
    stem = re.sub(r"\.[cm]?[jt]sx?$", "", name)
    return ".".join(_identifier(part) for part in stem.split(".") if part) or "module"


@dataclass
class _Reader:
    source: bytes
    language: str

    def snippet(self, node: Node, first: Node | None = None) -> str:
        """The node's text from `first` (a decorator or doc comment), dedented as a whole."""
        start = (first or node).start_byte
        line_start = self.source.rfind(b"\n", 0, start) + 1
        prefix = self.source[line_start:start]
        indent = prefix if not prefix.strip() else b" " * len(prefix)
        text = (indent + self.source[start : node.end_byte]).decode("utf-8", "replace")
        return _dedent(text).strip("\n")

    def param(self, node: Node) -> tuple[str, str] | None:
        """(name, type) of one formal parameter; None for TypeScript's `this` parameter."""
        default_kind = "any" if self.language == "typescript" else ""
        if node.type in ("required_parameter", "optional_parameter"):
            pattern = node.child_by_field_name("pattern")
            if pattern is None or pattern.type == "this":
                return None
            name = self._pattern_name(pattern) + ("?" if node.type == "optional_parameter" else "")
            kind = _annotation(node.child_by_field_name("type"))
            kind = kind or _literal_type(node.child_by_field_name("value")) or default_kind
            return name, kind or name
        name = self._pattern_name(node)
        return name, default_kind or name

    def _pattern_name(self, node: Node) -> str:
        if node.type in ("object_pattern", "array_pattern"):
            return "{...}" if node.type == "object_pattern" else "[...]"  # destructured
        if node.type == "assignment_pattern":
            return self._pattern_name(node.child_by_field_name("left"))
        if node.type == "rest_pattern":
            inner = node.named_children[0] if node.named_children else None
            return "..." + (self._pattern_name(inner) if inner is not None else "")
        return _squeeze(_text(node))

    def params(self, node: Node | None) -> list[tuple[str, str]]:
        found = []
        for child in node.named_children if node is not None else []:
            if child.type in ("comment", "decorator"):
                continue
            param = self.param(child)
            if param is not None:
                found.append(param)
        return found

    def returns(self, function: Node) -> str:
        annotated = _annotation(function.child_by_field_name("return_type"))
        if annotated:
            return annotated
        body = function.child_by_field_name("body")
        gives = body is not None and (body.type != "statement_block" or _returns_value(body))
        kind = "any" if gives else "void"
        is_async = any(child.type == "async" for child in function.children)
        return f"Promise<{kind}>" if is_async else kind

    def method(
        self, name: str, function: Node, node: Node, first: Node | None, visibility: str
    ) -> MethodUnit:
        """A method or function: `function` holds parameters and body, `node` the whole text."""
        body = function.child_by_field_name("body")
        if body is None:
            lines = 0
        elif body.type == "statement_block":
            lines = count_body_lines(_text(body)[1:-1])
        else:
            lines = 1  # an arrow function's expression body
        return MethodUnit(
            name=name,
            params=self.params(function.child_by_field_name("parameters")),
            returns=self.returns(function),
            source=self.snippet(node, first),
            body_lines=lines,
            is_test=False,
            start_line=(first or node).start_point.row + 1,
            visibility=visibility,
        )


def _literal_type(value: Node | None) -> str:
    """TypeScript's type of a literal default: `ignoreNew = false` is a boolean."""
    kinds = {"true": "boolean", "false": "boolean", "number": "number", "string": "string"}
    return kinds.get(value.type, "") if value is not None else ""


def _returns_value(body: Node) -> bool:
    """Whether a function body returns a value (nested functions' returns are theirs)."""
    stack = list(body.named_children)
    while stack:
        node = stack.pop()
        if node.type == "return_statement" and node.named_children:
            return True
        if node.type not in _FUNCTIONS | _FUNCTION_DECLARATIONS | {"class_body"}:
            stack.extend(node.named_children)
    return False


def _leading(node: Node) -> Node | None:
    """The first of the doc comment and decorators directly before a node, if any."""
    first = None
    sibling = node.prev_sibling
    while sibling is not None and (
        sibling.type == "decorator"
        or (sibling.type == "comment" and _text(sibling).startswith("/**"))
    ):
        if (first or node).start_point.row - sibling.end_point.row > 1:
            break
        first = sibling
        sibling = sibling.prev_sibling
    return first


def _visibility(node: Node) -> str:
    name = node.child_by_field_name("name") or node.child_by_field_name("property")
    if name is not None and name.type == "private_property_identifier":
        return "private"
    modifier = next((c for c in node.named_children if c.type == "accessibility_modifier"), None)
    return _text(modifier) or "public"


def _is_static(node: Node) -> bool:
    return any(child.type == "static" for child in node.children)


def _bases(node: Node) -> list[str]:
    bases = []
    for heritage in (c for c in node.named_children if c.type == "class_heritage"):
        for clause in heritage.named_children:
            if clause.type == "extends_clause":
                bases.append(_squeeze(_text(clause.child_by_field_name("value"))))
            elif clause.type == "implements_clause":
                bases += [_squeeze(_text(t)) for t in clause.named_children]
            else:  # JavaScript: `extends Base` is the heritage's own expression
                bases.append(_squeeze(_text(clause)))
    return bases


def _assigned_fields(
    constructor: Node, params: dict[str, str], known: set[str]
) -> list[tuple[str, str]]:
    """`this.x = ...` in a constructor: fields, typed when assigned from a typed parameter."""
    found: dict[str, str] = {}
    for node in walk(constructor):
        if node.type != "assignment_expression":
            continue
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if left is None or left.type != "member_expression":
            continue
        if _text(left.child_by_field_name("object")) != "this":
            continue
        name = _text(left.child_by_field_name("property"))
        if name in known or name in found:
            continue
        kind = params.get(_text(right), "") if right is not None else ""
        if not kind and right is not None and right.type == "new_expression":
            kind = simple_type(_text(right.child_by_field_name("constructor")))
        found[name] = kind or "any"
    return list(found.items())


def _class(node: Node, name: str, reader: _Reader, package: str, path: str) -> ClassUnit:
    unit = ClassUnit(reader.language, package, name, _bases(node), [], [], [], "class", path)
    body = node.child_by_field_name("body")
    constructor = None
    for member in body.named_children if body is not None else []:
        member_name = _text(
            member.child_by_field_name("name") or member.child_by_field_name("property")
        )
        if member.type == "method_definition" and member_name == "constructor":
            constructor = member
        elif member.type in ("method_definition", "abstract_method_signature"):
            unit.methods.append(
                reader.method(member_name, member, member, _leading(member), _visibility(member))
            )
        elif member.type in ("public_field_definition", "field_definition"):
            value = member.child_by_field_name("value")
            if value is not None and value.type in _FUNCTIONS:
                unit.methods.append(
                    reader.method(member_name, value, member, _leading(member), _visibility(member))
                )
            elif not _is_static(member):
                kind = _annotation(member.child_by_field_name("type"))
                if not kind and value is not None and value.type == "new_expression":
                    kind = simple_type(_text(value.child_by_field_name("constructor")))
                unit.fields.append((member_name, kind or _literal_type(value) or "any"))
    if constructor is not None:
        parameters = constructor.child_by_field_name("parameters")
        params = reader.params(parameters)
        unit.ctor_params = [kind for _, kind in params]
        properties = [
            reader.param(p)
            for p in (parameters.named_children if parameters is not None else [])
            if any(c.type in ("accessibility_modifier", "readonly") for c in p.children)
        ]
        unit.fields += [(name.rstrip("?"), kind) for name, kind in filter(None, properties)]
        # JavaScript names no types: a field assigned from a parameter is `any` there.
        typed = {name.rstrip("?"): kind for name, kind in params if reader.language != "javascript"}
        known = {field_name for field_name, _ in unit.fields}
        unit.fields += _assigned_fields(constructor, typed, known)
    return unit


def _interface(node: Node, name: str, reader: _Reader, package: str, path: str) -> ClassUnit:
    bases = [
        _squeeze(_text(t))
        for clause in node.named_children
        if clause.type == "extends_type_clause"
        for t in clause.named_children
    ]
    unit = ClassUnit(reader.language, package, name, bases, [], [], [], "interface", path)
    body = node.child_by_field_name("body")
    for member in body.named_children if body is not None else []:
        member_name = _text(member.child_by_field_name("name"))
        if member.type == "property_signature":
            unit.fields.append((member_name, _annotation(member.child_by_field_name("type"))))
        elif member.type == "method_signature":
            unit.methods.append(
                reader.method(member_name, member, member, _leading(member), "public")
            )
    return unit


def _enum(node: Node, name: str, reader: _Reader, package: str, path: str) -> ClassUnit:
    unit = ClassUnit(reader.language, package, name, [], [], [], [], "enum", path)
    body = node.child_by_field_name("body")
    for member in body.named_children if body is not None else []:
        if member.type == "enum_assignment":
            unit.fields.append((_text(member.child_by_field_name("name")), name))
        elif member.type == "property_identifier":
            unit.fields.append((_text(member), name))
    return unit


@dataclass
class _Suite:
    """A `describe` block seen from a test inside it: titles, set-up code and variable types."""

    titles: tuple[str, ...] = ()
    setup: list[str] = field(default_factory=list)
    types: dict[str, str] = field(default_factory=dict)


def _callee(call: Node) -> str:
    """`it` for `it(..)`, `it.only(..)`, `it.each([..])(..)`; "" for anything else."""
    function = call.child_by_field_name("function")
    while function is not None and function.type in ("call_expression", "member_expression"):
        inner = "function" if function.type == "call_expression" else "object"
        function = function.child_by_field_name(inner)
    return _text(function) if function is not None and function.type == "identifier" else ""


def _title(node: Node | None) -> str:
    if node is None:
        return ""
    if node.type in ("string", "template_string"):
        return _text(node)[1:-1]
    return _squeeze(_text(node))


def _callback(arguments: Node) -> Node | None:
    functions = [a for a in arguments.named_children if a.type in _FUNCTIONS]
    return functions[-1] if functions else None


def _variable_types(node: Node, types: dict[str, str]) -> dict[str, str]:
    """Types of variables declared or assigned in a block: `let s: T`, `s = new T()`,
    `s = TestBed.inject(T)`, `s = x as T`."""
    found = dict(types)
    for child in walk(node):
        if child.type == "variable_declarator":
            name, value = child.child_by_field_name("name"), child.child_by_field_name("value")
            kind = _annotation(child.child_by_field_name("type")) or _value_type(value)
        elif child.type == "assignment_expression":
            name, value = child.child_by_field_name("left"), child.child_by_field_name("right")
            kind = _value_type(value)
        else:
            continue
        if name is not None and name.type == "identifier" and kind:
            found[_text(name)] = simple_type(kind)
    return found


def _value_type(value: Node | None) -> str:
    if value is None:
        return ""
    if value.type == "await_expression" and value.named_children:
        return _value_type(value.named_children[0])
    if value.type == "new_expression":
        return _text(value.child_by_field_name("constructor"))
    if value.type in ("as_expression", "satisfies_expression") and len(value.named_children) == 2:
        return _text(value.named_children[1])
    if value.type == "call_expression":
        function = value.child_by_field_name("function")
        arguments = value.child_by_field_name("arguments")
        if function is not None and function.type == "member_expression":
            method = _text(function.child_by_field_name("property"))
            first = arguments.named_children[0] if arguments and arguments.named_children else None
            if method in _INJECTORS and first is not None and first.type == "identifier":
                return _text(first) if _text(first)[:1].isupper() else ""
    return ""


def calls_of(node: Node, types: dict[str, str]) -> list[Call]:
    """What a block calls, in source order of the called names, receivers typed by the
    variables around it and inside it."""
    scope = _variable_types(node, types)
    found: list[tuple[int, Call]] = []
    for child in walk(node):
        function = child.child_by_field_name("function")
        if child.type != "call_expression" or function is None:
            continue
        arguments = child.child_by_field_name("arguments")
        count = (
            len([a for a in arguments.named_children if a.type != "comment"]) if arguments else 0
        )
        if function.type == "identifier":
            found.append((function.start_byte, ("", _text(function), count)))
        elif function.type == "member_expression":
            target, name = (
                function.child_by_field_name("object"),
                function.child_by_field_name("property"),
            )
            call = (_receiver(target, scope), _text(name), count)
            found.append((name.start_byte if name is not None else child.start_byte, call))
    return [call for _, call in sorted(found, key=lambda item: item[0])]


def _receiver(node: Node | None, scope: dict[str, str]) -> str:
    if node is None:
        return UNKNOWN
    if node.type == "identifier":
        name = _text(node)
        if name in scope:
            return scope[name]
        return name if name[:1].isupper() else UNKNOWN  # `Money.of(..)`: a static call
    if node.type == "new_expression":
        return simple_type(_text(node.child_by_field_name("constructor")))
    if node.type == "parenthesized_expression" and node.named_children:
        return _receiver(node.named_children[0], scope)
    return UNKNOWN


def _statements(callback: Node) -> list[Node]:
    body = callback.child_by_field_name("body")
    return list(body.named_children) if body is not None and body.type == "statement_block" else []


def _call_statements(statements: list[Node]) -> list[tuple[Node, Node]]:
    """(statement, call) of the statements that are a call: `describe(..);`, `it(..);`."""
    return [
        (statement, statement.named_children[0])
        for statement in statements
        if statement.type == "expression_statement"
        and statement.named_children
        and statement.named_children[0].type == "call_expression"
    ]


def _tests(
    statements: list[Node], suite: _Suite, reader: _Reader, top: bool = False
) -> list[MethodUnit]:
    """Test cases and hooks of one block, recursing into nested `describe` blocks. The
    variables a `describe` block declares are set-up; a file's own (imports, `require`s,
    constants) are not."""
    calls = _call_statements(statements)
    setup = list(suite.setup)
    types = dict(suite.types)
    hooks: list[MethodUnit] = []
    for statement in statements:  # declarations and hooks in source order
        call = statement.named_children[0] if statement.named_children else None
        is_hook = (
            statement.type == "expression_statement"
            and call is not None
            and call.type == "call_expression"
            and _callee(call) in _HOOKS
        )
        if (statement.type in _DECLARATIONS and not top) or is_hook:
            setup.append(reader.snippet(statement))
        if statement.type in _DECLARATIONS or is_hook:
            types = _variable_types(statement, types)
        if is_hook:
            hook = reader.method(_callee(call), call, statement, None, "public")
            hook.is_setup = True
            hooks.append(hook)
    found: list[MethodUnit] = []
    for statement, call in calls:
        name, arguments = _callee(call), call.child_by_field_name("arguments")
        callback = _callback(arguments) if arguments is not None else None
        if callback is None or not arguments.named_children:
            continue
        title = _title(arguments.named_children[0])
        if name in _SUITES:
            inner = _Suite((*suite.titles, title), setup, types)
            found += _tests(_statements(callback), inner, reader)
        elif name in _CASES:
            test = reader.method(title, callback, statement, None, "public")
            test.params, test.returns, test.is_test = [], "void", True
            test.calls, test.setup = calls_of(callback, types), list(setup)
            test.context = suite.titles
            found.append(test)
    return hooks + sorted(found, key=lambda m: m.start_line)


def _declared(node: Node) -> tuple[Node, bool]:
    """The declaration inside `export ...` / `export default ...`, and whether it is exported."""
    if node.type == "export_statement":
        inner = node.child_by_field_name("declaration") or node.child_by_field_name("value")
        return (inner, True) if inner is not None else (node, True)
    return node, False


def parse_script(text: str, path: str = "", language: str | None = None) -> list[ClassUnit]:
    """Classes, interfaces, enums and one module unit (functions, test cases) of a TS/JS file."""
    language = language or language_of_path(path)
    source = text.encode("utf-8")
    root = _parser(language, path).parse(source).root_node
    if root.has_error:
        first = syntax_problems(root)
        where = first[0].where if first else "an unknown line"
        raise CodeParseError(f"{path or language.title() + ' source'}: syntax error at {where}")
    reader, package, module = _Reader(source, language), package_of(path), _module_name(path)
    units: list[ClassUnit] = []
    functions: list[MethodUnit] = []
    for statement in root.named_children:
        node, exported = _declared(statement)
        first = _leading(statement)
        visibility = "public" if exported else "package"
        name = _text(node.child_by_field_name("name"))
        if node.type in _CLASSES:
            units.append(_class(node, name or _identifier(module), reader, package, path))
        elif node.type == "interface_declaration":
            units.append(_interface(node, name, reader, package, path))
        elif node.type == "enum_declaration":
            units.append(_enum(node, name, reader, package, path))
        elif node.type in _FUNCTION_DECLARATIONS:
            functions.append(reader.method(name, node, statement, first, visibility))
        elif node.type in _DECLARATIONS:
            for declarator in (c for c in node.named_children if c.type == "variable_declarator"):
                value = declarator.child_by_field_name("value")
                if value is not None and value.type in _FUNCTIONS:
                    declared = _text(declarator.child_by_field_name("name"))
                    functions.append(reader.method(declared, value, statement, first, visibility))
    statements = list(root.named_children)
    if any(_callee(call) in _SUITES | _CASES for _, call in _call_statements(statements)):
        functions += _tests(statements, _Suite(), reader, top=True)
    if functions:
        qualified = f"{package}.{module}" if package else module
        units.append(ClassUnit(language, qualified, module, [], [], [], functions, "module", path))
    return units


def _parse(code: str, language: str, wrapped: bool) -> tuple[Node, list[Problem]]:
    """The snippet's tree and syntax problems; TypeScript falls back to TSX (JSX in a test)."""
    text = _WRAPPER + code + "\n}\n" if wrapped else code
    last_line = max(1, len(code.splitlines()))
    parsers = ["typescript", "tsx"] if language == "typescript" else ["javascript"]
    results = []
    for name in parsers:
        root = _PARSERS[name].parse(text.encode("utf-8")).root_node
        results.append((root, syntax_problems(root, -1 if wrapped else 0, last_line)))
        if not results[-1][1]:
            break
    return results[-1] if not results[-1][1] else results[0]


def _function_names(root: Node) -> list[str]:
    names = []
    for statement in root.named_children:
        node, _ = _declared(statement)
        if node.type in _FUNCTION_DECLARATIONS:
            names.append(_text(node.child_by_field_name("name")))
        elif node.type in _DECLARATIONS:
            names += [
                _text(d.child_by_field_name("name"))
                for d in node.named_children
                if d.type == "variable_declarator"
                and (value := d.child_by_field_name("value")) is not None
                and value.type in _FUNCTIONS
            ]
    return names


def _method_names(root: Node) -> list[str]:
    wrapper = root.named_children[0] if root.named_children else None
    body = wrapper.child_by_field_name("body") if wrapper is not None else None
    names = []
    for member in body.named_children if body is not None else []:
        value = member.child_by_field_name("value")
        if member.type == "method_definition" or (
            member.type in ("public_field_definition", "field_definition")
            and value is not None
            and value.type in _FUNCTIONS
        ):
            names.append(
                _text(member.child_by_field_name("name") or member.child_by_field_name("property"))
            )
    return names


def _without_preamble(code: str) -> str:
    """The code after leading comments and decorators (`@Input()`, `/** ... */`)."""
    text = code.lstrip()
    while True:
        if text.startswith("//"):
            text = text.split("\n", 1)[1].lstrip() if "\n" in text else ""
        elif text.startswith("/*") and "*/" in text:
            text = text.split("*/", 1)[1].lstrip()
        elif match := re.match(r"@[\w.]+(\([^)]*\))?\s*", text):
            text = text[match.end() :]
        else:
            return text


def check_method(code: str, name: str | None, language: str) -> list[Problem]:
    """Syntax problems of a TS/JS function or class method, or a missing one / wrong name."""
    top_level = _TOP_LEVEL.match(_without_preamble(code)) is not None
    root, problems = _parse(code, language, wrapped=not top_level)
    if problems:
        return problems
    declared = _function_names(root) if top_level else _method_names(root)
    if not declared:
        return [Problem("code", "no function or method declaration found")]
    if name and name not in declared:
        return [
            Problem("code", f"no function or method named '{name}' (found: {', '.join(declared)})")
        ]
    return []


def check_test(code: str, language: str) -> list[Problem]:
    """Syntax problems of TS/JS test code, no `it(...)` / `test(...)` case, or no assertion."""
    root, problems = _parse(code, language, wrapped=False)
    if problems:
        return problems
    calls = [node for node in walk(root) if node.type == "call_expression"]
    if not any(_callee(call) in _CASES for call in calls):
        problems.append(Problem("code", "no test case (an it(...) or test(...) call)"))
    names = {  # every name in a called expression: `expect(x).toBe`, `assert.equal`, `x.should`
        _text(node)
        for call in calls
        for node in walk(call.child_by_field_name("function") or call)
        if node.type in ("identifier", "property_identifier")
    }
    if not any(_ASSERTION.fullmatch(name) for name in names if name):
        message = "no assertion (an expect(...), assert*(...) or should call)"
        problems.append(Problem("code", message))
    return problems


def parses(code: str, language: str) -> bool:
    """Whether the code parses as a TS/JS file or as members of a class."""
    return not _parse(code, language, wrapped=False)[1] or not _parse(code, language, True)[1]
