"""Teacher distillation: fill in what the assets lack, then validate it like everything else.

Two cases, each optional (`build_dataset.teacher.generate`):
- `missing_tests`: a non-trivial public method no test matches gets tests written by the
  teacher (a write_test record whose answer is the teacher's; such records only ever train);
- `method_descriptions`: an implement_method record whose method has no doc comment or
  docstring gets a one-sentence description of the method added to its input.
A teacher answer that fails its check becomes a reject, never a record.
"""

from __future__ import annotations

import ast
import re
import textwrap
from collections.abc import Iterable

from tasks.build_dataset.candidates import Built, Candidate, Reject
from tasks.build_dataset.teacher import BudgetSpent, Teacher, TeacherError
from tasks.dsl.code_units import ClassUnit

_SYSTEM = "You are a senior software engineer. Answer with exactly what is asked, nothing else."
_TEST_STYLE = {
    "java": "JUnit 5 test methods with AssertJ assertions",
    "python": "pytest functions",
    "typescript": "Jest it(...) cases with expect assertions",
    "javascript": "Jest it(...) cases with expect assertions",
}
_FENCE = re.compile(r"^```[\w+-]*\n(.*?)\n?```$", re.DOTALL)
MAX_DESCRIPTION_CHARS = 200


def strip_fence(answer: str) -> str:
    """The answer without one surrounding markdown code fence, which chat models like to add."""
    text = answer.strip()
    match = _FENCE.fullmatch(text)
    return match.group(1).strip() if match else text


def _has_doc(source: str, language: str) -> bool:
    if language != "python":  # Java, TypeScript and JavaScript: a /** doc comment */
        return source.lstrip().startswith("/**")
    try:
        tree = ast.parse(textwrap.dedent(source))
    except SyntaxError:
        return False
    functions = [n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    return bool(functions) and ast.get_docstring(functions[0]) is not None


def test_messages(method_source: str, language: str) -> list[dict[str, str]]:
    """The chat asking for tests of one method."""
    prompt = (
        f"Write {_TEST_STYLE[language]} for the following {language} method. Answer with the "
        f"test code only.\n\n{method_source}"
    )
    return [{"role": "system", "content": _SYSTEM}, {"role": "user", "content": prompt}]


def description_messages(method_source: str, language: str) -> list[dict[str, str]]:
    """The chat asking for a one-sentence description of one method."""
    prompt = (
        f"In one sentence, say what this {language} method does, for a developer who will "
        f"implement it. Answer with the sentence only.\n\n{method_source}"
    )
    return [{"role": "system", "content": _SYSTEM}, {"role": "user", "content": prompt}]


def description_problem(text: str) -> str | None:
    """Why a teacher's description is not one plain sentence (None when it is)."""
    if not text:
        return "empty"
    if "\n" in text or "```" in text:
        return "not a single line of prose"
    if len(text) > MAX_DESCRIPTION_CHARS:
        return f"{len(text)} characters > {MAX_DESCRIPTION_CHARS}"
    return None


def untested_methods(
    units: dict[str, list[ClassUnit]], kinds: dict[str, str], tested: set[str], min_body_lines: int
) -> Iterable[tuple[str, ClassUnit, str, str]]:
    """(asset, unit, method name, source) of public non-trivial methods with no matched test."""
    for asset_id, file_units in sorted(units.items()):
        if kinds[asset_id] != "source":
            continue
        for unit in file_units:
            for method in unit.methods:
                public = method.visibility == "public" and not method.name.startswith("_")
                trivial = method.is_test or method.body_lines < min_body_lines
                if public and not trivial and method.source not in tested:
                    yield asset_id, unit, method.name, method.source


def _ask(teacher: Teacher, messages, asset_id: str, task: str) -> tuple[str | None, Reject | None]:
    try:
        return strip_fence(teacher.complete(messages)), None
    except BudgetSpent as exc:
        return None, Reject(asset_id, task, f"teacher_skipped: {exc}")
    except TeacherError as exc:
        return None, Reject(asset_id, task, f"teacher_failed: {exc}")


def missing_tests(teacher: Teacher, methods: Iterable[tuple[str, ClassUnit, str, str]]) -> Built:
    """write_test candidates answered by the teacher (validated later by the filter)."""
    built = Built()
    for asset_id, unit, _, source in methods:
        answer, reject = _ask(teacher, test_messages(source, unit.language), asset_id, "write_test")
        if reject is not None:
            built.rejects.append(reject)
            continue
        built.candidates.append(
            Candidate("write_test", source, answer or "", unit.language, (asset_id,),
                      origin="teacher_output")
        )  # fmt: skip
    return built


def describe_methods(teacher: Teacher, candidates: list[Candidate]) -> list[Reject]:
    """Add a teacher's description to undocumented implement_method inputs, in place."""
    rejects = []
    for candidate in candidates:
        if candidate.task != "implement_method" or candidate.origin != "asset":
            continue
        if _has_doc(candidate.output, candidate.language):
            continue
        messages = description_messages(candidate.output, candidate.language)
        answer, reject = _ask(teacher, messages, candidate.assets[0], candidate.task)
        if reject is None and (problem := description_problem(answer or "")):
            reject = Reject(candidate.assets[0], candidate.task, f"teacher_invalid: {problem}")
        if reject is not None:
            rejects.append(reject)
            continue
        candidate.input += f"\n\nDescription: {answer}"
        candidate.origin = "teacher_input"
    return rejects
