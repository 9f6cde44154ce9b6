"""Candidates per asset kind: specs, controllers, stories; unreadable assets become rejects."""

from __future__ import annotations

from tasks.build_dataset import from_api, from_stories
from tasks.dsl import code_units
from tasks.dsl.api_table import Operation
from tasks.dsl.user_story import Story
from tests.support import REPO

CONTROLLER = """package com.acme.web;
@RestController
@RequestMapping("/payees")
public class PayeeController {
    /** Lists payees. */
    @GetMapping
    public List<String> list() { return List.of(); }
    /** Removes a payee. */
    @DeleteMapping("/{id}")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    public void remove(@PathVariable String id) {}
}
"""


def story(title: str, goal: str = "to do things", language: str = "en") -> Story:
    return Story(title, "customer", goal, "it helps", [], language)


def operation(path: str, method: str = "GET") -> Operation:
    return Operation("Payees", path, method, "x", "", "200", "")


def test_given_story_titles_when_matched_then_only_named_resources_pair_plurals_aside():
    assert from_stories.names_resource(story("Save payees"), "Payees")
    assert from_stories.names_resource(story("Customer profile"), "Customers")
    assert from_stories.names_resource(story("Orders", "to pause standing orders"),
                                       "Standing Orders")  # fmt: skip
    assert not from_stories.names_resource(story("Monthly statements"), "Accounts")
    assert not from_stories.names_resource(story("Save payees"), "")


def test_given_a_story_naming_two_resources_when_paired_then_the_most_specific_one_wins():
    sections = [
        from_api.Section("Orders", "API", [operation("/orders")], ("spec",)),
        from_api.Section("Standing Orders", "API", [operation("/standing-orders")], ("spec",)),
    ]
    stories = [("s.md", story("Pause standing orders")), ("zh.md", story("暂停", language="zh"))]
    built = from_stories.stories_to_apis(stories, sections)
    (candidate,) = built.candidates
    assert "/standing-orders" in candidate.output and candidate.assets == ("s.md", "spec")
    assert candidate.kind == "design_restful_api.story"


def test_given_a_controller_a_spec_documents_when_read_then_both_share_a_group():
    units = {"web/PayeeController.java": code_units.parse_java(CONTROLLER)}
    spec = from_api.Section("Payees", "API", [operation("/payees/{payeeId}", "DELETE")], ("s",))
    (section,) = from_api.controller_sections(
        {"web/PayeeController.java": CONTROLLER}, units, [spec]
    )
    assert section.assets == ("web/PayeeController.java", "s")
    assert [op.response for op in section.operations] == ["200 [String]", "204"]
    alone = from_api.controller_sections({"web/PayeeController.java": CONTROLLER}, units, [])
    assert alone[0].assets == ("web/PayeeController.java",)


def test_given_spring_settings_among_the_assets_when_read_then_root_names_wrap_request_bodies():
    controller = """package com.acme.web;
@RestController
public class PayeeController {
    /** Adds a payee. */
    @PostMapping("/payees")
    @ResponseStatus(HttpStatus.CREATED)
    public void add(@RequestBody NewPayee payee) {}
}
@JsonRootName("payee")
record NewPayee(String name, String iban) {}
"""
    sources = {"web/PayeeController.java": controller}
    units = {name: code_units.parse_java(text) for name, text in sources.items()}
    settings = {"res/application.yml": "spring:\n  jackson:\n    deserialization:\n"
                "      unwrap-root-value: true\n"}  # fmt: skip
    assert from_api.SPRING_SETTINGS.search("src/main/resources/application-dev.yml")
    assert not from_api.SPRING_SETTINGS.search("docs/my-application.yml")
    (section,) = from_api.controller_sections(sources, units, [], settings)
    assert section.operations[0].request == 'body {"payee": {"name": String, "iban": String}}'
    assert section.assets == ("web/PayeeController.java", "res/application.yml")
    (plain,) = from_api.controller_sections(sources, units, [])
    assert plain.operations[0].request == 'body {"name": String, "iban": String}'


def test_given_a_spec_when_read_then_sections_chunk_into_tables_and_schema_diagrams():
    text = (REPO / "samples/api/payments-openapi.yaml").read_text("utf-8")
    sections, rejects = from_api.spec_sections("spec", "openapi", text)
    assert rejects == [] and [s.name for s in sections] == ["Accounts", "Payees", "Standing Orders"]
    tables = from_api.from_sections(sections, 2).candidates
    assert len(tables) == sum((len(s.operations) + 1) // 2 for s in sections)
    assert tables[0].input.startswith("Resource: Accounts (")
    diagrams = from_api.api_diagrams("spec", text, sections, 2).candidates
    assert diagrams and all(d.output.startswith("@startuml") for d in diagrams)
    assert diagrams[0].input == tables[0].output  # the table is the diagram's input


def test_given_unreadable_assets_when_read_then_each_is_a_reject_with_its_reason():
    sections, rejects = from_api.spec_sections("bad.yaml", "openapi", "openapi: [unclosed")
    assert sections == [] and rejects[0].reason.startswith("unparseable spec: ")
    gherkin = "  Given x\nFeature: a\n"  # a step before the feature
    stories, rejects = from_stories.read_stories("bad.feature", "gherkin", gherkin)
    assert stories == [] and rejects[0].reason.startswith("unparseable: invalid Gherkin")
    stories, rejects = from_stories.read_stories("notes.md", "markdown", "just some notes\n")
    assert stories == [] and rejects[0].reason == "no user story found"
