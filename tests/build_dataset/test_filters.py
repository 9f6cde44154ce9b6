"""Filtering candidates: reasons for every reject, and batch token counting that matches."""

from __future__ import annotations

from tasks.build_dataset.candidates import Candidate
from tasks.build_dataset.filters import filter_candidates, record_id
from tasks.params import load_params
from tasks.prompting import build_messages, render_prompt
from tests.support import REPO

STANDARDS = load_params(REPO / "params.yaml").build_dataset.curation  # as shipped

METHOD = "def fee(amount: int) -> int:\n    return amount // 100\n"
TEST = "def test_fee():\n    assert fee(100) == 1\n"


def candidate(task="write_test", input=METHOD, output=TEST, **changes) -> Candidate:
    fields = {
        "language": "python",
        "assets": ("a.py",),
        "instruction": "Write test for follow code",
    }
    return Candidate(task, input, output, **(fields | changes))


def test_given_candidates_when_counted_in_a_batch_then_counts_equal_full_renderings(
    tiny_tokenizer, count_tokens, repo_params
):
    candidates = [
        candidate(),
        candidate(input="", instruction="Implement the method fee\n\nledger.fees()"),
        candidate(instruction="为以下代码编写测试", output="def test_x():\n    assert 1\n"),
    ]
    system = repo_params.prompt.system
    expected = [
        len(
            tiny_tokenizer(
                render_prompt(tiny_tokenizer, build_messages(system, c.instruction, c.input))
                + c.output
                + tiny_tokenizer.eos_token
            )["input_ids"]
        )
        for c in candidates
    ]
    assert count_tokens(candidates) == expected


def test_given_bad_candidates_when_filtered_then_each_is_rejected_with_its_reason(count_tokens):
    candidates = [
        candidate(),
        candidate(output="  "),
        candidate(output="def helper():\n    return 1\n"),
        candidate(output="def broken(:\n", origin="teacher_output"),
        candidate(assets=("b.py",)),  # same instruction and input as the first
        candidate(instruction="Write unit tests for the following code.", assets=("c.py",)),
        candidate(task="implement_method", output=METHOD, method="fee"),
        candidate(task="split_user_story_tasks"),  # a task that is not enabled: left out
    ]
    records, rejects = filter_candidates(
        candidates, ["write_test", "implement_method"], 10_000, count_tokens, STANDARDS
    )
    assert list(records["task"]) == ["write_test", "implement_method"]
    assert records["record_id"].iloc[0] == record_id(
        "write_test", candidates[0].instruction, METHOD
    )
    reasons = [(r.asset_id, r.reason.split(":")[0]) for r in rejects]
    assert reasons == [
        ("a.py", "empty"),
        ("a.py", "invalid output"),
        ("a.py", "invalid output (teacher_output)"),
        ("b.py", "duplicate"),
        ("c.py", "duplicate"),
    ]
    assert "no assertion" in rejects[1].reason
    assert "same instruction and input as a.py" in rejects[3].reason
    assert "same input and output as a.py" in rejects[4].reason


def test_given_a_token_limit_when_filtered_then_longer_records_are_rejected_with_counts(
    count_tokens,
):
    short, long = candidate(), candidate(input=METHOD * 20, assets=("long.py",))
    limit = count_tokens([short])[0]
    records, rejects = filter_candidates(
        [short, long], ["write_test"], limit, count_tokens, STANDARDS
    )
    assert list(records["asset_id"]) == ["a.py"] and records["n_tokens"].iloc[0] == limit
    assert rejects[0].asset_id == "long.py"
    assert rejects[0].reason.startswith("too_long: ")
    assert rejects[0].reason.endswith(f"tokens > max_record_tokens {limit}")


def test_given_feedback_without_input_when_filtered_then_it_is_kept(count_tokens):
    feedback = candidate(input="", origin="feedback_accept", event_ids=["e1"])
    records, rejects = filter_candidates(
        [feedback], ["write_test"], 10_000, count_tokens, STANDARDS
    )
    assert rejects == [] and records["event_ids"].iloc[0] == ["e1"]


def test_given_feedback_on_a_mined_prompt_then_the_feedback_answer_is_kept_in_its_place(
    count_tokens,
):
    other = "def test_fee_rounds_down():\n    assert fee(199) == 1\n"
    mined = candidate()
    unrelated = candidate(assets=("b.py",), input="def tax(x: int) -> int:\n    return x\n",
                          output="def test_tax():\n    assert tax(1) == 1\n")  # fmt: skip
    accepted = candidate(assets=("feedback:e1",), output=other, origin="feedback_accept",
                         event_ids=["e1"])  # fmt: skip
    frame, rejects = filter_candidates(
        [mined, unrelated, accepted], ["write_test"], 448, count_tokens, STANDARDS
    )
    assert list(frame["output"]) == [unrelated.output, other]  # the others keep their order
    assert list(frame["event_ids"].map(list)) == [[], ["e1"]]
    (reject,) = rejects
    assert reject.asset_id == "a.py"
    assert reject.reason.startswith("superseded: feedback feedback_accept on the same prompt")
    # without feedback on it, the mined record stays
    frame, rejects = filter_candidates(
        [mined, unrelated], ["write_test"], 448, count_tokens, STANDARDS
    )
    assert list(frame["output"]) == [TEST, unrelated.output] and not rejects
