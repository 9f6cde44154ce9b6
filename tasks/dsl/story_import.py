"""Importing user stories from Gherkin features and from loosely written markdown."""

from __future__ import annotations

import re
from typing import Any

from gherkin.errors import ParserError
from gherkin.parser import Parser
from gherkin.token_scanner import TokenScanner

from tasks.dsl.story_model import AcceptanceCriterion, Story, StoryError

# Narrative lines ("As a / I want / So that" and 作为 / 我想 / 以便于), matched leniently.
_NARRATIVE = (
    ("role", "en", re.compile(r"as an?\s+(.+)", re.IGNORECASE)),
    ("goal", "en", re.compile(r"i want\s+(.+)", re.IGNORECASE)),
    ("benefit", "en", re.compile(r"so that\s+(.+)", re.IGNORECASE)),
    ("role", "zh", re.compile(r"作为\s*[:：]?\s*(.+)")),
    ("goal", "zh", re.compile(r"我(?:想要?|希望)\s*[:：]?\s*(.+)")),
    ("benefit", "zh", re.compile(r"以便于?\s*[:：]?\s*(.+)")),
)
_STEPS = (
    ("given", "en", re.compile(r"given\s+(.+)", re.IGNORECASE)),
    ("when", "en", re.compile(r"when\s+(.+)", re.IGNORECASE)),
    ("then", "en", re.compile(r"then\s+(.+)", re.IGNORECASE)),
    ("and", "en", re.compile(r"(?:and|but)\s+(.+)", re.IGNORECASE)),
    ("given", "zh", re.compile(r"(?:假设|假如|假定)\s*[:：]?\s*(.+)")),
    ("when", "zh", re.compile(r"当\s*[:：]?\s*(.+)")),
    ("then", "zh", re.compile(r"(?:于是|那么)\s*[:：]?\s*(.+)")),
    ("and", "zh", re.compile(r"(?:并且|而且|同时|但是)\s*[:：]?\s*(.+)")),
)
# "As a user, I want X, so that Y" written on one line.
_ONE_LINE_NARRATIVE = (
    ("en", re.compile(r"as an?\s+(.+?),?\s+i want\s+(.+?),?\s+so that\s+(.+)", re.IGNORECASE)),
    ("zh", re.compile(r"作为\s*(.+?)[，,]\s*我(?:想要?|希望)\s*(.+?)[，,]\s*以便于?\s*(.+)")),
)
_KEYWORD_GROUPS = {"Context": "given", "Action": "when", "Outcome": "then"}
_STORY_TITLE = re.compile(r"(?:user story|用户故事)\s*[:：]?\s*(.*)", re.IGNORECASE)
_AC_HEADING = re.compile(r"(?:AC|scenario|场景)\s*(\d*)\s*[:：.]\s*(.*)", re.IGNORECASE)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _match(patterns: tuple, line: str) -> tuple[str, str, str] | None:
    for kind, language, pattern in patterns:
        if match := pattern.fullmatch(line):
            return kind, language, _one_line(match.group(1))
    return None


def _narrative_line(line: str) -> tuple[str, dict[str, str]] | None:
    for language, pattern in _ONE_LINE_NARRATIVE:
        if match := pattern.fullmatch(line):
            parts = (_one_line(part) for part in match.groups())
            return language, dict(zip(("role", "goal", "benefit"), parts, strict=True))
    if hit := _match(_NARRATIVE, line):
        return hit[1], {hit[0]: hit[2]}
    return None


def _narrative(description: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in description.splitlines():
        if hit := _narrative_line(_clean(line)):
            for kind, text in hit[1].items():
                found.setdefault(kind, text)
    return found


def _criterion(scenario: dict[str, Any], background: list[str], number: int) -> AcceptanceCriterion:
    criterion = AcceptanceCriterion(_one_line(scenario.get("name") or "") or f"Scenario {number}")
    criterion.given.extend(background)
    group = "given"
    for step in scenario.get("steps") or []:
        # Conjunctions (And/But/*) and unknown keywords continue the group before them.
        group = _KEYWORD_GROUPS.get(step.get("keywordType", ""), group)
        getattr(criterion, group).append(_one_line(step.get("text") or ""))
    return criterion


def _collect(children: list[dict], background: list[str], into: list[AcceptanceCriterion]) -> None:
    for child in children:
        if "background" in child:
            steps = child["background"].get("steps") or []
            background = [*background, *(_one_line(step.get("text") or "") for step in steps)]
        elif "scenario" in child:
            into.append(_criterion(child["scenario"], background, len(into) + 1))
        elif "rule" in child:
            _collect(child["rule"].get("children") or [], background, into)


def from_gherkin(text: str) -> list[Story]:
    """One story per feature: narrative from its description, one AC per scenario (outline)."""
    try:
        document = Parser().parse(TokenScanner(text))
    except ParserError as exc:
        raise StoryError(f"invalid Gherkin: {_one_line(str(exc))}") from exc
    feature = document.get("feature")
    if not feature:
        return []
    narrative = _narrative(feature.get("description") or "")
    criteria: list[AcceptanceCriterion] = []
    _collect(feature.get("children") or [], [], criteria)
    return [
        Story(
            title=_one_line(feature.get("name") or ""),
            role=narrative.get("role", ""),
            goal=narrative.get("goal", ""),
            benefit=narrative.get("benefit", ""),
            criteria=criteria,
            language="zh" if str(feature.get("language", "")).startswith("zh") else "en",
        )
    ]


def _clean(line: str) -> str:
    # Bullets, numbering, task boxes and bold markers are decoration around the template lines.
    line = re.sub(r"^\s*(?:[-*+]|\d+[.)])\s+(?:\[[ xX]\]\s*)?", "", line)
    return line.replace("**", "").replace("__", "").strip()


class _Draft:
    def __init__(self, title: str, language_hint: str | None) -> None:
        self.story = Story(_one_line(title), "", "", "", [], "en")
        self.votes = {"en": 0, "zh": 0}
        if language_hint:
            self.votes[language_hint] += 1
        self.group = "given"

    def criterion(self, name: str) -> None:
        word = "场景" if self.votes["zh"] > self.votes["en"] else "Scenario"
        default = f"{word} {len(self.story.criteria) + 1}"
        self.story.criteria.append(AcceptanceCriterion(_one_line(name) or default))
        self.group = "given"

    def step(self, kind: str, text: str) -> None:
        current = self.story.criteria[-1] if self.story.criteria else None
        # A Given after the outcome of an untitled scenario starts the next criterion.
        if current is None or (kind == "given" and current.then):
            self.criterion("")
            current = self.story.criteria[-1]
        self.group = self.group if kind == "and" else kind
        getattr(current, self.group).append(text)

    def finish(self) -> Story | None:
        story = self.story
        story.language = "zh" if self.votes["zh"] > self.votes["en"] else "en"
        has_content = story.role or story.goal or story.benefit or story.criteria
        return story if has_content else None


def _title_language(text: str) -> str | None:
    if "用户故事" in text:
        return "zh"
    return "en" if text.lower().startswith("user story") else None


def from_markdown(text: str) -> list[Story]:
    """Stories in markdown, each from a `# ` or `User Story:` heading; unknown text is skipped."""
    drafts: list[_Draft] = []
    for raw in text.splitlines():
        heading = re.match(r"\s*(#{1,6})\s+", raw)
        heading_level = len(heading.group(1)) if heading else 0
        line = _clean(raw[heading.end() :] if heading else raw)
        if not line:
            continue
        title = _STORY_TITLE.fullmatch(line)
        if title or heading_level == 1:
            drafts.append(_Draft(title.group(1) if title else line, _title_language(line)))
            continue
        if not drafts:
            continue
        draft = drafts[-1]
        if ac := _AC_HEADING.fullmatch(line):
            draft.criterion(ac.group(2))
        elif heading_level:
            continue  # "## Acceptance criteria", "## 验收标准" and other section headings
        elif narrative := _narrative_line(line):
            language, parts = narrative
            draft.votes[language] += 1
            for kind, value in parts.items():
                if not getattr(draft.story, kind):
                    setattr(draft.story, kind, value)
        elif hit := _match(_STEPS, line):
            kind, language, value = hit
            draft.votes[language] += 1
            draft.step(kind, value)
    return [story for draft in drafts if (story := draft.finish())]
