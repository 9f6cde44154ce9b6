"""Classes and methods read from Java and Python sources, language-neutral."""

from __future__ import annotations

from dataclasses import dataclass


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


@dataclass
class ClassUnit:
    language: str  # "java" | "python"
    package: str  # java package or python module dotted path (may be "")
    name: str
    bases: list[str]
    ctor_params: list[str]  # types (java) or annotated types / names (python)
    fields: list[tuple[str, str]]  # (name, type)
    methods: list[MethodUnit]
    kind: str  # "class" | "interface" | "enum" | "record" | "module"
    source_path: str = ""


class CodeParseError(ValueError):
    """A source file that does not parse; the message names the first error line."""


def count_body_lines(text: str) -> int:
    """Non-blank lines of a method body's text."""
    return sum(1 for line in text.splitlines() if line.strip())
