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
    "validate_many_with_plantuml",
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


def _run(command: list[str], text: str, timeout_s: float) -> str:
    result = subprocess.run(
        command, input=text, capture_output=True, text=True, timeout=timeout_s, check=False
    )
    return result.stdout


def _diagram(text: str) -> tuple[int, str] | None:
    """(1-based line of @startuml, the lines from @startuml to @enduml) of a one-diagram text."""
    lines = text.splitlines()
    starts = [n for n, line in enumerate(lines, 1) if line.strip().startswith("@startuml")]
    ends = [n for n, line in enumerate(lines, 1) if line.strip() == "@enduml"]
    if len(starts) != 1 or len(ends) != 1 or ends[0] < starts[0]:
        return None
    return starts[0], "\n".join(lines[starts[0] - 1 : ends[0]])


def _results(stdout: str) -> list[tuple[int, str] | None]:
    """Per diagram in `-syntax` output: None when valid, else (0-based line, message)."""
    lines, results, index = stdout.splitlines(), [], 0
    while index < len(lines):
        if lines[index].strip() == "ERROR":
            number, message = (lines[index + 1 : index + 3] + ["", ""])[:2]
            line = int(number) if number.strip().isdigit() else 0
            results.append((line, message.strip() or "syntax error"))
            index += 3
        else:  # the diagram type (CLASS, SEQUENCE, ...) and its "(n entities)" description
            results.append(None)
            index += 2 if index + 1 < len(lines) and lines[index + 1].startswith("(") else 1
    return results


def _problems(result: tuple[int, str] | None, start: int) -> list[Problem]:
    if result is None:
        return []
    line, message = result
    # PlantUML numbers lines from 0 at @startuml; report the line of the text as given.
    return [Problem(f"line {start + line}", f"plantuml: {message}")]


def _require_command() -> list[str]:
    command = _command()
    if command is None:
        raise PlantUmlUnavailable(
            "PlantUML is not installed: put `plantuml` on PATH or set PLANTUML_JAR to plantuml.jar "
            "(java required); use plantuml.validate for the structural check"
        )
    return command


def validate_with_plantuml(text: str, timeout_s: float = 60) -> list[Problem]:
    """PlantUML's own syntax check (`-syntax`); raises PlantUmlUnavailable when not installed."""
    command = _require_command()
    # Only the diagram itself is sent: PlantUML counts lines from its @startuml (from 0) then.
    diagram = _diagram(text)
    if diagram is None and "@startuml" in text and "@enduml" not in text:
        # PlantUML 1.2020 crashes on an unterminated diagram instead of reporting it.
        return [Problem("diagram", "plantuml: no @enduml closes the diagram")]
    # Without @startuml PlantUML reads the whole text as the diagram, numbering it from 1.
    start, body = diagram or (0, text)
    results = _results(_run(command, body + "\n", timeout_s))
    if not results:
        return [Problem("diagram", "plantuml: no diagram found")]
    return [problem for result in results for problem in _problems(result, start)]


def validate_many_with_plantuml(texts: list[str], timeout_s: float = 120) -> list[list[Problem]]:
    """`validate_with_plantuml` for many diagrams in one PlantUML run (one JVM start)."""
    command = _require_command()
    diagrams = {index: found for index, text in enumerate(texts) if (found := _diagram(text))}
    joined = "".join(body + "\n" for _, body in diagrams.values())
    results = _results(_run(command, joined, timeout_s)) if diagrams else []
    matched = dict(zip(diagrams, results, strict=True)) if len(results) == len(diagrams) else {}
    found: list[list[Problem]] = []
    for index, text in enumerate(texts):
        if index in matched:
            found.append(_problems(matched[index], diagrams[index][0]))
        else:  # not one complete diagram, or output that cannot be matched: check it alone
            found.append(validate_with_plantuml(text, timeout_s))
    return found
