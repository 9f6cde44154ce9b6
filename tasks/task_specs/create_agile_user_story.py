"""create_agile_user_story: an Agile user story (As a / I want / So that, numbered
Given / When / Then criteria) for a topic."""

from __future__ import annotations

from tasks.dsl import user_story
from tasks.task_specs import TaskSpec, answer_only
from tasks.task_specs._scores import story_scores
from tasks.text import language_of

INSTRUCTIONS = {
    "create_agile_user_story": {
        "en": (
            "create Agile user story for following topic",
            "Write an Agile user story for the topic below, with numbered acceptance criteria.",
            "Turn this topic into a user story: As a / I want / So that, then AC n: with Given "
            "/ When / Then.",
            "Draft the user story and its acceptance criteria for the following topic.",
        ),
        "zh": (
            "为以下主题创建敏捷用户故事",
            "请为下面的主题编写一个敏捷用户故事，并列出编号的验收标准。",
            "把这个主题写成用户故事：作为 / 我想 / 以便于，然后用 AC n: 和 假设 / 当 / 于是。",
            "根据以下主题起草用户故事及其验收标准。",
        ),
    },
}

SPEC = TaskSpec(
    name="create_agile_user_story",
    validate=answer_only(user_story.validate),
    primary_metric="format_valid",
    builders=("tasks.build_dataset.assets:story_records",),
    instructions=INSTRUCTIONS,
    asset_kinds=("user_story",),
    answer_language=language_of,
    scores=story_scores,
    standards="story",
)
