"""PlantUML class diagrams: render class units, and a structural checker of the class subset."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

from tasks.dsl.code_model import ClassUnit, MethodUnit
from tasks.dsl.plantuml_syntax import validate
from tasks.dsl.problems import Problem

__all__ = [
    "PlantUmlUnavailable",
    "plantuml_available",
    "render_class_diagram",
    "validate",
    "validate_with_plantuml",
]

# Field types whose element type is what the field associates with, many times.
_COLLECTIONS = frozenset(
    {
        "List",
        "Set",
        "Collection",
        "Iterable",
        "ArrayList",
        "LinkedList",
        "HashSet",
        "TreeSet",
        "SortedSet",
        "Queue",
        "Deque",
        "Stream",
        "list",
        "set",
        "frozenset",
        "tuple",
        "Sequence",
        "MutableSequence",
        "Iterator",
        "AbstractSet",
        "MutableSet",
    }
)
_MAPS = frozenset({"Map", "HashMap", "TreeMap", "LinkedHashMap", "dict", "Dict", "Mapping"})
_WRAPPERS = frozenset({"Optional", "Mono", "CompletableFuture", "Future"})


def _split_outside(text: str, separator: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for index, char in enumerate(text):
        depth += 1 if char in "<[(" else -1 if char in ">])" else 0
        if char == separator and depth == 0:
            parts.append(text[start:index].strip())
            start = index + 1
    return [*parts, text[start:].strip()]


def _referenced_types(type_text: str, many: bool = False) -> list[tuple[str, bool]]:
    text = type_text.strip().strip("'\"")
    if text.endswith(("[]", "...")):
        return _referenced_types(text.rstrip(".").removesuffix("[]"), True)
    if len(alternatives := _split_outside(text, "|")) > 1:
        return [found for part in alternatives for found in _referenced_types(part, many)]
    generic = re.fullmatch(r"([\w.$]+)\s*[<\[](.*)[>\]]", text)
    if not generic:
        return [(text.rsplit(".", 1)[-1], many)] if text else []
    head, args = generic.group(1).rsplit(".", 1)[-1], _split_outside(generic.group(2), ",")
    if head in _COLLECTIONS:
        return [found for arg in args for found in _referenced_types(arg, True)]
    if head in _MAPS:
        return _referenced_types(args[-1], True)
    if head in _WRAPPERS:
        return _referenced_types(args[0], many)
    return [(head, many)]


def _simple(name: str) -> str:
    return re.sub(r"[<\[].*", "", name).rsplit(".", 1)[-1]


def _is_shown(method: MethodUnit) -> bool:
    return not method.is_test and method.visibility == "public" and not method.name.startswith("_")


def _declaration(unit: ClassUnit) -> list[str]:
    keyword = unit.kind if unit.kind in ("interface", "enum") else "class"
    stereotype = f" <<{unit.kind}>>" if unit.kind in ("record", "module") else ""
    lines = [f"{keyword} {unit.name}{stereotype} {{"]
    for name, kind in unit.fields:
        is_constant = unit.kind == "enum" and kind == unit.name
        lines.append(f"  {name}" if is_constant else f"  -{name} : {kind}")
    for method in filter(_is_shown, unit.methods):
        params = ", ".join(f"{name} : {kind}" for name, kind in method.params)
        lines.append(f"  +{method.name}({params}) : {method.returns}")
    return [*lines, "}"]


def _relations(unit: ClassUnit, by_name: dict[str, ClassUnit]) -> tuple[list[str], list[str]]:
    inheritance, associations = [], []
    for base in unit.bases:
        target = by_name.get(_simple(base))
        if target is not None and target is not unit:
            realizes = target.kind == "interface" and unit.kind != "interface"
            inheritance.append(f"{target.name} {'<|..' if realizes else '<|--'} {unit.name}")
    for _, kind in unit.fields:
        if unit.kind == "enum" and kind == unit.name:
            continue  # enum constants are not associations
        for name, many in _referenced_types(kind):
            if (target := by_name.get(name)) is not None:
                multiplicity = ' "*"' if many else ""
                associations.append(f"{unit.name} -->{multiplicity} {target.name}")
    return inheritance, associations


def render_class_diagram(units: list[ClassUnit], title: str | None = None) -> str:
    """A class diagram of the units: members, inheritance among them, associations by field."""
    ordered = sorted(units, key=lambda unit: unit.name)
    by_name = {unit.name: unit for unit in ordered}
    for unit in ordered:
        by_name.setdefault(_simple(unit.name), unit)  # field types name nested classes simply
    lines = ["@startuml"]
    if any("." in unit.name for unit in ordered):
        lines.append("set namespaceSeparator none")  # nested classes are named Outer.Inner
    if title:
        lines.append(f"title {title}")
    inheritance: set[str] = set()
    associations: set[str] = set()
    for unit in ordered:
        lines += _declaration(unit)
        found = _relations(unit, by_name)
        inheritance.update(found[0])
        associations.update(found[1])
    return "\n".join([*lines, *sorted(inheritance), *sorted(associations), "@enduml"])


class PlantUmlUnavailable(RuntimeError):
    """Neither a `plantuml` executable nor PLANTUML_JAR with java is available."""


def _command() -> list[str] | None:
    if executable := shutil.which("plantuml"):
        return [executable, "-syntax"]
    jar, java = os.environ.get("PLANTUML_JAR"), shutil.which("java")
    if jar and java and os.path.isfile(jar):
        return [java, "-jar", jar, "-syntax"]
    return None


def plantuml_available() -> bool:
    """Whether a real PlantUML can be run (`plantuml` on PATH, or PLANTUML_JAR and java)."""
    return _command() is not None


def validate_with_plantuml(text: str, timeout_s: float = 60) -> list[Problem]:
    """PlantUML's own syntax check (`-syntax`); raises PlantUmlUnavailable when not installed."""
    command = _command()
    if command is None:
        raise PlantUmlUnavailable(
            "PlantUML is not installed: put `plantuml` on PATH or set PLANTUML_JAR to plantuml.jar "
            "(java required); use plantuml.validate for the structural check"
        )
    result = subprocess.run(
        command, input=text, capture_output=True, text=True, timeout=timeout_s, check=False
    )
    # -syntax prints the diagram type, or ERROR, then the line number and the message.
    output = result.stdout.strip().splitlines()
    if not output or output[0].strip() != "ERROR":
        return []
    line = output[1].strip() if len(output) > 1 else "?"
    message = " ".join(part.strip() for part in output[2:]) or "syntax error"
    return [Problem(f"line {line}", f"plantuml: {message}")]
