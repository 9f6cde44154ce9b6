"""Execution-based correctness: run generated Python code against the project's own tests.

implement_method: the generated function replaces the original method in its module (same
class, same indentation) and the module's test file runs. write_test: the generated tests
run against the real module, under the imports of the reference test file. Both run in the
sandbox (tasks.evaluate.sandbox); Java is scored by syntax only (no JVM in the sandbox).
"""

from __future__ import annotations

import ast
import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd

from tasks.evaluate.sandbox import Limits, Outcome, run_pytest

EXECUTABLE_TASKS = ("implement_method", "write_test")


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k of Chen et al. (2021): 1 - C(n-c, k) / C(n, k), as a stable product."""
    if n - c < k:
        return 1.0
    return float(1.0 - np.prod(1.0 - k / np.arange(n - c + 1, n + 1)))


@dataclass(frozen=True)
class Project:
    """A module, its test file and every Python file under the same import root."""

    root: str  # import root, relative path inside the source (e.g. python/ledger)
    module_path: str  # relative to root
    test_path: str  # relative to root
    files: dict[str, str]  # path relative to root -> text


def _module_parts(path: str, package_dirs: set[str]) -> tuple[str, list[str]]:
    parts = list(PurePosixPath(path).with_suffix("").parts)
    start = len(parts) - 1
    while start > 0 and "/".join(parts[:start]) in package_dirs:
        start -= 1
    return "/".join(parts[:start]), parts[start:]


def _files_on_disk(source_root: Path | None, root: str) -> dict[str, str]:
    # Files the asset scan left out (generated code, say) are still imported by the project.
    base = source_root / root if source_root is not None else None
    if base is None or not base.is_dir():
        return {}
    return {
        path.relative_to(base).as_posix(): path.read_text(encoding="utf-8", errors="replace")
        for path in sorted(base.rglob("*.py"))
        if not any(part.startswith(".") or part == "__pycache__" for part in path.parts)
    }


def find_project(
    contents: pd.DataFrame, asset_id: str, source_roots: dict[str, Path] | None = None
) -> Project | None:
    """The project around a Python source asset with a test file, or None (not executable).

    Text comes from the scanned assets; `source_roots` (source name -> local directory) fills
    in the project's other Python files, which the scan may have rejected but imports need.
    """
    rows = contents[contents["asset_id"] == asset_id]
    if rows.empty or rows.iloc[0]["language"] != "python" or rows.iloc[0]["kind"] != "source":
        return None
    source, path = rows.iloc[0]["source"], rows.iloc[0]["path"]
    same = contents[(contents["source"] == source) & (contents["language"] == "python")]
    package_dirs = {str(PurePosixPath(p).parent) for p in same["path"] if p.endswith("__init__.py")}
    root, parts = _module_parts(path, package_dirs)
    prefix = f"{root}/" if root else ""
    files = {
        p.removeprefix(prefix): text
        for p, text in zip(same["path"], same["text"], strict=True)
        if p.startswith(prefix)
    }
    files = _files_on_disk((source_roots or {}).get(source), root) | files
    stem = parts[-1]
    names = (f"test_{stem}.py", f"{stem}_test.py")
    tests = sorted(p for p in files if PurePosixPath(p).name in names)
    if not tests:
        return None
    return Project(root, path.removeprefix(prefix), tests[0], files)


def _qualified_class(summary: str) -> str | None:
    """The class a method belongs to, from the first line of the record's class summary."""
    head = summary.splitlines()[0].split("(", 1)[0] if summary.strip() else ""
    name = head.rsplit(".", 1)[-1]
    return name if name[:1].isupper() else None


def splice_method(module: str, class_name: str | None, method: str, code: str) -> str | None:
    """The module with `method` (of `class_name`, or top level) replaced by `code`."""
    tree = ast.parse(module)
    scope = tree.body
    if class_name:
        classes = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == class_name]
        if not classes:
            return None
        scope = classes[0].body
    target = next(
        (
            node
            for node in scope
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == method
        ),
        None,
    )
    if target is None:
        return None
    lines = module.splitlines(keepends=True)
    start = min([target.lineno, *(d.lineno for d in target.decorator_list)]) - 1
    indent = lines[target.lineno - 1][: target.col_offset]
    body = textwrap.indent(textwrap.dedent(code).strip("\n") + "\n", indent)
    return "".join(lines[:start]) + body + "".join(lines[target.end_lineno :])


def _test_header(test_module: str) -> str:
    """The imports and helpers of a test file: everything but its test functions and classes."""
    tree = ast.parse(test_module)
    kept = [
        node
        for node in tree.body
        if not (
            isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
            and node.name.lower().startswith("test")
        )
    ]
    return "\n\n".join(ast.get_source_segment(test_module, node) or "" for node in kept)


def prepare_files(project: Project, record: dict, output: str) -> tuple[dict[str, str], str]:
    """(files to write, test file to run) for one generated output; ValueError if impossible."""
    files = dict(project.files)
    if record["task"] == "implement_method":
        method = record.get("method") or _defined_function(output)
        if not method:
            raise ValueError("no method name on the record or in the output")
        spliced = splice_method(
            files[project.module_path], _qualified_class(record["input"]), method, output
        )
        if spliced is None:
            raise ValueError(f"method {method!r} not found in {project.module_path}")
        files[project.module_path] = spliced
        return files, project.test_path
    generated = "test_generated_by_model.py"
    header = _test_header(files[project.test_path])
    files[str(PurePosixPath(project.test_path).parent / generated)] = header + "\n\n\n" + output
    return files, str(PurePosixPath(project.test_path).parent / generated)


def _defined_function(code: str) -> str | None:
    try:
        tree = ast.parse(textwrap.dedent(code))
    except SyntaxError:
        return None
    names = [n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    return names[0] if names else None


def execute(project: Project, record: dict, output: str, limits: Limits) -> Outcome:
    """Write the project with the generated code into a temporary directory and run its test."""
    try:
        ast.parse(textwrap.dedent(output))
        files, test_file = prepare_files(project, record, output)
    except (SyntaxError, ValueError) as exc:
        return Outcome(False, f"not runnable: {exc}", "")
    with tempfile.TemporaryDirectory(prefix="llmops-sandbox-") as tmp:
        for relative, text in files.items():
            target = Path(tmp) / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        return run_pytest(Path(tmp), test_file, limits)
