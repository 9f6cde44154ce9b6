"""Structural checker of the PlantUML class-diagram subset the platform trains on."""

from __future__ import annotations

import re
from dataclasses import dataclass

from tasks.dsl.problems import Problem

_NAME = r'(?:"[^"]+"|[\w$][\w.$]*)'
_DECLARATION = re.compile(
    r"(?:abstract\s+class|abstract|class|interface|enum|annotation|entity|record|struct)\s+"
    rf"(?P<name>{_NAME})(?:<[^{{}}]*?>)?(?:\s+as\s+(?P<alias>[\w.$]+))?(?:\s*<<[^<>]+>>)*"
    r"(?:\s+(?:extends|implements)\s+[^{}]+?)?(?:\s*#[\w:;.]+)?\s*(?P<open>\{)?\s*(?P<close>\})?"
)
_PACKAGE = re.compile(rf"(?:package|namespace|together)(?:\s+{_NAME})?(?:\s*<<[^<>]+>>)?\s*\{{")
_ARROW = (
    r"(?:<\||\*|o|<|#|x|\}|\+|\^)?(?:-+|\.+)(?:(?:up|down|left|right|u|d|l|r)(?:-+|\.+))?"
    r"(?:\|>|\*|o|>|#|x|\{|\+|\^)?"
)
_RELATION = re.compile(  # a label after ':' must not be empty (PlantUML rejects `A -- B :`)
    rf'(?P<left>{_NAME})\s*(?:"[^"]*"\s*)?{_ARROW}\s*(?:"[^"]*"\s*)?(?P<right>{_NAME})(?:\s*:\s*\S.*)?'
)
_NOTE_INLINE = re.compile(rf"note\s+(?:(?:left|right|top|bottom)\s+of\s+{_NAME}|on\s+link)\s*:.*")
_NOTE_ALIAS = re.compile(r'note\s+"[^"]*"\s+as\s+(?P<alias>[\w$]+)')
_NOTE_BLOCK = re.compile(
    rf"note\s+(?:(?:left|right|top|bottom)(?:\s+of\s+{_NAME})?|on\s+link|as\s+(?P<alias>[\w$]+))"
)
_DIRECTIVE = re.compile(
    r"(?:title|header|footer|caption|skinparam|hide|show|remove|scale|set|!theme|!pragma)\s.*"
    r"|(?:left to right|top to bottom) direction"
)
_MODIFIERS = r"(?:\{(?:static|abstract|classifier|field|method)\}\s*)*[-+#~]?\s*"
_MODIFIERS += r"(?:\{(?:static|abstract|classifier|field|method)\}\s*)*"
_MEMBER = re.compile(
    rf"{_MODIFIERS}(?:"
    r"[\w$]+\s*:\s*\S.*"  # name : Type
    r"|(?:[\w$.<>\[\], ?]+\s+)?[\w$]+\s*\([^()]*\)(?:\s*:\s*\S.*)?"  # m(a : T) : R / R m(T a)
    r"|[\w$.<>\[\], ?]+\s+[\w$]+"  # Type name
    r"|[\w$]+(?:\s*\([^()]*\))?\s*[,;]?"  # enum constant, bare name
    r")"
)
_BODY_SEPARATOR = re.compile(r"(?:--|\.\.|==|__)(?:.*(?:--|\.\.|==|__))?")


@dataclass
class _Block:
    kind: str  # "class", "package" or "skinparam"
    name: str
    line: int


@dataclass
class _State:
    problems: list[Problem]
    classes: set[str]
    declared: set[str]  # classes, their aliases and note aliases
    relations: list[tuple[int, str, str]]
    blocks: list[_Block]
    in_note: bool = False
    in_comment: bool = False


def _unquote(name: str) -> str:
    return name.strip('"')


def _content_range(lines: list[str], problems: list[Problem]) -> range:
    filled = [index for index, line in enumerate(lines) if line.strip()]
    if not filled:
        problems.append(Problem("diagram", "is empty; expected @startuml ... @enduml"))
        return range(0)
    first, last = filled[0], filled[-1]
    start, end = first, last + 1
    if re.fullmatch(r"@startuml(\s.*)?", lines[first].strip()):
        start = first + 1
    else:
        problems.append(Problem(f"line {first + 1}", "must start with @startuml"))
    if lines[last].strip() == "@enduml" and last >= start:
        end = last
    else:
        problems.append(Problem(f"line {last + 1}", "must end with @enduml"))
    return range(start, end)


def _read_body_line(state: _State, number: int, line: str) -> bool:
    # False hands the line back to the statement reader: the body it was in was never closed.
    block = state.blocks[-1]
    if line == "}":
        state.blocks.pop()
        return True
    if _MEMBER.fullmatch(line) or _BODY_SEPARATOR.fullmatch(line):
        return True
    if _DECLARATION.fullmatch(line) or _RELATION.fullmatch(line) or line == "@enduml":
        message = f"'{{' of '{block.name}' (line {block.line}) is not closed before this line"
        state.problems.append(Problem(f"line {number}", message))
        state.blocks.pop()
        return False
    message = f"unrecognised member {line!r} in the body of '{block.name}'"
    state.problems.append(Problem(f"line {number}", message))
    return True


def _statement(state: _State, number: int, line: str) -> None:
    if line == "}":
        if state.blocks:
            state.blocks.pop()
        else:
            state.problems.append(Problem(f"line {number}", "'}' without an open '{'"))
    elif declaration := _DECLARATION.fullmatch(line):
        name = _unquote(declaration.group("name"))
        state.classes.add(name)
        state.declared.update({name, declaration.group("alias") or name})
        if declaration.group("open") and not declaration.group("close"):
            state.blocks.append(_Block("class", name, number))
    elif _PACKAGE.fullmatch(line):
        state.blocks.append(_Block("package", line.split("{")[0].strip(), number))
    elif re.fullmatch(r"skinparam\s+\w+\s*\{", line):
        state.blocks.append(_Block("skinparam", line.split("{")[0].strip(), number))
    elif relation := _RELATION.fullmatch(line):
        left, right = _unquote(relation.group("left")), _unquote(relation.group("right"))
        state.relations.append((number, left, right))
    elif note := _NOTE_ALIAS.fullmatch(line):
        state.declared.add(note.group("alias"))
    elif _NOTE_INLINE.fullmatch(line) or _DIRECTIVE.fullmatch(line):
        pass
    elif note := _NOTE_BLOCK.fullmatch(line):
        state.in_note = True
        if note.group("alias"):
            state.declared.add(note.group("alias"))
    elif line == "@enduml":
        state.problems.append(Problem(f"line {number}", "text follows @enduml"))
    else:
        state.problems.append(Problem(f"line {number}", f"unrecognised statement {line!r}"))


def _skipped(state: _State, line: str) -> bool:
    if state.in_comment:
        state.in_comment = not line.endswith("'/")
        return True
    if line.startswith("/'"):
        state.in_comment = not (len(line) > 3 and line.endswith("'/"))
        return True
    if state.in_note:
        state.in_note = not re.fullmatch(r"end\s*note", line)
        return True
    if state.blocks and state.blocks[-1].kind == "skinparam":
        if line == "}":
            state.blocks.pop()
        return True
    return not line or line.startswith("'")


def validate(text: str) -> list[Problem]:
    """Every structural problem of a PlantUML class diagram, by line number."""
    lines = text.splitlines()
    state = _State([], set(), set(), [], [])
    for index in _content_range(lines, state.problems):
        number, line = index + 1, lines[index].strip()
        if _skipped(state, line):
            continue
        in_body = bool(state.blocks) and state.blocks[-1].kind == "class"
        if in_body and _read_body_line(state, number, line):
            continue
        _statement(state, number, line)
    for block in state.blocks:
        message = f"'{{' of {block.kind} '{block.name}' is never closed"
        state.problems.append(Problem(f"line {block.line}", message))
    if state.in_note:
        state.problems.append(Problem("diagram", "a note block is never closed with 'end note'"))
    for number, left, right in state.relations:
        for name in dict.fromkeys((left, right)):
            if name not in state.declared:
                message = f"relationship uses undeclared class '{name}'"
                state.problems.append(Problem(f"line {number}", message))
    if not state.classes:
        state.problems.append(Problem("diagram", "declares no class"))
    return state.problems
