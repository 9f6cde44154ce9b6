"""Candidates from code: implement_method, write_test and PlantUML diagrams of packages."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

import pandas as pd

from tasks.build_dataset.candidates import Built, Candidate, Reject, chunks
from tasks.dsl import code_units, plantuml
from tasks.dsl.code_units import ClassUnit, MethodUnit


def from_plantuml(asset_id: str, text: str) -> Built:
    """design_plantuml_datastructure from a hand-written diagram: its class list -> the diagram."""
    names = re.findall(r"^\s*(?:abstract\s+)?(?:class|interface|enum)\s+(\w+)", text, re.M)
    built = Built()
    if not names:
        built.rejects.append(
            Reject(asset_id, "design_plantuml_datastructure", "no class declared in the diagram")
        )
        return built
    built.candidates.append(
        Candidate(
            task="design_plantuml_datastructure",
            input="Classes: " + ", ".join(names),
            output=text.strip(),
            language="plantuml",
            assets=(asset_id,),
        )
    )
    return built


def python_module(path: str, packages: set[str]) -> str:
    """Dotted module name of a Python file, using the `__init__.py` files among the assets."""
    parts = PurePosixPath(path).with_suffix("").parts
    start = len(parts) - 1
    while start > 0 and "/".join(parts[:start]) in packages:
        start -= 1
    return ".".join(parts[start:])


def parse_code(contents: pd.DataFrame) -> tuple[dict[str, list[ClassUnit]], list[Reject]]:
    """Classes of every Java/Python source and test asset, keyed by asset id."""
    packages = {
        str(PurePosixPath(f"{row.source}/{row.path}").parent)
        for row in contents.itertuples()
        if row.path.endswith("__init__.py")
    }
    units, rejects = {}, []
    for row in contents.itertuples():
        if row.kind not in {"source", "test"} or row.language not in {"java", "python"}:
            continue
        try:
            if row.language == "java":
                units[row.asset_id] = code_units.parse_java(row.text, row.path)
            else:
                module = python_module(f"{row.source}/{row.path}", packages)
                units[row.asset_id] = code_units.parse_python(row.text, module, row.path)
        except code_units.CodeParseError as exc:
            rejects.append(Reject(row.asset_id, "implement_method", f"unparseable code: {exc}"))
    return units, rejects


def _implement(asset_id: str, unit: ClassUnit, method: MethodUnit) -> Candidate:
    return Candidate(
        task="implement_method",
        input=code_units.render_summary(unit),
        fields={"name": method.name},
        output=method.source,
        language=unit.language,
        assets=(asset_id,),
        method=method.name,
    )


def from_sources(
    units: dict[str, list[ClassUnit]],
    kinds: dict[str, str],
    min_body_lines: int,
    classes_per_record: int,
) -> Built:
    """implement_method per non-trivial method; design_plantuml_datastructure per package chunk."""
    built = Built()
    packages: dict[tuple[str, str], list[tuple[str, ClassUnit]]] = {}
    for asset_id, file_units in units.items():
        if kinds[asset_id] != "source":
            continue
        for unit in file_units:
            for method in unit.methods:
                if not method.is_test and method.body_lines >= min_body_lines:
                    built.candidates.append(_implement(asset_id, unit, method))
            if unit.kind != "module":
                packages.setdefault((unit.language, unit.package), []).append((asset_id, unit))
    for (_, package), members in sorted(packages.items()):
        for chunk in chunks(sorted(members, key=lambda m: m[1].name), classes_per_record):
            if len(chunk) < 2:  # a single class is no data structure worth a diagram
                continue
            classes = [unit for _, unit in chunk]
            built.candidates.append(
                Candidate(
                    task="design_plantuml_datastructure",
                    input="\n\n".join(code_units.render_summary(u) for u in classes),
                    output=plantuml.render_class_diagram(classes, title=package or None),
                    language="plantuml",
                    assets=tuple(sorted({asset for asset, _ in chunk})),
                )
            )
    return built


def _squash(name: str) -> str:
    return name.replace("_", "").lower()


def _method_under_test(test: MethodUnit, candidates: list[tuple[str, MethodUnit]]):
    name = _squash(test.name.removeprefix("test"))
    matches = [(a, m) for a, m in candidates if name.startswith(_squash(m.name))]
    return max(matches, key=lambda am: len(am[1].name), default=None)


def _subject_name(unit: ClassUnit, path: str) -> str:
    if unit.language == "java":
        return re.sub(r"(Tests?|IT)$", "", unit.name)
    stem = PurePosixPath(path).stem
    return stem.removeprefix("test_").removesuffix("_test")


def from_tests(
    units: dict[str, list[ClassUnit]], kinds: dict[str, str], paths: dict[str, str], max_tests: int
) -> Built:
    """write_test: a method under test (matched by naming) -> up to `max_tests` of its tests."""
    built = Built()
    by_subject: dict[tuple[str, str], list[tuple[str, MethodUnit]]] = {}
    for asset_id, file_units in units.items():
        if kinds[asset_id] != "source":
            continue
        for unit in file_units:
            key = unit.name if unit.language == "java" else unit.package.rsplit(".", 1)[-1]
            for method in unit.methods:
                by_subject.setdefault((unit.language, key), []).append((asset_id, method))
    tests_of: dict[tuple[str, str], list[tuple[str, MethodUnit, str]]] = {}
    for asset_id, file_units in units.items():
        if kinds[asset_id] != "test":
            continue
        for unit in file_units:
            subject = _subject_name(unit, paths[asset_id])
            methods = by_subject.get((unit.language, subject), [])
            for test in (m for m in unit.methods if m.is_test):
                match = _method_under_test(test, methods)
                if match is None:
                    reason = f"unmatched_test: no method of '{subject}' matches test '{test.name}'"
                    built.rejects.append(Reject(asset_id, "write_test", reason))
                    continue
                code_asset, method = match
                key = (code_asset, method.source)
                tests_of.setdefault(key, []).append((asset_id, test, unit.language))
    for (code_asset, method_source), tests in tests_of.items():
        for asset_id, test, _ in tests[max_tests:]:
            reason = (
                f"surplus: '{test.name}' beyond max_tests_per_record {max_tests} for its method"
            )
            built.rejects.append(Reject(asset_id, "write_test", reason))
        kept = tests[:max_tests]
        built.candidates.append(
            Candidate(
                task="write_test",
                input=method_source,
                output="\n\n".join(test.source for _, test, _ in kept),
                language=kept[0][2],
                assets=tuple(sorted({code_asset, *(asset for asset, _, _ in kept)})),
            )
        )
    return built
