"""Instruction wordings: the seeds' kept, paraphrases in EN and ZH, chosen deterministically."""

from __future__ import annotations

from collections import Counter

from tasks.build_dataset.candidates import Candidate
from tasks.build_dataset.instructions import (
    INSTRUCTIONS,
    assign,
    instruction,
    instruction_language,
)
from tasks.formats import TASKS
from tasks.task_specs import all_instructions


def test_the_seeds_wordings_are_the_canonical_english_ones():
    assert INSTRUCTIONS["create_agile_user_story"]["en"][0] == (
        "create Agile user story for following topic"
    )
    assert INSTRUCTIONS["implement_method"]["en"][0] == "Implement the method {name}"
    assert INSTRUCTIONS["write_test"]["en"][0] == "Write test for follow code"


def test_every_task_and_kind_has_several_wordings_in_english_and_chinese():
    assert {kind.split(".")[0] for kind in INSTRUCTIONS} == set(TASKS)
    for kind, by_language in INSTRUCTIONS.items():
        assert set(by_language) == {"en", "zh"}, kind
        assert len(by_language["en"]) >= 3 and len(by_language["zh"]) >= 2, kind
        assert all(any("\u4e00" <= ch <= "\u9fff" for ch in text) for text in by_language["zh"])


def test_all_instructions_exports_every_wording_canonical_first():
    exported = all_instructions()
    assert exported["write_test.en"][0] == "Write test for follow code"
    assert exported["design_restful_api.story.zh"] == list(
        INSTRUCTIONS["design_restful_api.story"]["zh"]
    )
    assert sum(len(v) for v in exported.values()) == sum(
        len(w) for by_language in INSTRUCTIONS.values() for w in by_language.values()
    )


def test_given_the_same_key_and_seed_when_chosen_twice_then_the_wording_is_the_same():
    first = instruction("implement_method", "en", "a.java\0input", 42, name="pay")
    assert first == instruction("implement_method", "en", "a.java\0input", 42, name="pay")
    assert "pay" in first
    wordings = {instruction("write_test", "en", f"key{i}", 42) for i in range(200)}
    assert wordings == set(INSTRUCTIONS["write_test"]["en"])  # every paraphrase gets used


def test_given_a_share_of_chinese_when_languages_are_chosen_then_about_that_share_is_chinese():
    languages = Counter(instruction_language(f"key{i}", 42, 0.1) for i in range(2000))
    assert 150 < languages["zh"] < 250
    assert {instruction_language(f"key{i}", 42, 0.0) for i in range(100)} == {"en"}
    assert instruction_language("k", 1, 0.5) == instruction_language("k", 1, 0.5)


def test_given_candidates_when_assigned_then_stories_keep_their_language_and_given_ones_stay():
    story = Candidate("create_agile_user_story", "暂停", "用户故事: ...", "zh", ("s",),
                      natural_language="zh")  # fmt: skip
    code = Candidate("implement_method", "pkg.A()", "code", "java", ("a",), fields={"name": "run"})
    feedback = Candidate("write_test", "", "t", "python", ("f",), instruction="为以下代码编写测试")
    assign([story, code, feedback], seed=42, zh_share=0.0)
    assert story.instruction in INSTRUCTIONS["create_agile_user_story"]["zh"]
    assert story.instruction_language == "zh"
    assert code.instruction_language == "en" and "run" in code.instruction
    assert feedback.instruction == "为以下代码编写测试" and feedback.instruction_language == "zh"
