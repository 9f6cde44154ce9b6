"""The split_user_story_tasks format: rendered from stories, validated strictly (EN and ZH)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tasks.dsl import task_list, user_story
from tasks.dsl.user_story import AcceptanceCriterion, Story

FIXTURES = Path(__file__).parent / "fixtures"

STORY = Story(
    title="Pause a standing order",
    role="account holder",
    goal="to pause a standing order",
    benefit="I keep my savings",
    criteria=[
        AcceptanceCriterion(
            "Pause an active order",
            given=["an active order"],
            when=["I pause it until 1 September"],
            then=["no payment is made before 1 September", "the order shows PAUSED"],
        ),
        AcceptanceCriterion(
            "Refuse a past date",
            given=["an active order"],
            when=["I pause it until yesterday"],
            then=["I see an error"],
        ),  # fmt: skip
    ],
    language="en",
)

ENGLISH = """Tasks: Pause a standing order
1. [AC 1] Implement: Pause an active order
2. [AC 1] Test: no payment is made before 1 September; the order shows PAUSED
3. [AC 2] Implement: Refuse a past date
4. [AC 2] Test: I see an error"""

CHINESE = """任务: 暂停定期转账
1. [AC 1] 实现: 暂停有效的定期转账
2. [AC 1] 测试: 九月一日之前不会付款；转账状态显示为已暂停"""


def test_given_a_story_when_rendered_then_each_ac_gives_an_implement_and_a_test_task():
    assert task_list.render(STORY) == ENGLISH
    assert task_list.validate(ENGLISH) == []


def test_given_a_chinese_gherkin_story_when_rendered_then_the_list_is_chinese_and_valid():
    story = user_story.from_gherkin((FIXTURES / "pause_zh.feature").read_text("utf-8"))[0]
    rendered = task_list.render(story)
    assert rendered.splitlines()[0].startswith("任务: ")
    assert "[AC 1] 实现: " in rendered and "[AC 1] 测试: " in rendered
    assert task_list.validate(rendered) == []


def test_given_the_chinese_golden_list_when_validated_then_it_has_no_problems():
    assert task_list.validate(CHINESE) == []
    assert task_list.validate("任务：暂停\n1. [AC 1] 实现：暂停\n2. [AC 1] 测试：不付款") == []


BROKEN = [
    ("empty", "  \n", "task list", "is empty"),
    ("no-header", "1. [AC 1] Implement: x\n2. [AC 1] Test: y", "line 1",
     "must be 'Tasks: <title>'"),
    ("empty-title", "Tasks:\n1. [AC 1] Implement: x\n2. [AC 1] Test: y", "line 1",
     "title is empty"),
    ("no-tasks", "Tasks: Pause", "task list", "has no tasks"),
    ("bullet", "Tasks: P\n- Implement the pause", "line 2",
     "must be '<n>. [AC <k>] <kind>: <text>'"),
    ("unknown-kind", "Tasks: P\n1. [AC 1] Build: x\n2. [AC 1] Test: y", "line 2",
     "kind 'Build' must be 'Implement' or 'Test'"),
    ("empty-text", "Tasks: P\n1. [AC 1] Implement:\n2. [AC 1] Test: y", "line 2", "text is empty"),
    ("numbering", "Tasks: P\n1. [AC 1] Implement: x\n3. [AC 1] Test: y", "line 3",
     "item 3 where item 2 was expected"),
    ("test-first", "Tasks: P\n1. [AC 1] Test: y\n2. [AC 1] Implement: x", "line 2",
     "expected 'Implement' for AC 1, found 'Test' for AC 1"),
    ("skipped-ac", "Tasks: P\n1. [AC 1] Implement: x\n2. [AC 1] Test: y\n3. [AC 3] Implement: z\n"
     "4. [AC 3] Test: w", "line 4", "expected 'Implement' for AC 2, found 'Implement' for AC 3"),
    ("missing-test", "Tasks: P\n1. [AC 1] Implement: x", "line 2",
     "AC 1 has no 'Test' task after its 'Implement' task"),
    ("mixed-language", "Tasks: P\n1. [AC 1] 实现: x\n2. [AC 1] Test: y", "line 2",
     "Chinese kind '实现' in a list written in English; use 'Implement'"),
    ("chinese-missing-test", "任务: 暂停\n1. [AC 1] 实现: 暂停", "line 2",
     "AC 1 has no '测试' task"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "where", "message"), [case[1:] for case in BROKEN], ids=[case[0] for case in BROKEN]
)
def test_given_a_broken_task_list_when_validated_then_the_reason_is_reported(text, where, message):
    problems = task_list.validate(text)
    assert any(p.where == where and message in p.message for p in problems), problems
