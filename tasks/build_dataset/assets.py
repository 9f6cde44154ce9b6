"""From step 1's contents to candidates: parse every asset once, then render every task."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from tasks.build_dataset import from_api, from_code, from_stories
from tasks.build_dataset.candidates import Built, Candidate, Reject
from tasks.dsl.code_units import ClassUnit
from tasks.dsl.user_story import Story
from tasks.executor import IN_PROCESS, Parts
from tasks.params import BuildDatasetParams
from tasks.task_specs import spec
from tasks.text import language_of

ASSETS_PER_PART = 64  # assets parsed per executor task: ~0.5 s of parsing (benchmarks/scale.py)
# What a task spec's builder is (tasks/task_specs): the parsed assets in, candidates out.
Builder = Callable[["ParsedAssets", BuildDatasetParams], Built]


@dataclass
class ParsedAssets:
    """Every asset read into its model: classes, API sections, stories, diagrams."""

    units: dict[str, list[ClassUnit]]
    kinds: dict[str, str]
    paths: dict[str, str]
    java_sources: dict[str, str]
    specs: list[tuple[str, str, str, list[from_api.Section]]] = field(default_factory=list)
    stories: list[tuple[str, Story]] = field(default_factory=list)
    diagrams: list[tuple[str, str]] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    settings: dict[str, str] = field(default_factory=dict)  # Spring Boot settings files
    java_tests: dict[str, str] = field(default_factory=dict)  # the texts of Java test files


@dataclass
class ParsedPart:
    """What one part of the assets parses into (a task of the executor)."""

    units: dict[str, list[ClassUnit]]
    code_rejects: list[Reject]
    specs: list[tuple[str, str, str, list[from_api.Section]]]
    stories: list[tuple[str, Story]]
    rejects: list[Reject]


def parse_part(contents: pd.DataFrame, packages: frozenset[str]) -> ParsedPart:
    """Parse the code, specs and stories among some assets (`packages`: of all the assets)."""
    units, code_rejects = from_code.parse_code(contents, packages)
    part = ParsedPart(units, code_rejects, [], [], [])
    for row in contents.itertuples():
        if row.kind in {"openapi", "postman"}:
            sections, found = from_api.spec_sections(row.asset_id, row.kind, row.text)
            part.rejects += found
            if sections:
                part.specs.append((row.asset_id, row.kind, row.text, sections))
        elif row.kind == "user_story":
            stories, found = from_stories.read_stories(row.asset_id, row.language, row.text)
            part.rejects += found
            part.stories += [(row.asset_id, story) for story in stories]
    return part


def parse_assets(contents: pd.DataFrame, parts: Parts = IN_PROCESS) -> ParsedAssets:
    """Parse specs, stories, diagrams and code; what does not parse becomes a reject.

    The parsing runs in parts of ASSETS_PER_PART assets (in this process, or on a Dask cluster:
    tasks.executor), merged in order, so the result is the same for any part size and executor.
    """
    size = ASSETS_PER_PART
    packages = from_code.python_packages(contents)
    parsing = [contents.iloc[start : start + size] for start in range(0, len(contents), size)]
    parsed_parts = list(parts.map(parse_part, parsing, packages))
    units = {asset_id: found for part in parsed_parts for asset_id, found in part.units.items()}
    parsed = ParsedAssets(
        units=units,
        kinds=dict(zip(contents["asset_id"], contents["kind"], strict=True)),
        paths=dict(zip(contents["asset_id"], contents["path"], strict=True)),
        java_sources={
            row.asset_id: row.text
            for row in contents.itertuples()
            if row.asset_id in units and row.kind == "source" and row.language == "java"
        },
        java_tests={
            row.asset_id: row.text
            for row in contents.itertuples()
            if row.asset_id in units and row.kind == "test" and row.language == "java"
        },
        rejects=[reject for part in parsed_parts for reject in part.code_rejects]
        + [reject for part in parsed_parts for reject in part.rejects],
        settings={
            row.asset_id: row.text
            for row in contents.itertuples()
            if from_api.SPRING_SETTINGS.search(row.path)
        },
        specs=[spec for part in parsed_parts for spec in part.specs],
        stories=[story for part in parsed_parts for story in part.stories],
        diagrams=[
            (row.asset_id, row.text) for row in contents.itertuples() if row.kind == "plantuml"
        ],
    )
    return parsed


def api_records(parsed: ParsedAssets, step: BuildDatasetParams) -> Built:
    """API tables (and the diagrams of their bodies) from specs, from Spring controllers no
    spec documents, and from the stories that need them."""
    built = Built()
    ops = step.api_operations_per_record
    sections = [section for *_, found in parsed.specs for section in found]
    for asset_id, kind, text, found in parsed.specs:
        if kind == "openapi":  # Postman collections name no schemas
            built.extend(from_api.api_diagrams(asset_id, text, found, ops))
    java_units = {asset_id: parsed.units[asset_id] for asset_id in parsed.java_sources}
    controllers = from_api.controller_sections(
        parsed.java_sources, java_units, sections, parsed.settings
    )
    built.extend(from_api.from_sections(sections + controllers, ops))
    documented = {section.name for section in sections}
    undocumented = [section for section in controllers if section.name not in documented]
    built.extend(from_stories.stories_to_apis(parsed.stories, sections + undocumented))
    return built


def story_records(parsed: ParsedAssets, step: BuildDatasetParams) -> Built:
    """User stories from their topics, and their split into development tasks."""
    built = Built()
    for asset_id, story in parsed.stories:
        built.extend(from_stories.from_story(asset_id, story))
    return built


def diagram_records(parsed: ParsedAssets, step: BuildDatasetParams) -> Built:
    """Hand-written PlantUML diagrams from their class lists."""
    built = Built()
    for asset_id, text in parsed.diagrams:
        built.extend(from_code.from_plantuml(asset_id, text))
    return built


def source_records(parsed: ParsedAssets, step: BuildDatasetParams) -> Built:
    """Methods to implement, and class diagrams of the packages' classes."""
    return from_code.from_sources(
        parsed.units, parsed.kinds, step.min_body_lines, step.plantuml_classes_per_record,
        max_tokens=step.max_record_tokens,
    )  # fmt: skip


def test_records(parsed: ParsedAssets, step: BuildDatasetParams) -> Built:
    """Tests of the methods they exercise."""
    return from_code.from_tests(parsed.units, parsed.kinds, parsed.paths, step.max_tests_per_record)


def builders(tasks: list[str]) -> list[Builder]:
    """The distinct builders of the listed tasks' specs, in the order the specs name them."""
    refs = dict.fromkeys(ref for task in tasks for ref in spec(task).builders)
    found = []
    for ref in refs:
        module, _, name = ref.partition(":")
        found.append(getattr(importlib.import_module(module), name))
    return found


def render_candidates(parsed: ParsedAssets, step: BuildDatasetParams) -> Built:
    """Every listed task's candidates from the parsed assets: each builder its spec names runs
    once (a builder may render several tasks; filtering drops the unlisted ones)."""
    built = Built(rejects=list(parsed.rejects))
    for build in builders(list(step.tasks)):
        built.extend(build(parsed, step))
    return built


def candidates_from_feedback(rows: list[dict[str, Any]]) -> list[Candidate]:
    """SFT records from ingested feedback, keeping the event ids they came from."""
    return [
        Candidate(
            task=row["task"],
            input=row["input"],
            output=row["output"],
            # Step 6 names no language for prose tasks it does not know (task lists).
            language=row["language"] or language_of(row["output"]),
            assets=(row["asset_id"],),
            instruction=row["instruction"],
            origin=row["origin"],
            event_ids=row["event_ids"],
        )
        for row in rows
    ]
