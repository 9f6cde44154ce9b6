"""Python sources through `ast`: class units, and syntax/structure checks of snippets."""

from __future__ import annotations

import ast
import textwrap
from pathlib import PurePath

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

_ENUM_BASES = frozenset({"Enum", "IntEnum", "StrEnum", "Flag", "IntFlag"})
_Function = ast.FunctionDef | ast.AsyncFunctionDef
# unittest's and pytest's per-test set-up methods of a test class.
_SETUP_METHODS = frozenset({"setUp", "setup_method", "asyncSetUp"})


def _annotation(node: ast.expr | None, default: str) -> str:
    if node is None:
        return default
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value  # a forward reference: "Repo" means the type Repo
    return ast.unparse(node)


def _simple_name(node: ast.expr) -> str:
    target = node.func if isinstance(node, ast.Call) else node
    return ast.unparse(target).rsplit(".", 1)[-1]


def _parameters(function: _Function, is_method: bool) -> list[ast.arg]:
    args = function.args
    positional = [*args.posonlyargs, *args.args]
    is_static = any(_simple_name(d) == "staticmethod" for d in function.decorator_list)
    if is_method and not is_static and positional:
        positional = positional[1:]  # self / cls
    star = [ast.arg(f"*{args.vararg.arg}", args.vararg.annotation)] if args.vararg else []
    double = [ast.arg(f"**{args.kwarg.arg}", args.kwarg.annotation)] if args.kwarg else []
    return [*positional, *star, *args.kwonlyargs, *double]


def _body_lines(function: _Function, lines: list[str]) -> int:
    body = function.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the docstring is documentation, not implementation
    if not body:
        return 0
    return count_body_lines("\n".join(lines[body[0].lineno - 1 : function.end_lineno]))


def _dedented(lines: list[str], indent: int) -> str:
    # Strip the definition's own indentation only: textwrap.dedent keeps everything when a
    # multi-line string inside the method starts at column 0, leaving unparseable code.
    kept = [line[indent:] if not line[:indent].strip() else line for line in lines]
    return "\n".join(kept).strip("\n")


def _is_fixture(function: _Function) -> bool:
    return any(_simple_name(d) == "fixture" for d in function.decorator_list)


def _is_autouse(function: _Function) -> bool:
    return any(
        isinstance(d, ast.Call)
        and any(k.arg == "autouse" and ast.unparse(k.value) == "True" for k in d.keywords)
        for d in function.decorator_list
    )


def _method(function: _Function, lines: list[str], is_method: bool) -> MethodUnit:
    arguments = _parameters(function, is_method)
    first = min([function.lineno, *(d.lineno for d in function.decorator_list)])
    return MethodUnit(
        name=function.name,
        params=[(a.arg, _annotation(a.annotation, "Any")) for a in arguments],
        returns=_annotation(function.returns, "None"),
        source=_dedented(lines[first - 1 : function.end_lineno], function.col_offset),
        body_lines=_body_lines(function, lines),
        is_test=function.name.startswith("test"),
        start_line=first,
        visibility="private" if function.name.startswith("_") else "public",
        is_setup=_is_fixture(function) or (is_method and function.name in _SETUP_METHODS),
    )


def _constructed(node: ast.expr | None) -> str | None:
    """`Journal(...)` -> `Journal`: the class a call to a capitalised name constructs."""
    if isinstance(node, ast.Await):
        node = node.value
    if isinstance(node, ast.Call):
        name = ast.unparse(node.func).rsplit(".", 1)[-1]
        return name if name[:1].isupper() else None
    return None


def _returned_type(function: _Function) -> str | None:
    """What a fixture gives its tests: its return annotation, or the class it returns/yields."""
    if function.returns is not None:
        annotation = simple_type(_annotation(function.returns, ""))
        if annotation not in ("", "None", "Iterator", "Generator", "Iterable"):
            return annotation
    for node in ast.walk(function):
        if isinstance(node, ast.Return | ast.Yield) and (kind := _constructed(node.value)):
            return kind
    return None


def _receiver(node: ast.expr, scope: dict[str, str]) -> str:
    if isinstance(node, ast.Name):
        if node.id in scope:
            return scope[node.id]
        return node.id if node.id[:1].isupper() else UNKNOWN  # `Money.parse(..)`
    return _constructed(node) or UNKNOWN  # `Money(1).plus(..)`


def calls_of(function: _Function, fixture_types: dict[str, str]) -> list[Call]:
    """What a test calls, receivers typed by annotations, fixtures and `x = Class(..)`."""
    scope = {
        a.arg: simple_type(_annotation(a.annotation, ""))
        for a in _parameters(function, True)
        if a.annotation is not None
    }
    scope |= {a.arg: fixture_types[a.arg] for a in function.args.args if a.arg in fixture_types}
    for node in ast.walk(function):
        if isinstance(node, ast.Assign) and (kind := _constructed(node.value)):
            scope |= {t.id: kind for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            scope[node.target.id] = simple_type(_annotation(node.annotation, ""))
    found: list[tuple[int, int, Call]] = []
    for node in ast.walk(function):
        if not isinstance(node, ast.Call):
            continue
        count = len(node.args) + len(node.keywords)
        if isinstance(node.func, ast.Name):
            call = ("", node.func.id, count)
        elif isinstance(node.func, ast.Attribute):
            call = (_receiver(node.func.value, scope), node.func.attr, count)
        else:
            continue
        # Where the called name ends: `a.b().c()` calls b, then c (ast.walk is breadth first).
        found.append((node.func.end_lineno or 0, node.func.end_col_offset or 0, call))
    return [call for *_, call in sorted(found, key=lambda item: item[:2])]


def _link_tests(
    tree: ast.Module, units: list[ClassUnit], lines: list[str], class_nodes: dict[str, ast.ClassDef]
) -> None:
    """Each test's calls, context and set-up: the fixtures it requests (and theirs), autouse
    fixtures, and its class's setUp / setup_method."""
    fixtures = {
        node.name: node for node in tree.body if isinstance(node, _Function) and _is_fixture(node)
    }
    fixture_types = {
        name: kind for name, node in fixtures.items() if (kind := _returned_type(node))
    }
    sources = {name: _method(node, lines, False).source for name, node in fixtures.items()}
    autouse = [name for name, node in fixtures.items() if _is_autouse(node)]

    def requested(names: list[str], seen: list[str]) -> list[str]:
        for name in names:
            if name in fixtures and name not in seen:
                requested([a.arg for a in fixtures[name].args.args], seen)
                seen.append(name)
        return seen

    for unit in units:
        class_node = class_nodes.get(unit.name)
        body = class_node.body if class_node is not None else tree.body
        functions = {n.name: n for n in body if isinstance(n, _Function)}
        own_setup = [m.source for m in unit.methods if m.is_setup and m.name in _SETUP_METHODS]
        for method in unit.methods:
            function = functions.get(method.name)
            if not method.is_test or function is None:
                continue
            names = requested([*autouse, *(a.arg for a in function.args.args)], [])
            order = list(fixtures)
            method.setup = [sources[n] for n in sorted(names, key=order.index)] + own_setup
            method.calls = calls_of(function, fixture_types)
            method.context = tuple(unit.name.split(".")) if unit.kind != "module" else ()


def _self_fields(init: _Function) -> list[tuple[str, str]]:
    typed = {a.arg: _annotation(a.annotation, "Any") for a in _parameters(init, True)}
    fields: dict[str, str] = {}
    for node in ast.walk(init):
        if isinstance(node, ast.AnnAssign):
            targets, value = [node.target], None
        elif isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        else:
            continue
        for target in targets:
            if isinstance(target, ast.Attribute) and ast.unparse(target.value) == "self":
                if isinstance(node, ast.AnnAssign):
                    kind = _annotation(node.annotation, "Any")
                elif isinstance(value, ast.Name):
                    kind = typed.get(value.id, "Any")
                else:
                    kind = "Any"
                fields.setdefault(target.attr, kind)
    return list(fields.items())


def _type_name(annotation: str) -> str:
    return annotation.split("[")[0].rsplit(".", 1)[-1]


def _is_class_variable(statement: ast.AnnAssign) -> bool:
    return _type_name(ast.unparse(statement.annotation)) in ("ClassVar", "KW_ONLY")


def _is_init_field(statement: ast.AnnAssign) -> bool:
    value = statement.value
    if isinstance(value, ast.Call) and _simple_name(value) == "field":
        return not any(
            k.arg == "init" and isinstance(k.value, ast.Constant) and k.value.value is False
            for k in value.keywords
        )
    return True


def _kind(bases: list[str]) -> str:
    simple = {_type_name(base) for base in bases}
    if simple & _ENUM_BASES:
        return "enum"
    return "interface" if "Protocol" in simple else "class"


def _class(
    node: ast.ClassDef,
    module: str,
    outer: str,
    lines: list[str],
    path: str,
    class_nodes: dict[str, ast.ClassDef],
) -> list[ClassUnit]:
    name = f"{outer}.{node.name}" if outer else node.name
    class_nodes[name] = node
    bases = [ast.unparse(base) for base in node.bases]
    kind = _kind(bases)
    unit = ClassUnit("python", module, name, bases, [], [], [], kind, path)
    nested: list[ClassUnit] = []
    init_fields: list[ast.AnnAssign] = []
    for statement in node.body:
        if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            if not _is_class_variable(statement):
                unit.fields.append((statement.target.id, _annotation(statement.annotation, "Any")))
                if _is_init_field(statement):
                    init_fields.append(statement)
        elif isinstance(statement, ast.Assign) and kind == "enum":
            members = [t.id for t in statement.targets if isinstance(t, ast.Name)]
            unit.fields += [(member, name) for member in members if not member.startswith("_")]
        elif isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
            unit.methods.append(_method(statement, lines, is_method=True))
        elif isinstance(statement, ast.ClassDef):
            nested += _class(statement, module, name, lines, path, class_nodes)
    init = next((f for f in node.body if isinstance(f, _Function) and f.name == "__init__"), None)
    if init is not None:
        unit.ctor_params = [_annotation(a.annotation, a.arg) for a in _parameters(init, True)]
        known = {field_name for field_name, _ in unit.fields}
        unit.fields += [f for f in _self_fields(init) if f[0] not in known]
    elif any(_simple_name(d) == "dataclass" for d in node.decorator_list):
        unit.ctor_params = [_annotation(f.annotation, "Any") for f in init_fields]
    return [unit, *nested]


def parse_python(text: str, module: str = "", path: str = "") -> list[ClassUnit]:
    """Each class as a unit, plus one "module" unit holding the module-level functions."""
    # ast numbers lines by \n, \r\n and \r only; str.splitlines would also split on \f and others.
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    try:
        tree = ast.parse(text)
    except SyntaxError as exc:
        where = f"{path or 'Python source'}: syntax error at line {exc.lineno or 1}"
        raise CodeParseError(f"{where}: {exc.msg}") from exc
    lines = text.split("\n")
    units: list[ClassUnit] = []
    class_nodes: dict[str, ast.ClassDef] = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            units += _class(node, module, "", lines, path, class_nodes)
    functions = [_method(n, lines, is_method=False) for n in tree.body if isinstance(n, _Function)]
    if functions:
        name = module.rsplit(".", 1)[-1] if module else PurePath(path).stem or "module"
        units.append(ClassUnit("python", module, name, [], [], [], functions, "module", path))
    if any(method.is_test for unit in units for method in unit.methods):
        _link_tests(tree, units, lines, class_nodes)
    return units


def parses(code: str) -> bool:
    """Whether the (dedented) code is valid Python."""
    return _parse_snippet(code)[0] is not None


def _parse_snippet(code: str) -> tuple[ast.Module | None, list[Problem]]:
    try:
        return ast.parse(textwrap.dedent(code)), []
    except SyntaxError as exc:
        return None, [Problem(f"line {exc.lineno or 1}", f"syntax error: {exc.msg}")]


def check_method(code: str, name: str | None) -> list[Problem]:
    """Syntax problems, or not exactly one top-level function (imports allowed) / wrong name."""
    tree, problems = _parse_snippet(code)
    if tree is None:
        return problems
    functions = [node for node in tree.body if isinstance(node, _Function)]
    for node in tree.body:
        if not isinstance(node, _Function | ast.Import | ast.ImportFrom):
            statement = ast.unparse(node).splitlines()[0][:40]
            message = f"unexpected top-level statement {statement!r}; only the method is expected"
            problems.append(Problem(f"line {node.lineno}", message))
    if len(functions) != 1:
        message = f"expected exactly one top-level function, found {len(functions)}"
        problems.append(Problem("code", message))
    elif name and functions[0].name != name:
        message = f"function is named '{functions[0].name}', expected '{name}'"
        problems.append(Problem(f"line {functions[0].lineno}", message))
    return problems


def _is_assertion(node: ast.AST) -> bool:
    if isinstance(node, ast.Assert):
        return True
    if not isinstance(node, ast.Call):
        return False
    called = ast.unparse(node.func)
    # pytest.raises, and unittest's self.assertEqual & co.
    return called == "pytest.raises" or called.rsplit(".", 1)[-1].startswith("assert")


def check_test(code: str) -> list[Problem]:
    """Syntax problems, no `test*` function, or no assert / pytest.raises."""
    tree, problems = _parse_snippet(code)
    if tree is None:
        return problems
    nodes = list(ast.walk(tree))
    if not any(isinstance(n, _Function) and n.name.startswith("test") for n in nodes):
        problems.append(Problem("code", "no test function (a function named test*)"))
    if not any(_is_assertion(n) for n in nodes):
        problems.append(Problem("code", "no assertion (assert statement or pytest.raises)"))
    return problems
