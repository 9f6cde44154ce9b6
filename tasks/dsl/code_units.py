"""Classes and methods of Java, Python, TypeScript and JavaScript: the class summary, code checks.

Summary grammar (three lines):

    com.acme.payments.service.StandingOrderService(StandingOrderRepository, Clock)
    - fields: repository:StandingOrderRepository, clock:Clock
    - methods: create(CreateStandingOrderRequest): StandingOrder, pause(String, LocalDate): void
"""

from __future__ import annotations

import ast
import re
import textwrap

from tasks.dsl import java_units, python_units, ts_units
from tasks.dsl.code_model import ClassUnit, CodeParseError, MethodUnit
from tasks.dsl.java_units import parse_java
from tasks.dsl.problems import Problem
from tasks.dsl.python_units import parse_python
from tasks.dsl.ts_units import parse_script

__all__ = [
    "ClassUnit",
    "CodeParseError",
    "detect_language",
    "MethodUnit",
    "LANGUAGES",
    "parse_java",
    "parse_python",
    "parse_script",
    "render_summary",
    "signature",
    "validate_method",
    "validate_summary",
    "validate_test",
]

_NAME = r"[A-Za-z_$][\w$]*"
_QUALIFIED = re.compile(rf"({_NAME}(?:\.{_NAME})*)\((.*)\)")
_FIELD = re.compile(rf"({_NAME}):(\S.*)")
_METHOD = re.compile(rf"({_NAME})\((.*)\): (\S.*)")
_OPENERS, _CLOSERS = "<[(", ">])"
LANGUAGES = ("java", "python", *ts_units.LANGUAGES)  # what the code tasks read and validate
_JAVA_PUNCTUATION = re.compile(r"[{};]")
_UNSUPPORTED = "expected " + ", ".join(LANGUAGES[:-1]) + " or " + LANGUAGES[-1]


def _is_dunder(name: str) -> bool:
    return name.startswith("__") and name.endswith("__")


def _qualified_name(unit: ClassUnit) -> str:
    if unit.kind == "module":
        return unit.package or unit.name  # the module path already ends with its name
    return f"{unit.package}.{unit.name}" if unit.package else unit.name


def render_summary(unit: ClassUnit) -> str:
    """`package.Class(CtorTypes)`, `- fields: ...`, `- methods: ...` (no tests, no dunders).

    The methods are the declared ones, then those a code generator writes (Lombok accessors).
    """
    fields = ", ".join(f"{name}:{kind}" for name, kind in unit.fields)
    methods = ", ".join(
        f"{m.name}({', '.join(kind for _, kind in m.params)}): {m.returns}"
        for m in [*unit.methods, *unit.generated]
        if not m.is_test and not _is_dunder(m.name)
    )
    return "\n".join(
        [
            f"{_qualified_name(unit)}({', '.join(unit.ctor_params)})",
            f"- fields: {fields}".rstrip(),
            f"- methods: {methods}".rstrip(),
        ]
    )


def signature(method: MethodUnit, language: str) -> str:
    """The method with its parameters as declared: `getPet(String name, boolean ignoreNew)`
    in Java, `pause(order_id: str, until: date)` in Python and TypeScript, `add(item, qty)` in
    JavaScript (which names no types)."""
    if language == "java":
        params = [f"{kind} {name}" for name, kind in method.params]
    else:
        params = [name if kind in (name, "") else f"{name}: {kind}" for name, kind in method.params]
    return f"{method.name}({', '.join(params)})"


def _split_types(text: str) -> list[str] | None:
    items, stack, start, quote = [], [], 0, ""
    for index, char in enumerate(text):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in _OPENERS:
            stack.append(_CLOSERS[_OPENERS.index(char)])
        elif char in _CLOSERS:
            if not stack or stack.pop() != char:
                return None
        elif char == "," and not stack:
            items.append(text[start:index].strip())
            start = index + 1
    if stack or quote:
        return None
    items.append(text[start:].strip())
    return items


def _type_problems(text: str, what: str) -> list[str]:
    if not text.strip():
        return []
    items = _split_types(text)
    if items is None:
        return [f"{what} {text!r} has unbalanced brackets"]
    return [f"{what} {text!r} has an empty type"] if not all(items) else []


def _items_problems(rest: str, pattern: re.Pattern[str], shape: str) -> list[str]:
    items = _split_types(rest)
    if items is None:
        return [f"unbalanced brackets in {rest!r}"]
    problems = []
    for item in items:
        match = pattern.fullmatch(item)
        if not match:
            problems.append(f"item {item!r} must be {shape}")
            continue
        for part in match.groups()[1:]:
            problems += _type_problems(part, "type")
    return problems


def _list_line_problems(line: str, label: str, pattern: re.Pattern[str], shape: str) -> list[str]:
    prefix = f"- {label}:"
    if not line.startswith(prefix):
        return [f"must start with {prefix!r}"]
    rest = line[len(prefix) :]
    if not rest:
        return []
    if not rest.startswith(" ") or not rest.strip():
        return [f"expected {prefix!r} followed by a space and {shape} items"]
    return _items_problems(rest[1:], pattern, shape)


def validate_summary(text: str) -> list[Problem]:
    """Every problem of a class summary: its three lines and their items."""
    lines = [line.rstrip() for line in text.strip("\n").split("\n")]
    problems = []
    header = _QUALIFIED.fullmatch(lines[0])
    if not header:
        problems.append(Problem("line 1", "must be 'qualified.Name(Type, ...)'"))
    else:
        problems += [Problem("line 1", m) for m in _type_problems(header.group(2), "parameters")]
    checks = (("fields", _FIELD, "'name:Type'"), ("methods", _METHOD, "'name(Types): Return'"))
    for number, (label, pattern, shape) in enumerate(checks, 2):
        if len(lines) < number:
            problems.append(Problem(f"line {number}", f"missing the '- {label}:' line"))
            continue
        line_problems = _list_line_problems(lines[number - 1], label, pattern, shape)
        problems += [Problem(f"line {number}", message) for message in line_problems]
    for number, line in enumerate(lines[3:], 4):
        message = f"unexpected line {line!r}; a summary has 3 lines"
        problems.append(Problem(f"line {number}", message))
    return problems


def validate_method(code: str, language: str, name: str | None = None) -> list[Problem]:
    """Problems of one method's code (syntax, and the named method present).

    Java and TypeScript/JavaScript parse with tree-sitter, Python with ast.
    """
    if language == "python":
        return python_units.check_method(code, name)
    if language == "java":
        return java_units.check_method(code, name)
    if language in ts_units.LANGUAGES:
        return ts_units.check_method(code, name, language)
    return [Problem("language", f"unsupported language {language!r}; {_UNSUPPORTED}")]


def validate_test(code: str, language: str) -> list[Problem]:
    """Problems of test code: syntax, a test method present, at least one assertion."""
    if language == "python":
        return python_units.check_test(code)
    if language == "java":
        return java_units.check_test(code)
    if language in ts_units.LANGUAGES:
        return ts_units.check_test(code, language)
    return [Problem("language", f"unsupported language {language!r}; {_UNSUPPORTED}")]


def syntax_valid(code: str, language: str) -> bool:
    """Whether code parses in its language (a method or class body alone counts for Java/TS)."""
    if language == "python":
        return python_units.parses(code)
    if language in ts_units.LANGUAGES:
        return ts_units.parses(code, language)
    return java_units.parses(code)


def detect_language(code: str) -> str:
    """The language a code answer is written in, when nothing else says (feedback): Python when
    it parses as Python, else the first of Java, TypeScript, JavaScript it parses as; java when
    it parses as none, so that the validator says what is wrong with it."""
    if not _JAVA_PUNCTUATION.search(code):
        return "python"  # no brace or semicolon: not Java, no need to parse
    try:
        ast.parse(textwrap.dedent(code))
    except SyntaxError:
        pass
    else:
        return "python"
    for language in ("java", "typescript", "javascript"):
        if syntax_valid(code, language):
            return language
    return "java"
