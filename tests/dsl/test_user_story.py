"""User stories: the template in English and Chinese, strict validation, Gherkin/markdown import."""

from __future__ import annotations

from pathlib import Path

import pytest

from tasks.dsl import user_story
from tasks.dsl.user_story import AcceptanceCriterion, Story, StoryError

FIXTURES = Path(__file__).parent / "fixtures"

ENGLISH = """User Story: Pause a standing order
As a account holder
I want to pause a standing order for a few months
So that I keep my savings during a sabbatical

AC 1: Pause an active order
Given an active standing order to my landlord
When I pause it until 1 September
Then no payment is made before 1 September
And the order shows the status PAUSED"""

CHINESE = """用户故事: 暂停定期转账
作为 账户持有人
我想 暂停一个定期转账几个月
以便于 在休假期间保留存款

AC 1: 暂停有效的定期转账
假设 有一个给房东的有效定期转账
当 我把它暂停到九月一日
于是 九月一日之前不会付款
并且 转账状态显示为已暂停"""

PAUSE = AcceptanceCriterion(
    "Pause an active order",
    given=["an active standing order to my landlord"],
    when=["I pause it until 1 September"],
    then=["no payment is made before 1 September", "the order shows the status PAUSED"],
)

GHERKIN_ENGLISH = """User Story: Pause a standing order
As an account holder
I want to pause a standing order for a few months
So that I keep my savings during a sabbatical

AC 1: Pause an active order
Given I am signed in
And an active standing order to my landlord
When I pause it until 1 September
Then no payment is made before 1 September
And the order shows the status PAUSED

AC 2: Resume after <days> days
Given I am signed in
And an order paused for <days> days
When I resume it
Then the next payment is on <next>
And no payment is made twice"""

MARKDOWN_SECOND_STORY = """User Story: Export statements
As an auditor
I want to export statements as CSV
So that I can check them offline

AC 1: Scenario 1
Given a month with payments
When I export the month
Then I get one line per payment"""


def test_given_the_english_template_when_parsed_then_every_part_is_read():
    story = user_story.parse(ENGLISH)
    assert story == Story(
        title="Pause a standing order",
        role="account holder",
        goal="to pause a standing order for a few months",
        benefit="I keep my savings during a sabbatical",
        criteria=[PAUSE],
        language="en",
    )


def test_given_a_story_when_rendered_then_it_matches_the_template_with_as_an_before_a_vowel():
    story = user_story.parse(ENGLISH)
    assert user_story.render(story) == ENGLISH.replace("As a account", "As an account")
    story.role = "customer"
    assert "\nAs a customer\n" in user_story.render(story)


def test_given_the_chinese_template_when_parsed_and_rendered_then_it_round_trips():
    story = user_story.parse(CHINESE)
    assert (story.language, story.role, story.criteria[0].then[1]) == (
        "zh",
        "账户持有人",
        "转账状态显示为已暂停",
    )
    assert user_story.render(story) == CHINESE


@pytest.mark.parametrize("text", [ENGLISH, CHINESE, CHINESE.replace("用户故事: ", "用户故事：")])
def test_given_a_valid_story_when_validated_then_there_are_no_problems(text):
    assert user_story.validate(text) == []


def test_given_chinese_story_with_alternative_conjunction_when_validated_then_it_is_valid():
    assert user_story.validate(CHINESE.replace("并且 ", "而且 ")) == []


BROKEN_STORIES = [
    (
        "missing-so-that",
        ENGLISH.replace("So that I keep my savings during a sabbatical\n", ""),
        "line 5",
        "missing 'So that ...' line before the acceptance criteria",
    ),
    (
        "missing-title",
        ENGLISH.split("\n", 1)[1],
        "line 1",
        "missing 'User Story: <title>' line before this one",
    ),
    (
        "empty-title",
        ENGLISH.replace("User Story: Pause a standing order", "User Story:"),
        "line 1",
        "'User Story: <title>' is empty",
    ),
    (
        "empty-role",
        ENGLISH.replace("As a account holder", "As a"),
        "line 2",
        "'As a <role>' is empty",
    ),
    (
        "goal-before-role",
        ENGLISH.replace(
            "As a account holder\nI want to pause a standing order for a few months",
            "I want to pause a standing order for a few months\nAs a account holder",
        ),
        "line 3",
        "'As a <role>' line is repeated or out of order",
    ),
    (
        "ac-gap",
        ENGLISH + "\n\nAC 3: Resume\nGiven a paused order\nWhen I resume it\nThen it runs",
        "line 12",
        "AC 3 where AC 2 was expected",
    ),
    (
        "ac-starts-at-two",
        ENGLISH.replace("AC 1:", "AC 2:"),
        "line 6",
        "AC 2 where AC 1 was expected",
    ),
    (
        "ac-without-name",
        ENGLISH.replace("AC 1: Pause an active order", "AC 1:"),
        "AC 1",
        "name is empty",
    ),
    (
        "when-before-given",
        ENGLISH.replace(
            "Given an active standing order to my landlord\nWhen I pause it until 1 September",
            "When I pause it until 1 September\nGiven an active standing order to my landlord",
        ),
        "AC 1",
        "steps must be Given, When, Then in that order (more lines use And), "
        "found When, Given, Then",
    ),
    (
        "missing-then",
        ENGLISH.replace("Then no payment", "And no payment"),
        "AC 1",
        "missing Then step",
    ),
    (
        "given-after-when",
        ENGLISH.replace("Then no payment", "Given a holiday\nThen no payment"),
        "AC 1",
        "found Given, When, Given, Then",
    ),
    (
        "and-first",
        ENGLISH.replace("Given an active", "And an active"),
        "line 7",
        "'And' must follow a Given, When or Then step",
    ),
    (
        "empty-step",
        ENGLISH.replace("When I pause it until 1 September", "When"),
        "line 8",
        "empty 'When' step",
    ),
    ("no-criteria", ENGLISH.split("\n\n")[0], "story", "no acceptance criteria"),
    (
        "step-before-ac",
        ENGLISH.replace("AC 1: Pause an active order\n", ""),
        "line 6",
        "'Given' step before the first 'AC 1: <name>' line",
    ),
    (
        "mixed-languages",
        ENGLISH.replace("When I pause", "当 我暂停"),
        "line 8",
        "Chinese keyword mixed into a story written in English",
    ),
    (
        "mixed-languages-zh",
        CHINESE.replace("于是 ", "Then "),
        "line 9",
        "English keyword mixed into a story written in Chinese",
    ),
    ("stray-line", ENGLISH + "\nThis is a note", "line 11", "unexpected line 'This is a note'"),
    (
        "stray-header-line",
        ENGLISH.replace("As a account holder", "As the account holder"),
        "line 2",
        "unexpected line 'As the account holder'",
    ),
    (
        "so-that-after-ac",
        ENGLISH.replace("So that I keep my savings during a sabbatical\n", "")
        + "\nSo that I keep my savings",
        "line 10",
        "must come before the acceptance criteria",
    ),
    (
        "zh-missing-benefit",
        CHINESE.replace("以便于 在休假期间保留存款\n", ""),
        "line 5",
        "missing '以便于 ...' line",
    ),
    ("zh-missing-then", CHINESE.replace("于是 ", "并且 "), "AC 1", "missing 于是 step"),
    ("empty", "   \n", "story", "is empty"),
]


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [case[1:] for case in BROKEN_STORIES],
    ids=[case[0] for case in BROKEN_STORIES],
)
def test_given_a_broken_story_when_validated_then_the_reason_is_reported(text, where, message):
    problems = user_story.validate(text)
    assert any(p.where == where and message in p.message for p in problems), problems


def test_given_a_broken_story_when_parsed_then_story_error_lists_the_problems():
    with pytest.raises(StoryError, match="AC 1: missing Then step"):
        user_story.parse(ENGLISH.replace("Then no payment", "And no payment"))


def test_given_an_english_feature_when_imported_then_background_rule_and_outline_become_acs():
    [story] = user_story.from_gherkin((FIXTURES / "pause.feature").read_text(encoding="utf-8"))
    assert user_story.render(story) == GHERKIN_ENGLISH
    assert user_story.validate(user_story.render(story)) == []


def test_given_a_zh_cn_feature_when_imported_then_the_story_is_chinese():
    text = (FIXTURES / "pause_zh.feature").read_text(encoding="utf-8")
    [story] = user_story.from_gherkin(text)
    assert story.language == "zh"
    assert user_story.render(story) == CHINESE


def test_given_a_feature_without_narrative_when_imported_then_parts_are_empty_and_rejected():
    text = "Feature: Bare\n\n  Scenario: One\n    Given a\n    When b\n    Then c\n"
    [story] = user_story.from_gherkin(text)
    assert (story.role, story.goal, story.benefit) == ("", "", "")
    problems = user_story.validate(user_story.render(story))
    assert "'As a <role>' is empty" in [p.message for p in problems]


def test_given_invalid_or_empty_gherkin_when_imported_then_error_or_nothing():
    assert user_story.from_gherkin("# only a comment\n") == []
    with pytest.raises(StoryError, match="invalid Gherkin"):
        user_story.from_gherkin("Feature: x\n  Scenario: y\n    Given a\n  Feature: again\n")


def test_given_markdown_with_several_stories_when_imported_then_each_story_is_read():
    text = (FIXTURES / "stories.md").read_text(encoding="utf-8")
    first, second = user_story.from_markdown(text)
    assert user_story.render(first) == GHERKIN_ENGLISH.split("\n\nAC 1")[0] + "\n\n" + "\n".join(
        [
            "AC 1: Pause an active order",
            "Given an active standing order to my landlord",
            "When I pause it until 1 September",
            "Then no payment is made before 1 September",
            "And the order shows the status PAUSED",
            "",
            "AC 2: Resume a paused order",
            "Given a paused standing order",
            "When I resume it",
            "Then the next payment is made on schedule",
        ]
    )
    assert user_story.render(second) == MARKDOWN_SECOND_STORY


def test_given_chinese_markdown_when_imported_then_it_renders_the_chinese_template():
    [story] = user_story.from_markdown((FIXTURES / "stories_zh.md").read_text(encoding="utf-8"))
    assert user_story.render(story) == CHINESE


def test_given_markdown_without_stories_when_imported_then_nothing_is_returned():
    assert user_story.from_markdown("# Notes\n\nJust some text.\n\n## Ideas\n- none\n") == []


@pytest.mark.parametrize(
    "name", ["pause.feature", "pause_zh.feature", "stories.md", "stories_zh.md"]
)
def test_given_imported_stories_when_rendered_then_they_validate(name):
    text = (FIXTURES / name).read_text(encoding="utf-8")
    importer = user_story.from_gherkin if name.endswith(".feature") else user_story.from_markdown
    for story in importer(text):
        assert user_story.validate(user_story.render(story)) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "# User Story: Export\n- As an auditor, I want to export statements, so that I can "
            "check them offline\n",
            ("auditor", "to export statements", "I can check them offline", "en"),
        ),
        (
            "# 用户故事: 导出\n作为审计员，我想导出对账单，以便于离线核对\n",
            ("审计员", "导出对账单", "离线核对", "zh"),
        ),
    ],
)
def test_given_a_one_line_narrative_when_imported_then_role_goal_and_benefit_are_split(
    text, expected
):
    [story] = user_story.from_markdown(text)
    assert (story.role, story.goal, story.benefit, story.language) == expected
