"""Each DVC stage's code deps cover every project file its command imports.

A stage's deps in dvc.yaml are kept by hand; one that misses a file its command imports keeps a
stale cached result when that file changes (`dvc repro` sees no changed dep and skips it). The
import closure is computed statically: the entry module from the stage's `cmd`
(`python -m tasks.evaluate` -> tasks/evaluate/__main__.py), the packages above it, and every
`import` / `from ... import` inside the project packages, at any depth (lazy imports inside
functions included, `if TYPE_CHECKING:` blocks left out: they never run). A dep covers a file
when it names the file or a directory above it. Deps with `${...}` name data, not code.
"""

from __future__ import annotations

import ast
import shlex
from collections.abc import Callable
from functools import cache
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("tasks", "flows")  # the project's own code; everything else is installed

# Data inside the packages, read (not imported) by one module: dep -> the module reading it.
READ_BY = {"tasks/offline_assets": "tasks/offline_pages.py"}  # bootstrap-table for Data Docs

# Stages whose deps leave out files of their import closure on purpose: stage -> {path covering
# the files left out (a file or a directory, as a dep would): why}. Nothing else may be missing.
NARROWER_ON_PURPOSE: dict[str, dict[str, str]] = {
    # evaluate_base stores the base model's raw answers only (reports/evaluate/base, committed
    # with its dvc.lock entry): generating them takes about 25 minutes on the 2-core machine and a
    # fresh clone must not redo it. Its deps are what shapes an answer (the model, the eval set,
    # the prompt, generation); evaluate scores the stored answers again on every run (with these
    # validators, the sandbox and the metrics, which are evaluate's deps) and regenerates them
    # itself when their digests do not match.
    "evaluate_base": {
        # scoring, imported through the shared runner
        "tasks/dsl": "the format validators",
        "tasks/formats.py": "which validator checks which task",
        "tasks/task_specs": "the task registry's validators and scores",
        "tasks/text.py": "the language of a story answer (its validator)",
        "tasks/safe_yaml.py": "the validators' YAML bounds",
        "tasks/evaluate/score.py": "the metrics",
        "tasks/evaluate/execution.py": "the sandboxed runs of code answers",
        "tasks/evaluate/sandbox.py": "the sandbox",
        "tasks/evaluate/regurgitation.py": "the regurgitation probe of the tuned model",
        # plumbing: shapes no answer (the params themselves are declared)
        "tasks/__init__.py": "offline / no-telemetry environment defaults",
        "tasks/evaluate/__init__.py": "a package docstring",
        "tasks/io.py": "atomic reads and writes",
        "tasks/progress.py": "progress lines",
        "tasks/params.py": "params.yaml parsing",
        "tasks/base_model.py": "the descriptor's local path (the descriptor is a dep)",
    },
}


def _gate_builders(argv: list[str]) -> list[str]:
    # tasks.gates imports the gate's builder by name: GATE_BUILDERS[<gate>], the cmd's argument.
    tree = ast.parse((REPO / "tasks" / "gates.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "GATE_BUILDERS" for t in node.targets
        ):
            return [ast.literal_eval(node.value)[argv[0]]]
    raise AssertionError("tasks/gates.py has no GATE_BUILDERS dict literal")


def _task_specs(argv: list[str]) -> list[str]:
    # tasks.task_specs imports every spec module of its package.
    folder = REPO / "tasks" / "task_specs"
    return [f"tasks.task_specs.{p.stem}" for p in folder.glob("*.py") if not p.stem.startswith("_")]


def _spec_builders(argv: list[str]) -> list[str]:
    # build_dataset's assets.builders imports the builders the specs name ("module:function").
    from tasks.task_specs import specs

    return sorted({ref.partition(":")[0] for spec in specs().values() for ref in spec.builders})


# Modules that import project modules by name at run time: module -> (cmd arguments -> modules).
DYNAMIC_IMPORTS: dict[str, Callable[[list[str]], list[str]]] = {
    "tasks.gates": _gate_builders,
    "tasks.task_specs": _task_specs,
    "tasks.build_dataset.assets": _spec_builders,
}
_DYNAMIC_CALLS = {"import_module", "__import__"}


def module_file(name: str) -> Path | None:
    """The project file of module `name`, None for anything installed."""
    if name.split(".")[0] not in PACKAGES:
        return None
    base = REPO.joinpath(*name.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


@cache
def imports_of(name: str) -> tuple[frozenset[str], bool]:
    """(project modules `name` imports, with the packages above them; whether it calls
    importlib.import_module or __import__)."""
    path = module_file(name)
    assert path is not None, name
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    named: set[str] = set()
    dynamic = False

    def visit(node: ast.AST) -> None:
        nonlocal dynamic
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            named.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1])
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            named.add(module)
            named.update(f"{module}.{alias.name}" for alias in node.names)  # submodules
        elif isinstance(node, ast.Call):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            dynamic = dynamic or called in _DYNAMIC_CALLS
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8"), str(path)))
    parents = {".".join(m.split(".")[:i]) for m in named for i in range(1, m.count(".") + 2)}
    return frozenset(m for m in parents if module_file(m)), dynamic


def _stages() -> dict[str, dict]:
    spec = yaml.safe_load((REPO / "dvc.yaml").read_text(encoding="utf-8"))
    return {name: stage.get("do", stage) for name, stage in spec["stages"].items()}  # foreach


STAGES = _stages()


def entry(cmd: str) -> tuple[str, list[str]]:
    """(module, its arguments) of a `python -m <module> ...` command."""
    argv = shlex.split(cmd)
    assert argv[:2] == ["python", "-m"] and len(argv) > 2, f"not `python -m <module>`: {cmd!r}"
    return argv[2], argv[3:]


def closure(cmd: str) -> set[str]:
    """Repository-relative paths of every project file that running `cmd` executes."""
    module, argv = entry(cmd)
    path = module_file(module)
    assert path is not None, f"{cmd!r}: no project module {module}"
    todo = [".".join(module.split(".")[:i]) for i in range(1, module.count(".") + 2)]
    if path.name == "__init__.py":
        todo.append(f"{module}.__main__")
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        found, dynamic = imports_of(name)
        todo.extend(found)
        if dynamic:
            assert name in DYNAMIC_IMPORTS, (
                f"{name} imports a module by name at run time: add it to DYNAMIC_IMPORTS"
            )
            todo.extend(DYNAMIC_IMPORTS[name](argv))
    return {module_file(name).relative_to(REPO).as_posix() for name in seen}


def covers(path: str, file: str) -> bool:
    path = path.rstrip("/")
    return file == path or file.startswith(path + "/")


def code_deps(stage: dict) -> list[str]:
    deps = [d if isinstance(d, str) else next(iter(d)) for d in stage.get("deps", [])]
    return [d for d in deps if "${" not in d]


def test_the_closure_follows_lazy_imports_and_the_gate_builders():
    assert "tasks/record_encoding.py" in closure("python -m tasks.generation")  # inside a function
    gate = closure("python -m tasks.gates dataset")
    assert {"tasks/__init__.py", "tasks/build_dataset/gate.py"} <= gate
    assert "tasks/identify_assets/gate.py" not in gate


@pytest.mark.parametrize("name", sorted(STAGES))
def test_every_file_a_stage_imports_is_one_of_its_deps(name):
    stage = STAGES[name]
    deps = code_deps(stage) + list(NARROWER_ON_PURPOSE.get(name, {}))
    missing = sorted(f for f in closure(stage["cmd"]) if not any(covers(d, f) for d in deps))
    assert not missing, (
        f"stage {name!r} ({stage['cmd']}) imports files its deps in dvc.yaml leave out, so a "
        f"change to them would leave its cached result stale: {', '.join(missing)}"
    )


@pytest.mark.parametrize("name", sorted(STAGES))
def test_every_code_dep_of_a_stage_is_a_file_it_imports(name):
    # A code dep that covers nothing the stage runs reruns it for nothing, or names a moved file;
    # an allow-list entry that covers nothing is stale.
    stage = STAGES[name]
    files = closure(stage["cmd"])
    code = [d for d in code_deps(stage) if d.split("/")[0] in PACKAGES]
    code += list(NARROWER_ON_PURPOSE.get(name, {}))
    # files inside the packages that code reads rather than imports count when their reader runs
    code = [d for d in code if READ_BY.get(d) not in files]
    idle = [d for d in code if not any(covers(d, f) for f in files)]
    assert not idle, f"stage {name!r}: code deps covering no file it imports: {', '.join(idle)}"


def test_the_allow_list_names_stages_of_the_pipeline():
    assert set(NARROWER_ON_PURPOSE) <= set(STAGES)
