"""The task registry: one spec per task, in one module of this package each.

A spec says everything the platform needs to know about a task: the validator of its answers,
its primary metric, the builders that render its records from step 1's assets, its instruction
wordings, whether its answers run against tests, the language its answers are written in and
which curation standards apply. Step 2 (rendering, filtering, curation, the split), step 4
(scoring, execution), step 6 (feedback conversion) and the server read it, and
`build_dataset.tasks` is checked against it when params load. Adding a task is its DSL module
(the validator), its builder and its spec: README "Add a task".

Specs are found by listing this package, so a new spec module is the only registration.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Literal

from tasks.dsl.problems import Problem

Validator = Callable[[str, str, "str | None"], list[Problem]]  # (output, language, method)
Standards = Literal["", "api_table", "code", "story", "story_input"]


@dataclass(frozen=True)
class TaskSpec:
    name: str
    # Problems with an answer (empty when valid): (output, language of the code, method name).
    validate: Validator
    # What the promotion gate compares: format_valid, cell_valid or syntax_valid (pass@1 instead
    # when the task is executable and some record could run against its tests).
    primary_metric: str
    # "module:function" of the step 2 builders that render its records, each
    # (ParsedAssets, BuildDatasetParams) -> Built; one builder may serve several tasks and
    # runs once. Names, not imports, so that evaluation and serving import no step 2 code.
    builders: tuple[str, ...]
    # Instruction wordings: {kind: {language: wordings}}; kind is the task's name or
    # `<task>.<variant>` for another kind of input. The first English wording is canonical.
    instructions: dict[str, dict[str, tuple[str, ...]]]
    asset_kinds: tuple[str, ...]  # step 1 kinds (classify.AssetKind) its records come from
    # The language of an answer: a fixed one (markdown, plantuml, java) or read from the answer.
    answer_language: str | Callable[[str], str]
    executable: bool = False  # Python answers run against the project's tests (evaluate)
    # Code in several languages: the validator needs the language, the split stratifies by it,
    # the server tries each when the client names none.
    multi_language: bool = False
    scores: Callable[[str, str], dict] | None = None  # extra per-record scores (output, language)
    # Curation standards (tasks/build_dataset/curation.py): the answer's API table, the
    # answer's code (routes and smells), the answer's story, or the story in the input.
    standards: Standards = ""
    also_fed_by: str = ""  # what else feeds it, beyond its kinds (coverage messages)

    def language_of(self, answer: str) -> str:
        """The language `answer` is written in, as its validator expects it."""
        if callable(self.answer_language):
            return self.answer_language(answer)
        return self.answer_language


@cache
def specs() -> dict[str, TaskSpec]:
    """Every registered task's spec, by name, in name order."""
    found: dict[str, TaskSpec] = {}
    for module in sorted(
        m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")
    ):
        spec = importlib.import_module(f"{__name__}.{module}").SPEC
        if spec.name != module:
            raise RuntimeError(f"tasks/task_specs/{module}.py declares task {spec.name!r}")
        found[spec.name] = spec
    return found


def spec(task: str) -> TaskSpec:
    """One task's spec; KeyError naming the known tasks."""
    known = specs()
    if task not in known:
        raise KeyError(f"unknown task {task!r}; known: {', '.join(known)}")
    return known[task]


def task_names() -> tuple[str, ...]:
    return tuple(specs())


def unknown_tasks(names: list[str]) -> list[str]:
    """The names that are no registered task."""
    return sorted(set(names) - set(specs()))


def instruction_wordings() -> dict[str, dict[str, tuple[str, ...]]]:
    """Every task's wordings, from its spec: {kind: {language: wordings}} (canonical first)."""
    return {
        kind: wordings for task in specs().values() for kind, wordings in task.instructions.items()
    }


def all_instructions() -> dict[str, list[str]]:
    """Every wording, keyed `<kind>.<language>` (canonical first; exported with the bundle)."""
    return {
        f"{kind}.{language}": list(wordings)
        for kind, by_language in instruction_wordings().items()
        for language, wordings in by_language.items()
    }


def answer_only(check: Callable[[str], list[Problem]]) -> Validator:
    """A validator of the answer alone (no code language, no method name)."""
    return lambda output, _language, _method: check(output)


def code_task(
    name: str,
    validate: Validator,
    builder: str,
    instructions: dict[str, dict[str, tuple[str, ...]]],
    executable: bool = False,
    **fields: object,
) -> TaskSpec:
    """A task whose answers are code: curated by the code standards (routes, smells) and scored
    for syntax. Java from Java sources, format validity the primary metric; `executable`: code
    in the assets' languages that runs against the project's tests (pass@1 when it can, else
    syntax validity). `fields` override any of these."""
    from tasks.dsl.code_units import detect_language
    from tasks.task_specs._scores import syntax_scores

    defaults: dict = {
        "primary_metric": "format_valid",
        "asset_kinds": ("source",),
        "answer_language": "java",
        "scores": syntax_scores,
        "standards": "code",
    }
    if executable:
        defaults |= {
            "primary_metric": "syntax_valid",
            "answer_language": detect_language,
            "executable": True,
            "multi_language": True,
        }
    return TaskSpec(
        name=name,
        validate=validate,
        builders=(builder,),
        instructions=instructions,
        **(defaults | fields),  # type: ignore[arg-type]
    )
