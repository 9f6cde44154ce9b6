"""User stories and their acceptance criteria, with the template keywords per language."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class AcceptanceCriterion:
    name: str
    given: list[str] = field(default_factory=list)
    when: list[str] = field(default_factory=list)
    then: list[str] = field(default_factory=list)


@dataclass
class Story:
    title: str
    role: str
    goal: str
    benefit: str
    criteria: list[AcceptanceCriterion]
    language: str  # "en" | "zh"


class StoryError(ValueError):
    """A story that does not follow the template (the message lists the problems)."""


@dataclass(frozen=True)
class Keywords:
    title: str
    roles: tuple[str, ...]  # longest first, so "As an" wins over "As a"
    goal: str
    benefit: str
    given: str
    when: str
    then: str
    conjunctions: tuple[str, ...]  # the first is the one rendered


KEYWORDS = {
    "en": Keywords(
        "User Story", ("As an", "As a"), "I want", "So that", "Given", "When", "Then", ("And",)
    ),
    "zh": Keywords("用户故事", ("作为",), "我想", "以便于", "假设", "当", "于是", ("并且", "而且")),
}
LANGUAGE_NAMES = {"en": "English", "zh": "Chinese"}
