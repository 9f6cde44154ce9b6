"""PlantUML class diagrams of class units, the class summaries they are drawn from, and checks.

A diagram states what the summaries of its classes state, all of it and nothing else:
- `class_summary` is the code-generation summary (`package.Class(CtorTypes)`, `- fields:
  name:Type, ...`, `- methods: m(Types): Ret, ...`) plus what a diagram draws: the kind before
  the name (`interface`, `enum`, `record`), the supertypes that are classes of the diagram after
  it (`extends` / `implements`, by the kind of the supertype), `static` before a static method,
  and only the methods a diagram shows (public, no tests, no dunders, none a code generator
  writes);
- `render_class_diagram` draws each class with exactly those members (fields `-`, methods `+`
  with their parameter types, `{static}` for static methods), inheritance for the stated
  supertypes (`<|--`, `<|..` to an interface), an association (`-->`, `"*"` for many) for each
  field whose type names a class of the diagram (collection elements, map values, optional
  contents and any other generic argument count), and a dependency (`..>`) for a stated
  supertype outside the diagram whose type arguments name a class of it
  (`interface OwnerRepository extends Repository<Owner, Integer>`);
- `relations` lists those links for any set of classes (build_dataset groups a package's
  classes by them); `derivation_problems` checks a diagram against the summaries it came from.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import textwrap
from dataclasses import dataclass
from functools import lru_cache

from tasks.dsl.code_model import ClassUnit, MethodUnit
from tasks.dsl.java_units import JAVA_PARSER, walk
from tasks.dsl.plantuml_syntax import validate
from tasks.dsl.problems import Problem

__all__ = [
    "PlantUmlUnavailable",
    "Relation",
    "class_summary",
    "derivation_problems",
    "has_members",
    "plantuml_available",
    "relations",
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
        "LinkedHashSet",
        "Queue",
        "Deque",
        "Stream",
        "Flux",
        "Page",
        "Slice",
        "list",
        "set",
        "frozenset",
        "tuple",
        "Sequence",
        "MutableSequence",
        "Iterator",
        "AbstractSet",
        "MutableSet",
        "Array",
        "ReadonlyArray",
    }
)
_MAPS = frozenset(
    {"Map", "HashMap", "TreeMap", "LinkedHashMap", "dict", "Dict", "Mapping", "Record"}
)
_WRAPPERS = frozenset({"Optional", "Mono", "CompletableFuture", "Future", "Promise"})
_KIND_WORDS = {"interface": "interface", "enum": "enum", "record": "record"}
_STATIC_DECORATORS = frozenset({"staticmethod", "classmethod"})
_WEIGHTS = {"extends": 3, "implements": 3, "association": 2, "nesting": 2, "dependency": 1}


def _split_outside(text: str, separator: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for index, char in enumerate(text):
        depth += 1 if char in "<[({" else -1 if char in ">])}" else 0
        if char == separator and depth == 0:
            parts.append(text[start:index].strip())
            start = index + 1
    return [*parts, text[start:].strip()]


def _referenced_types(type_text: str, many: bool = False) -> list[tuple[str, bool]]:
    """(simple name, many) of every type a field of this type refers to."""
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
    # Any other generic (`Page<Owner>`, `Union[A, B]`, `Pair<A, B>`): itself and its arguments.
    return [(head, many), *(found for arg in args for found in _referenced_types(arg, many))]


def _argument_types(type_text: str) -> list[str]:
    """Simple names the type arguments of a generic type refer to (`Repo<Owner, Long>`)."""
    generic = re.fullmatch(r"([\w.$]+)\s*[<\[](.*)[>\]]", type_text.strip())
    if not generic:
        return []
    args = _split_outside(generic.group(2), ",")
    return [name for arg in args for name, _ in _referenced_types(arg)]


def _simple(name: str) -> str:
    return re.sub(r"[<\[].*", "", name).rsplit(".", 1)[-1]


def _type(unit: ClassUnit, text: str) -> str:
    """A type as the summary and the diagram write it: forward references unquoted (Python)."""
    text = " ".join(text.split())
    if unit.language == "python" and "Literal[" not in text:
        text = re.sub(r"""(['"])([A-Za-z_][\w.]*)\1""", r"\2", text)
    return text


@lru_cache(maxsize=8192)
def _java_static(source: str) -> bool:
    root = JAVA_PARSER.parse(f"class __W__ {{\n{source}\n}}\n".encode()).root_node
    for node in walk(root):
        if node.type == "method_declaration":
            modifiers = next((c for c in node.children if c.type == "modifiers"), None)
            return modifiers is not None and any(c.type == "static" for c in modifiers.children)
    return False


@lru_cache(maxsize=8192)
def _python_static(source: str) -> bool:
    try:
        tree = ast.parse(textwrap.dedent(source))
    except SyntaxError:
        return False
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            return any(
                ast.unparse(d.func if isinstance(d, ast.Call) else d).rsplit(".", 1)[-1]
                in _STATIC_DECORATORS
                for d in node.decorator_list
            )
    return False


_SCRIPT_PREFIX = re.compile(r"\s*(?:/\*.*?\*/|//[^\n]*|@[\w.]+(?:\([^()]*\))?)", re.S)


def _script_static(source: str) -> bool:
    text = source
    while prefix := _SCRIPT_PREFIX.match(text):  # doc comments and decorators first
        text = text[prefix.end() :]
    words = r"(?:(?:public|private|protected|readonly|async|abstract|override)\s+)*"
    return re.match(rf"\s*{words}static\s", text) is not None


def _is_static(unit: ClassUnit, method: MethodUnit) -> bool:
    if unit.language == "java":
        return _java_static(method.source)
    if unit.language == "python":
        return _python_static(method.source)
    return _script_static(method.source)


def _is_shown(method: MethodUnit) -> bool:
    return not method.is_test and method.visibility == "public" and not method.name.startswith("_")


@dataclass(frozen=True)
class _Field:
    name: str
    kind: str  # "" when the source names no type
    constant: bool = False  # an enum constant


@dataclass(frozen=True)
class _Method:
    name: str
    params: tuple[str, ...]
    returns: str
    static: bool = False


def _fields(unit: ClassUnit) -> list[_Field]:
    # No static field reaches a diagram: the parsers keep instance state only (no constants).
    return [
        _Field(name, kind, constant=True)
        if unit.kind == "enum" and kind == unit.name
        else _Field(name, _type(unit, kind))
        for name, kind in unit.fields
    ]


def _methods(unit: ClassUnit) -> list[_Method]:
    return [
        _Method(
            method.name,
            tuple(_type(unit, kind) or name for name, kind in method.params),
            _type(unit, method.returns),
            _is_static(unit, method),
        )
        for method in unit.methods
        if _is_shown(method)
    ]


def has_members(unit: ClassUnit) -> bool:
    """Whether a diagram draws anything inside the class: a field, constant or shown method."""
    return bool(unit.fields) or any(_is_shown(method) for method in unit.methods)


@dataclass(frozen=True)
class Relation:
    """A link between two classes, stated by the summary of `source`."""

    source: str
    target: str
    kind: str  # extends | implements | association | dependency | nesting
    many: bool = False
    via: str = ""  # the supertype as written, for extends, implements and dependency

    @property
    def weight(self) -> int:
        """How strongly it ties the two classes: inheritance, then fields and nesting."""
        return _WEIGHTS[self.kind]

    def line(self) -> str | None:
        """How a diagram draws it (None: nesting shows in the name `Outer.Inner`)."""
        if self.kind == "extends":
            return f"{self.target} <|-- {self.source}"
        if self.kind == "implements":
            return f"{self.target} <|.. {self.source}"
        if self.kind == "association":
            multiplicity = ' "*"' if self.many else ""
            return f"{self.source} -->{multiplicity} {self.target}"
        if self.kind == "dependency":
            return f"{self.source} ..> {self.target}"
        return None


def _supertype_word(unit: ClassUnit) -> str | None:
    """The word for a supertype outside the diagram; None where the unit does not tell.

    Java and TypeScript classes list superclass and interfaces alike in `bases`.
    """
    if unit.language == "python" or unit.kind == "interface":
        return "extends"
    if unit.kind in ("enum", "record"):  # Java: they implement interfaces only
        return "implements"
    return None


def _by_name(units: list[ClassUnit]) -> dict[str, ClassUnit]:
    by_name = {unit.name: unit for unit in units}
    for unit in sorted(units, key=lambda u: u.name):
        by_name.setdefault(_simple(unit.name), unit)  # field types name nested classes simply
    return by_name


def relations(units: list[ClassUnit]) -> list[Relation]:
    """Every link among the units that their summaries state, in a stable order."""
    by_name, exact = _by_name(units), {unit.name: unit for unit in units}
    found: set[Relation] = set()
    for unit in units:
        for base in unit.bases:
            via = _type(unit, base)
            target = by_name.get(_simple(base))
            if target is not None:
                if target is not unit:
                    realizes = target.kind == "interface" and unit.kind != "interface"
                    kind = "implements" if realizes else "extends"
                    found.add(Relation(unit.name, target.name, kind, via=via))
                continue
            if _supertype_word(unit) is None:
                continue
            for name in _argument_types(via):
                argument = by_name.get(name)
                if argument is not None and argument is not unit:
                    found.add(Relation(unit.name, argument.name, "dependency", via=via))
        for field in _fields(unit):
            if field.constant:
                continue  # enum constants are no associations
            for name, many in _referenced_types(field.kind):
                if (target := by_name.get(name)) is not None:
                    found.add(Relation(unit.name, target.name, "association", many))
        outer = unit.name.rpartition(".")[0]
        if outer in exact:
            found.add(Relation(outer, unit.name, "nesting"))
    return sorted(found, key=lambda r: (r.source, r.target, r.kind, r.many, r.via))


def _qualified(unit: ClassUnit) -> str:
    return f"{unit.package}.{unit.name}" if unit.package else unit.name


def _member_prefix(static: bool) -> str:
    return "static " if static else ""


def class_summary(unit: ClassUnit, units: list[ClassUnit] | None = None) -> str:
    """The summary of one class of a diagram of `units` (default: the class alone)."""
    stated: dict[str, list[str]] = {"extends": [], "implements": []}
    for relation in relations(units or [unit]):
        if relation.source != unit.name or not relation.via:
            continue  # the supertypes this class states: extends, implements, dependency
        word = relation.kind if relation.kind != "dependency" else _supertype_word(unit)
        if word and relation.via not in stated[word]:
            stated[word].append(relation.via)
    kind = _KIND_WORDS.get(unit.kind)
    ctor = ", ".join(_type(unit, param) for param in unit.ctor_params)
    header = f"{kind + ' ' if kind else ''}{_qualified(unit)}({ctor})"
    for word, bases in stated.items():
        if bases:
            header += f" {word} {', '.join(bases)}"
    fields = ", ".join(f"{f.name}:{f.kind}" if f.kind else f.name for f in _fields(unit))
    methods = ", ".join(
        f"{_member_prefix(m.static)}{m.name}({', '.join(m.params)})"
        + (f": {m.returns}" if m.returns else "")
        for m in _methods(unit)
    )
    return "\n".join([header, f"- fields: {fields}".rstrip(), f"- methods: {methods}".rstrip()])


def _declaration(unit: ClassUnit) -> list[str]:
    keyword = unit.kind if unit.kind in ("interface", "enum") else "class"
    stereotype = f" <<{unit.kind}>>" if unit.kind in ("record", "module") else ""
    lines = [f"{keyword} {unit.name}{stereotype} {{"]
    for field in _fields(unit):
        if field.constant:
            lines.append(f"  {field.name}")
        else:
            lines.append(f"  -{field.name} : {field.kind}" if field.kind else f"  -{field.name}")
    for method in _methods(unit):
        returns = f" : {method.returns}" if method.returns else ""
        static = "{static} " if method.static else ""
        lines.append(f"  {static}+{method.name}({', '.join(method.params)}){returns}")
    return [*lines, "}"]


def render_class_diagram(units: list[ClassUnit], title: str | None = None) -> str:
    """A class diagram of the units: their members, then the relations their summaries state."""
    ordered = sorted(units, key=lambda unit: unit.name)
    lines = ["@startuml"]
    if any("." in unit.name for unit in ordered):
        lines.append("set namespaceSeparator none")  # nested classes are named Outer.Inner
    if title:
        lines.append(f"title {title}")
    for unit in ordered:
        lines += _declaration(unit)
    found = relations(ordered)
    for kinds in (("extends", "implements"), ("association",), ("dependency",)):
        lines += sorted({line for r in found if r.kind in kinds and (line := r.line())})
    return "\n".join([*lines, "@enduml"])


_SUMMARY_HEADER = re.compile(
    r"(?:(?P<kind>interface|enum|record) )?(?P<name>[\w$.-]+)\((?P<ctor>.*?)\)"
    r"(?: extends (?P<extends>.+?))?(?: implements (?P<implements>.+))?"
)
_SUMMARY_METHOD = re.compile(
    r"(?P<static>static )?(?P<name>[\w$]+)\((?P<params>.*)\)(?:: (?P<ret>.+))?"
)
_DIAGRAM_CLASS = re.compile(
    r"(?P<keyword>class|interface|enum) (?P<name>\S+)(?: <<(?P<stereo>\w+)>>)? \{"
)
_DIAGRAM_FIELD = re.compile(r"-(?P<name>[\w$]+)(?: : (?P<kind>.+))?")
_DIAGRAM_METHOD = re.compile(
    r"(?P<static>\{static\} )?\+(?P<name>[\w$]+)\((?P<params>.*)\)(?: : (?P<ret>.+))?"
)


def _items(text: str) -> list[str]:
    return [item for item in _split_outside(text, ",") if item] if text.strip() else []


def _summary_blocks(summaries: str) -> list[list[str]]:
    blocks = [block.strip("\n").split("\n") for block in re.split(r"\n\s*\n", summaries.strip())]
    return [block for block in blocks if block and block[0]]


def _summary_facts(summaries: str, title: str | None) -> tuple[set[tuple], list[Problem]]:
    facts: set[tuple] = set()
    problems: list[Problem] = []
    parsed = []
    for number, block in enumerate(_summary_blocks(summaries), 1):
        header = _SUMMARY_HEADER.fullmatch(block[0])
        lists = dict(line[2:].split(":", 1) for line in block[1:] if line.startswith("- "))
        if header is None or set(lists) != {"fields", "methods"}:
            problems.append(Problem(f"summary {number}", f"not a class summary: {block[0]!r}"))
            continue
        qualified = header.group("name")
        if title and not qualified.startswith(f"{title}."):
            problems.append(Problem(f"summary {number}", f"'{qualified}' is not in '{title}'"))
        name = qualified.removeprefix(f"{title}.") if title else qualified
        parsed.append((name, header, lists))
    names = {name for name, _, _ in parsed}
    by_name = {name: name for name in names}
    for name in sorted(names):
        by_name.setdefault(_simple(name), name)  # as relations() resolves nested classes
    for name, header, lists in parsed:
        kind = header.group("kind") or "class"
        facts.add(("class", name, kind))
        for item in _items(lists["fields"]):
            field_name, _, field_kind = item.partition(":")
            if kind == "enum" and field_kind == name:
                facts.add(("constant", name, field_name))
                continue
            facts.add(("field", name, field_name, field_kind))
            for target, many in _referenced_types(field_kind):
                if target in by_name:
                    facts.add(("association", name, by_name[target], many))
        for item in _items(lists["methods"]):
            method = _SUMMARY_METHOD.fullmatch(item)
            if method is None:
                problems.append(Problem(f"class {name}", f"not a method: {item!r}"))
                continue
            params = tuple(_items(method.group("params")))
            facts.add(
                ("method", name, method.group("name"), params, method.group("ret") or "",
                 bool(method.group("static")))
            )  # fmt: skip
        for word in ("extends", "implements"):
            for base in _items(header.group(word) or ""):
                if _simple(base) in by_name:
                    facts.add((word, name, by_name[_simple(base)]))
                    continue
                targets = [by_name[t] for t in _argument_types(base) if t in by_name]
                if not targets:
                    message = f"states supertype '{base}' that is no class of the diagram"
                    problems.append(Problem(f"class {name}", message))
                facts.update(("dependency", name, target) for target in targets)
    return facts, problems


def _diagram_facts(diagram: str) -> tuple[set[tuple], str | None, list[Problem]]:
    facts: set[tuple] = set()
    problems: list[Problem] = []
    title, current, kind = None, None, ""
    arrows = {"<|--": "extends", "<|..": "implements", "..>": "dependency"}
    for number, raw in enumerate(diagram.splitlines(), 1):
        line = raw.strip()
        if current is not None:
            if line == "}":
                current = None
            elif kind == "enum" and re.fullmatch(r"[\w$]+", line):
                facts.add(("constant", current, line))
            elif field := _DIAGRAM_FIELD.fullmatch(line):
                facts.add(("field", current, field.group("name"), field.group("kind") or ""))
            elif method := _DIAGRAM_METHOD.fullmatch(line):
                facts.add(
                    ("method", current, method.group("name"),
                     tuple(_items(method.group("params"))), method.group("ret") or "",
                     bool(method.group("static")))
                )  # fmt: skip
            else:
                problems.append(Problem(f"line {number}", f"unexpected member {line!r}"))
        elif line in ("@startuml", "@enduml", "set namespaceSeparator none", ""):
            continue
        elif line.startswith("title "):
            title = line.removeprefix("title ")
        elif declaration := _DIAGRAM_CLASS.fullmatch(line):
            current = declaration.group("name")
            kind = declaration.group("stereo") or declaration.group("keyword")
            facts.add(("class", current, kind))
        elif relation := re.fullmatch(r"(\S+) (<\|--|<\|\.\.) (\S+)", line):
            facts.add((arrows[relation.group(2)], relation.group(3), relation.group(1)))
        elif relation := re.fullmatch(r'(\S+) (-->|\.\.>) ("\*" )?(\S+)', line):
            if relation.group(2) == "..>":
                facts.add(("dependency", relation.group(1), relation.group(4)))
            else:
                facts.add(("association", relation.group(1), relation.group(4),
                           bool(relation.group(3))))  # fmt: skip
        else:
            problems.append(Problem(f"line {number}", f"unexpected statement {line!r}"))
    return facts, title, problems


def _describe(fact: tuple) -> str:
    what, *rest = fact
    return f"{what} " + " ".join(
        f"({', '.join(r)})" if isinstance(r, tuple) else str(r) for r in rest
    )


def derivation_problems(summaries: str, diagram: str) -> list[Problem]:
    """Where a diagram and the class summaries it was drawn from do not state the same facts.

    Classes and kinds, fields and constants, shown methods with parameter and return types,
    `static`, the stated supertypes and the associations the field types imply: each fact the
    diagram draws must be in a summary, and each fact of a summary must be drawn.
    """
    drawn, title, problems = _diagram_facts(diagram)
    stated, found = _summary_facts(summaries, title)
    problems += found
    for fact in sorted(drawn - stated, key=str):
        problems.append(Problem("diagram", f"states what no summary does: {_describe(fact)}"))
    for fact in sorted(stated - drawn, key=str):
        problems.append(Problem("diagram", f"leaves out: {_describe(fact)}"))
    return problems


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
