"""A step imports only its own package and shared code; shared code imports no step.

The steps are the packages under tasks/ that a DVC stage runs (identify_assets, build_dataset,
finetune, evaluate, export, ingest_feedback, serve); shared code is every other module of tasks/
(tasks/*.py, tasks/dsl, tasks/task_specs). A concept two steps need (record encoding, the init
pointer, the registry, the feedback event schema, the scrubber, instruction wordings) lives in a
shared module, so changing one step never changes another's code deps.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TASKS = Path(__file__).resolve().parents[1] / "tasks"
SHARED_PACKAGES = {"dsl", "task_specs", "offline_assets"}
STEPS = sorted(
    p.name
    for p in TASKS.iterdir()
    if (p / "__init__.py").exists() and p.name not in SHARED_PACKAGES
)

# Shared-level modules that run several steps on purpose: module -> why.
DRIVERS = {
    "feedback_round.py": "one command that serves, ingests, fine-tunes and evaluates, like a flow",
}


def imported_steps(path: Path) -> set[str]:
    """The step packages a module imports (at any depth, lazy imports included)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if len(parts) > 1 and parts[0] == "tasks" and parts[1] in STEPS:
                found.add(parts[1])
    return found


def test_the_steps_are_found():
    assert {"identify_assets", "build_dataset", "finetune", "evaluate", "export"} <= set(STEPS)


@pytest.mark.parametrize("step", STEPS)
def test_a_step_imports_no_other_step(step):
    crossing = {
        str(path.relative_to(TASKS)): sorted(imported_steps(path) - {step})
        for path in sorted((TASKS / step).rglob("*.py"))
    }
    assert not {k: v for k, v in crossing.items() if v}


def test_shared_code_imports_no_step():
    shared = [p for p in TASKS.glob("*.py") if p.name not in DRIVERS]
    shared += [p for package in SHARED_PACKAGES for p in (TASKS / package).rglob("*.py")]
    crossing = {str(p.relative_to(TASKS)): sorted(imported_steps(p)) for p in sorted(shared)}
    assert not {k: v for k, v in crossing.items() if v}


def test_the_check_sees_a_crossing(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from tasks.finetune.data import encode\n", encoding="utf-8")
    assert imported_steps(module) == {"finetune"}
