"""The development task list of `split_user_story_tasks`: render from a story, validate strictly.

A story is split into two tasks per acceptance criterion, in the criterion's order: build the
behaviour the criterion names, then test its outcomes (its `Then` steps).

    Tasks: Save payees                          任务: 管理定期转账
    1. [AC 1] Implement: Add a new payee        1. [AC 1] 实现: 设置每月定期转账
    2. [AC 1] Test: "City Gym" appears; ...     2. [AC 1] 测试: 定期转账状态显示为有效；...
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tasks.dsl.problems import Problem
from tasks.dsl.story_model import LANGUAGE_NAMES, Story


@dataclass(frozen=True)
class _Words:
    header: str
    implement: str
    test: str
    separator: str  # between the outcomes of one test task


WORDS = {
    "en": _Words("Tasks", "Implement", "Test", "; "),
    "zh": _Words("任务", "实现", "测试", "；"),
}
_HEADER = re.compile(r"(\S+?)\s*[:：]\s*(.*)")
_ITEM = re.compile(r"(\d+)\.\s+\[AC (\d+)\]\s+([^:：\s]+)\s*[:：]\s*(.*)")
_ITEM_SHAPE = "'<n>. [AC <k>] <kind>: <text>'"


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def render(story: Story) -> str:
    """The task list of a story: per criterion, an Implement task then a Test task."""
    words = WORDS.get(story.language, WORDS["en"])
    lines = [f"{words.header}: {_one_line(story.title)}"]
    for ac, criterion in enumerate(story.criteria, 1):
        outcomes = words.separator.join(_one_line(step) for step in criterion.then)
        number = len(lines)
        lines.append(f"{number}. [AC {ac}] {words.implement}: {_one_line(criterion.name)}")
        lines.append(f"{number + 1}. [AC {ac}] {words.test}: {outcomes}")
    return "\n".join(lines)


@dataclass(frozen=True)
class _Item:
    line: int
    number: int
    ac: int
    kind: str  # "implement" | "test"
    text: str


def _kind(word: str) -> tuple[str | None, str | None]:
    """(kind, language the word belongs to) of a task kind word."""
    for lang, words in WORDS.items():
        if word == words.implement:
            return "implement", lang
        if word == words.test:
            return "test", lang
    return None, None


def _header(line: str, number: int) -> tuple[str, list[Problem]]:
    match = _HEADER.fullmatch(line)
    language = next((lang for lang, w in WORDS.items() if match and match[1] == w.header), "")
    if not language:
        expected = " or ".join(f"'{w.header}: <title>'" for w in WORDS.values())
        return "en", [Problem(f"line {number}", f"must be {expected}, found {line!r}")]
    if not match or not match[2]:
        return language, [Problem(f"line {number}", "the story title is empty")]
    return language, []


def _items(lines: list[tuple[int, str]], language: str) -> tuple[list[_Item], list[Problem]]:
    items, problems = [], []
    words = WORDS[language]
    for number, line in lines:
        match = _ITEM.fullmatch(line)
        if not match:
            problems.append(Problem(f"line {number}", f"must be {_ITEM_SHAPE}, found {line!r}"))
            continue
        kind, word_language = _kind(match[3])
        if kind is None:
            expected = f"'{words.implement}' or '{words.test}'"
            problems.append(Problem(f"line {number}", f"kind {match[3]!r} must be {expected}"))
            continue
        if word_language != language:
            message = (
                f"{LANGUAGE_NAMES[word_language]} kind {match[3]!r} in a list written in "
                f"{LANGUAGE_NAMES[language]}; use '{getattr(words, kind)}'"
            )
            problems.append(Problem(f"line {number}", message))
        if not match[4]:
            problems.append(Problem(f"line {number}", "the task text is empty"))
        items.append(_Item(number, int(match[1]), int(match[2]), kind, match[4]))
    return items, problems


def _order_problems(items: list[_Item], words: _Words) -> list[Problem]:
    problems = []
    for expected, item in enumerate(items, 1):
        if item.number != expected:
            message = f"item {item.number} where item {expected} was expected (number them 1..n)"
            problems.append(Problem(f"line {item.line}", message))
    # Tasks come in pairs: Implement AC k, then Test AC k, for k = 1, 2, ...
    for index, item in enumerate(items):
        ac, kind = index // 2 + 1, ("implement", "test")[index % 2]
        if item.ac != ac or item.kind != kind:
            found = f"'{getattr(words, item.kind)}' for AC {item.ac}"
            message = f"expected '{getattr(words, kind)}' for AC {ac}, found {found}"
            problems.append(Problem(f"line {item.line}", message))
            break  # one misplaced task shifts every later one; report the first
    if items and len(items) % 2:
        last = items[-1]
        message = f"AC {last.ac} has no '{words.test}' task after its '{words.implement}' task"
        problems.append(Problem(f"line {last.line}", message))
    return problems


def validate(text: str) -> list[Problem]:
    """Every problem of a task list: header, item shape, numbering and the AC pairs."""
    lines = [(n, line.strip()) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
    if not lines:
        return [Problem("task list", "is empty")]
    first_line, header = lines[0]
    language, problems = _header(header, first_line)
    items, item_problems = _items(lines[1:], language)
    problems += item_problems
    if not lines[1:]:
        problems.append(Problem("task list", "has no tasks; expected '1. [AC 1] ...' lines"))
    elif not item_problems:
        problems += _order_problems(items, WORDS[language])
    return problems
