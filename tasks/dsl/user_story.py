"""The user story template (English or Chinese): render, validate strictly, parse, import.

User Story: <title>            用户故事: <标题>
As a <role>                    作为 <角色>
I want <goal>                  我想 <目标>
So that <benefit>              以便于 <收益>

AC 1: <name>                   AC 1: <名称>
Given ... / When ... / Then ... (each followed by optional `And ...` lines; 假设/当/于是/并且)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tasks.dsl.problems import Problem
from tasks.dsl.story_import import from_gherkin, from_markdown
from tasks.dsl.story_model import (
    KEYWORDS,
    LANGUAGE_NAMES,
    AcceptanceCriterion,
    Keywords,
    Story,
    StoryError,
)

__all__ = [
    "AcceptanceCriterion",
    "Story",
    "StoryError",
    "from_gherkin",
    "from_markdown",
    "parse",
    "render",
    "validate",
]

_HEADER_KINDS = ("title", "role", "goal", "benefit")
_STEP_KINDS = ("given", "when", "then")
_AC = re.compile(r"AC (\d+)\s*[:：]\s*(.*)")


@dataclass(frozen=True)
class _Line:
    number: int
    kind: str  # a header or step kind, "ac", "and" or "stray"
    language: str | None
    text: str
    raw: str
    ac_number: int = 0


def _keyword_pattern(keyword: str) -> re.Pattern[str]:
    return re.compile(re.escape(keyword) + r"(?:\s+(.*))?")


def _patterns() -> list[tuple[str, str, re.Pattern[str]]]:
    patterns = []
    for language, kw in KEYWORDS.items():
        patterns.append(("title", language, re.compile(re.escape(kw.title) + r"\s*[:：]\s*(.*)")))
        patterns += [("role", language, _keyword_pattern(role)) for role in kw.roles]
        for kind in ("goal", "benefit", *_STEP_KINDS):
            patterns.append((kind, language, _keyword_pattern(getattr(kw, kind))))
        patterns += [("and", language, _keyword_pattern(word)) for word in kw.conjunctions]
    return patterns


_PATTERNS = _patterns()


def _classify(number: int, raw: str) -> _Line:
    if match := _AC.fullmatch(raw):
        return _Line(number, "ac", None, match.group(2).strip(), raw, int(match.group(1)))
    for kind, language, pattern in _PATTERNS:
        if match := pattern.fullmatch(raw):
            return _Line(number, kind, language, (match.group(1) or "").strip(), raw)
    return _Line(number, "stray", None, raw, raw)


def _label(kind: str, kw: Keywords) -> str:
    if kind == "title":
        return f"'{kw.title}: <title>'"
    if kind == "role":
        return f"'{kw.roles[-1]} <role>'"
    return f"'{getattr(kw, kind)} ...'"


def _language(lines: list[_Line]) -> str:
    titles = [line.language for line in lines if line.kind == "title"]
    if titles and titles[0]:
        return titles[0]
    counts = {lang: sum(line.language == lang for line in lines) for lang in KEYWORDS}
    return max(counts, key=lambda lang: counts[lang]) if any(counts.values()) else "en"


def _header_problems(header: list[_Line], next_line: int, kw: Keywords) -> list[Problem]:
    problems, expected = [], 0
    for line in header:
        if line.kind not in _HEADER_KINDS:
            problems.append(Problem(f"line {line.number}", f"unexpected line {line.raw!r}"))
            continue
        position = _HEADER_KINDS.index(line.kind)
        if position < expected:
            message = f"{_label(line.kind, kw)} line is repeated or out of order"
            problems.append(Problem(f"line {line.number}", message))
            continue
        for missing in _HEADER_KINDS[expected:position]:
            message = f"missing {_label(missing, kw)} line before this one"
            problems.append(Problem(f"line {line.number}", message))
        expected = position + 1
        if not line.text:
            problems.append(Problem(f"line {line.number}", f"{_label(line.kind, kw)} is empty"))
    for missing in _HEADER_KINDS[expected:]:
        where = f"line {next_line}" if next_line else "story"
        message = f"missing {_label(missing, kw)} line before the acceptance criteria"
        problems.append(Problem(where, message))
    return problems


def _steps_problem(number: int, steps: list[str], kw: Keywords) -> Problem | None:
    names = {kind: getattr(kw, kind) for kind in _STEP_KINDS}
    main = [kind for kind in steps if kind != "and"]
    missing = [names[kind] for kind in _STEP_KINDS if kind not in main]
    if missing:
        return Problem(f"AC {number}", f"missing {', '.join(missing)} step")
    if main != list(_STEP_KINDS):
        expected = ", ".join(names.values())
        found = ", ".join(names[kind] for kind in main)
        message = f"steps must be {expected} in that order (more lines use "
        message += f"{kw.conjunctions[0]}), found {found}"
        return Problem(f"AC {number}", message)
    return None


def _criteria_problems(body: list[_Line], kw: Keywords) -> list[Problem]:
    problems: list[Problem] = []
    criteria: list[tuple[int, list[str]]] = []  # AC number, step kinds in order
    expected = 1
    for line in body:
        where = f"line {line.number}"
        if line.kind == "ac":
            number = line.ac_number
            if number != expected:
                message = f"AC {number} where AC {expected} was expected (number them 1..n)"
                problems.append(Problem(where, message))
            if not line.text:
                problems.append(Problem(f"AC {number}", "name is empty"))
            expected = number + 1
            criteria.append((number, []))
        elif line.kind in (*_STEP_KINDS, "and"):
            keyword = line.raw.split()[0] if line.raw.split() else line.raw
            if not criteria:
                message = f"'{keyword}' step before the first 'AC 1: <name>' line"
                problems.append(Problem(where, message))
                continue
            if not line.text:
                problems.append(Problem(where, f"empty '{keyword}' step"))
            if line.kind == "and" and not criteria[-1][1]:
                message = f"'{keyword}' must follow a {kw.given}, {kw.when} or {kw.then} step"
                problems.append(Problem(where, message))
            criteria[-1][1].append(line.kind)
        elif line.kind in _HEADER_KINDS:
            message = f"{_label(line.kind, kw)} line must come before the acceptance criteria"
            problems.append(Problem(where, message))
        else:
            problems.append(Problem(where, f"unexpected line {line.raw!r}"))
    if not criteria:
        problems.append(Problem("story", "no acceptance criteria; expected 'AC 1: <name>'"))
    for number, steps in criteria:
        if problem := _steps_problem(number, steps, kw):
            problems.append(problem)
    return problems


def _lines(text: str) -> list[_Line]:
    return [
        _classify(number, raw.strip())
        for number, raw in enumerate(text.splitlines(), 1)
        if raw.strip()
    ]


def validate(text: str) -> list[Problem]:
    """Every problem of a story in the template; blank lines are free."""
    lines = _lines(text)
    if not lines:
        return [Problem("story", "is empty")]
    language = _language(lines)
    kw = KEYWORDS[language]
    problems = [
        Problem(
            f"line {line.number}",
            f"{LANGUAGE_NAMES[line.language]} keyword mixed into a story written in "
            f"{LANGUAGE_NAMES[language]}: {line.raw!r}",
        )
        for line in lines
        if line.language not in (None, language)
    ]
    body_kinds = ("ac", "and", *_STEP_KINDS)
    start = next((i for i, line in enumerate(lines) if line.kind in body_kinds), len(lines))
    next_line = lines[start].number if start < len(lines) else 0
    problems += _header_problems(lines[:start], next_line, kw)
    problems += _criteria_problems(lines[start:], kw)
    return problems


def parse(text: str) -> Story:
    """A story from the rendered template; StoryError lists the problems when it is invalid."""
    problems = validate(text)
    if problems:
        raise StoryError("; ".join(str(problem) for problem in problems))
    lines = _lines(text)
    header = {line.kind: line.text for line in lines if line.kind in _HEADER_KINDS}
    criteria: list[AcceptanceCriterion] = []
    group = "given"
    for line in lines:
        if line.kind == "ac":
            criteria.append(AcceptanceCriterion(line.text))
        elif line.kind in (*_STEP_KINDS, "and"):
            group = group if line.kind == "and" else line.kind
            getattr(criteria[-1], group).append(line.text)
    return Story(
        title=header["title"],
        role=header["role"],
        goal=header["goal"],
        benefit=header["benefit"],
        criteria=criteria,
        language=_language(lines),
    )


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def render(story: Story) -> str:
    """The story in the template of its language ("As an" before a vowel in English)."""
    kw = KEYWORDS.get(story.language, KEYWORDS["en"])
    role = _one_line(story.role)
    role_keyword = kw.roles[-1]
    if story.language != "zh" and role[:1].lower() in "aeiou" and role:
        role_keyword = "As an"
    lines = [
        f"{kw.title}: {_one_line(story.title)}",
        f"{role_keyword} {role}",
        f"{kw.goal} {_one_line(story.goal)}",
        f"{kw.benefit} {_one_line(story.benefit)}",
    ]
    for number, criterion in enumerate(story.criteria, 1):
        lines += ["", f"AC {number}: {_one_line(criterion.name)}"]
        groups = ((kw.given, criterion.given), (kw.when, criterion.when), (kw.then, criterion.then))
        for keyword, steps in groups:
            for index, step in enumerate(steps):
                lines.append(f"{keyword if index == 0 else kw.conjunctions[0]} {_one_line(step)}")
    return "\n".join(line.rstrip() for line in lines)
