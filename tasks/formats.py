"""Which validator checks which task's output: shared by build_dataset, gates and evaluate.

The validators are the task specs' (tasks/task_specs); TASKS lists the registered tasks.
"""

from __future__ import annotations

from tasks.dsl.problems import Problem
from tasks.task_specs import spec, task_names

TASKS = task_names()


def validate_output(
    task: str, output: str, language: str, method: str | None = None
) -> list[Problem]:
    """Problems with a task's output in that task's format (empty when valid)."""
    validate = spec(task).validate  # KeyError naming the known tasks
    if not output.strip():
        return [Problem("output", "empty")]
    return validate(output, language, method)
