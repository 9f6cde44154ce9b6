"""Classes and methods read from Java, Python, TypeScript and JavaScript, language-neutral."""

from __future__ import annotations

from dataclasses import dataclass, field

# What a test calls: (receiver, method name, argument count). The receiver is the simple name of
# the receiver's type when the parser could tell it (a field, variable or parameter of that type,
# `new T(..)`, or `T.staticMethod(..)`), "" for a plain function call `f(..)`, and "?" when the
# receiver's type is unknown (`a.b().c(..)`, an untyped variable).
Call = tuple[str, str, int]
UNKNOWN = "?"


@dataclass
class MethodUnit:
    name: str
    params: list[tuple[str, str]]  # (name, type)
    returns: str
    source: str  # annotations/decorators and doc comment/docstring included, dedented
    body_lines: int
    is_test: bool
    start_line: int
    visibility: str = "public"  # public | protected | package | private
    # Test methods only: what the test invokes, the set-up code it relies on (`@BeforeEach`
    # methods, requested pytest fixtures, `beforeEach` hooks and describe-level declarations),
    # and the names around it (`@Nested` classes, `describe` titles), outermost first.
    calls: list[Call] = field(default_factory=list)
    setup: list[str] = field(default_factory=list)
    context: tuple[str, ...] = ()
    is_setup: bool = False  # a set-up method or hook itself (not a test, nothing to implement)


@dataclass
class ClassUnit:
    language: str  # "java" | "python" | "typescript" | "javascript"
    package: str  # java package, python module dotted path, TS/JS folder path dotted (may be "")
    name: str
    bases: list[str]
    ctor_params: list[str]  # types (java) or annotated types / names (python)
    fields: list[tuple[str, str]]  # (name, type)
    methods: list[MethodUnit]
    kind: str  # "class" | "interface" | "enum" | "record" | "module"
    source_path: str = ""
    # Accessors and factories a code generator writes (Lombok `@Getter`, `@Data`, `@Builder`):
    # part of the class's API in its summary, with no source to implement or test.
    generated: list[MethodUnit] = field(default_factory=list)


class CodeParseError(ValueError):
    """A source file that does not parse; the message names the first error line."""


def count_body_lines(text: str) -> int:
    """Non-blank lines of a method body's text."""
    return sum(1 for line in text.splitlines() if line.strip())


def simple_type(text: str) -> str:
    """The bare name of a type: `java.util.List<Order>` -> `List`, `Repo[]` -> `Repo`."""
    base = text.split("<", 1)[0].split("[", 1)[0].strip()
    return base.rsplit(".", 1)[-1]
