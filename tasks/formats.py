"""Which validator checks which task's output: shared by build_dataset, gates and evaluate."""

from __future__ import annotations

from collections.abc import Callable

from tasks.dsl import api_table, code_units, plantuml, task_list, user_story
from tasks.dsl.problems import Problem

TASKS = (
    "design_restful_api",
    "create_agile_user_story",
    "split_user_story_tasks",
    "implement_method",
    "write_test",
    "design_plantuml_datastructure",
)


def _method(output: str, language: str, method: str | None) -> list[Problem]:
    return code_units.validate_method(output, language, method)


_VALIDATORS: dict[str, Callable[[str, str, str | None], list[Problem]]] = {
    "design_restful_api": lambda output, _lang, _name: api_table.validate(output),
    "create_agile_user_story": lambda output, _lang, _name: user_story.validate(output),
    "split_user_story_tasks": lambda output, _lang, _name: task_list.validate(output),
    "implement_method": _method,
    "write_test": lambda output, lang, _name: code_units.validate_test(output, lang),
    "design_plantuml_datastructure": lambda output, _lang, _name: plantuml.validate(output),
}


def validate_output(
    task: str, output: str, language: str, method: str | None = None
) -> list[Problem]:
    """Problems with a task's output in that task's format (empty when valid)."""
    if task not in _VALIDATORS:
        raise KeyError(f"no validator for task {task!r}; known: {', '.join(_VALIDATORS)}")
    if not output.strip():
        return [Problem("output", "empty")]
    return _VALIDATORS[task](output, language, method)
