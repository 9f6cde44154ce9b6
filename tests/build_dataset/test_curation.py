"""Curation by standards: what breaks them never becomes a record, and the reason says why."""

from __future__ import annotations

import pytest

from tasks.build_dataset import curation
from tasks.build_dataset.__main__ import build
from tasks.build_dataset.card import dataset_card
from tasks.dsl.story_model import AcceptanceCriterion, Story
from tasks.params import CurationParams

LEGACY = (
    "samples:java/payments-service/src/main/java/com/acme/payments/web/LegacyNewsController.java"
)
REWRITE = (
    "samples:java/payments-service/src/main/java/com/acme/payments/web/NewsPostController.java"
)
# The paths of the seeds' controller (written again as LegacyNewsController) and its rewrite.
LEGACY_PATHS = ("/createPost", "/getPost/", "/getAllPosts", "/updatePost/", "/deletePost/")


@pytest.fixture(scope="module")
def built(sample_contents, roomy_step, count_tokens):
    return build(sample_contents, [], roomy_step, count_tokens)


def test_the_seeds_createpost_controller_never_becomes_an_answer_and_its_rewrite_does(built):
    records, rejects, info = built
    for path in LEGACY_PATHS:
        assert not records["output"].str.contains(path, regex=False).any(), path
    legacy = rejects[rejects["asset_id"] == LEGACY]
    api = legacy[legacy["task"] == "design_restful_api"]
    assert len(api) == len(LEGACY_PATHS)  # one record per operation, each rejected
    assert api["reason"].str.startswith("non_restful: ").all()
    assert api["reason"].str.contains("verb-in-path: segment 'createPost'").any()
    rewrite = records[(records["asset_id"] == REWRITE) & (records["task"] == "design_restful_api")]
    assert len(rewrite) == 6 and rewrite["output"].str.contains("/news-posts").all()
    # Nor does the controller itself become an implementation_spring_controller answer.
    code = legacy[legacy["task"] == "implementation_spring_controller"]
    assert len(code) == len(LEGACY_PATHS) and code["reason"].str.startswith("non_restful: ").all()
    assert (
        (records["asset_id"] == REWRITE) & (records["task"] == "implementation_spring_controller")
    ).any()
    card = dataset_card(records, rejects, info)
    assert f"{len(api) + len(code)} rejected as non_restful" in card
    assert (records["task"] == "implement_method").any()


def test_every_kept_record_meets_the_standards(built, roomy_step):
    records = built[0]
    problems = [
        curation.standards_problem(r.task, r.input, r.output, r.language, roomy_step.curation)
        for r in records.itertuples()
    ]
    assert [p for p in problems if p] == []


STANDARDS = CurationParams(
    restful_rules=["verb-in-path", "method-contradicts-action", "plural-collection",
                   "success-code"],
    max_ccn=3, max_function_lines=8, max_parameters=2, min_acceptance_criteria=2,
)  # fmt: skip


@pytest.mark.parametrize(
    ("task", "language", "code", "reason"),
    [
        (
            "implement_method", "java",
            '@PostMapping("/createPost")\npublic Post createPost(Post p) {\n    return p;\n}',
            "non_restful: route POST /createPost: verb-in-path: segment 'createPost'",
        ),
        (
            "write_test", "java",
            'void deletes() throws Exception {\n    mvc.perform(get("/deletePost/{id}", 1));\n}',
            "non_restful: route GET /deletePost/{id}: verb-in-path",
        ),
        (
            "write_test", "python",
            "def test_it(client):\n    client.get('/order/{orderId}')\n",
            "non_restful: route GET /order/{orderId}: plural-collection: segment 'order'",
        ),
        (
            "implement_method", "python",
            "@app.route('/fetchUsers')\ndef users():\n    return []\n",
            "non_restful: route to /fetchUsers: verb-in-path",
        ),
        (
            "implement_method", "python",
            "def fee(a):\n    if a:\n        if a > 1:\n            if a > 2:\n"
            "                return 3\n    return 0\n",
            "code_smell: fee: cyclomatic complexity 4 > max_ccn 3 (lizard)",
        ),
        (
            "implement_method", "java",
            "int sum(int a, int b, int c) {\n    return a + b + c;\n}",
            "code_smell: sum: parameters 3 > max_parameters 2 (lizard)",
        ),
        (
            "write_test", "python",
            "def test_long():\n" + "".join(f"    x{i} = {i}\n" for i in range(8)),
            "code_smell: test_long: lines of code 9 > max_function_lines 8 (lizard)",
        ),
    ],
)  # fmt: skip
def test_a_code_answer_that_breaks_a_standard_is_named_by_it(task, language, code, reason):
    found = curation.standards_problem(task, "", code, language, STANDARDS)
    assert found is not None and found.startswith(reason), found


def test_restful_code_and_plain_code_meet_the_standards():
    code = '@GetMapping("/news-posts/{postId}")\npublic Post get(Long postId) {\n    return x;\n}'
    assert curation.standards_problem("implement_method", "", code, "java", STANDARDS) is None
    assert curation.standards_problem("write_test", "", "def test_x():\n    assert 1\n",
                                      "python", STANDARDS) is None  # fmt: skip


def test_a_story_with_too_few_criteria_or_one_without_then_is_thin():
    then = AcceptanceCriterion("pays", ["a payee"], ["I pay"], ["it is paid"])
    bare = AcceptanceCriterion("shows", ["a payee"], ["I look"], [])
    story = Story("Pay", "holder", "pay", "settle", [then], "en")
    assert curation._thin(story, 2) == (
        "thin_story: 1 acceptance criteria < min_acceptance_criteria 2"
    )
    story.criteria.append(bare)
    assert curation._thin(story, 2) == "thin_story: acceptance criterion 'shows' has no Then"
    story.criteria[1] = then
    assert curation._thin(story, 2) is None


def test_an_unknown_restful_rule_in_params_is_a_clear_error():
    bad = STANDARDS.model_copy(update={"restful_rules": ["verb-in-path", "no-such-rule"]})
    with pytest.raises(SystemExit, match=r"unknown build_dataset.curation.restful_rules"):
        curation.check_rules(bad)
