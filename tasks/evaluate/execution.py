"""Execution-based correctness: run generated Python code against the project's own tests.

implement_method: the generated function replaces the original method in its module (same
class, same indentation) and the module's test file runs. write_test: the generated tests
run against the real module, under the imports of the reference test file. Both run in the
sandbox (tasks.evaluate.sandbox); Java is scored by syntax only (no JVM in the sandbox).

The project copy holds only what step 1's inventory vouches for: the kept files' scanned text,
plus the files it kept out of training only as generated code (imports need them), read from
the source without following any symlink and only while their bytes still match the
inventory's sha256. Every path is joined with `tasks.io.safe_join`, so none can escape.
"""

from __future__ import annotations

import ast
import os
import stat
import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd

from tasks.evaluate.sandbox import Limits, Outcome, run_pytest
from tasks.io import safe_join, sha256_bytes
from tasks.task_specs import specs

EXECUTABLE_TASKS = tuple(name for name, task in specs().items() if task.executable)
# Rejected by step 1 for training only, not for safety: still part of the project under test.
PROJECT_ONLY_REASONS = ("generated",)


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


def _read_regular(root: Path, relative: str) -> bytes | None:
    """A regular file's bytes, with no symlink followed anywhere below `root`; else None."""
    parts = safe_join(".", relative).parts
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for part in parts[:-1]:
            inner = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
            os.close(fd)
            fd = inner
        flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK  # a FIFO must not block us
        with os.fdopen(os.open(parts[-1], flags, dir_fd=fd), "rb") as fh:
            return fh.read() if stat.S_ISREG(os.fstat(fh.fileno()).st_mode) else None
    except OSError:
        return None
    finally:
        os.close(fd)


def _project_only_files(
    inventory: pd.DataFrame | None, source: str, source_root: Path | None, prefix: str
) -> dict[str, str]:
    """The project's generated Python files (path relative to the import root -> text)."""
    if inventory is None or source_root is None:
        return {}
    rows = inventory[
        (inventory["source"] == source)
        & (inventory["status"] == "rejected")
        & inventory["path"].str.endswith(".py")
        & inventory["path"].str.startswith(prefix)
        & inventory["reason"].fillna("").str.startswith(PROJECT_ONLY_REASONS)
    ]
    files = {}
    for path, digest in zip(rows["path"], rows["sha256"], strict=True):
        data = _read_regular(source_root, path)
        if data is not None and sha256_bytes(data) == digest:
            files[path.removeprefix(prefix)] = data.decode("utf-8", errors="replace")
    return files


def find_project(
    contents: pd.DataFrame,
    asset_id: str,
    source_roots: dict[str, Path] | None = None,
    inventory: pd.DataFrame | None = None,
) -> Project | None:
    """The project around a Python source asset with a test file, or None (not executable).

    Text comes from the kept assets (`contents`); with step 1's `inventory` and `source_roots`
    (source name -> local directory), the generated files it kept out of training join them.
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
    source_root = (source_roots or {}).get(source)
    files = _project_only_files(inventory, source, source_root, prefix) | files
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
        safe_join(".", test_file)
    except (SyntaxError, ValueError) as exc:
        return Outcome(False, f"not runnable: {exc}", "")
    with tempfile.TemporaryDirectory(prefix="llmops-sandbox-") as tmp:
        for relative, text in files.items():
            try:
                target = safe_join(tmp, relative)
            except ValueError as exc:
                return Outcome(False, f"not runnable: {exc}", "")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        return run_pytest(Path(tmp), test_file, limits)
