"""Candidates from code: implement_method, write_test and PlantUML diagrams of packages."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

import pandas as pd

from tasks.build_dataset import class_groups
from tasks.build_dataset.candidates import Built, Candidate, Reject
from tasks.dsl import code_units
from tasks.dsl.code_model import UNKNOWN, Call, simple_type
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


def python_packages(contents: pd.DataFrame) -> frozenset[str]:
    """The folders (`source/path`) that hold an `__init__.py` among the assets."""
    return frozenset(
        str(PurePosixPath(f"{source}/{path}").parent)
        for source, path in zip(contents["source"], contents["path"], strict=True)
        if path.endswith("__init__.py")
    )


def parse_code(
    contents: pd.DataFrame, packages: frozenset[str] | None = None
) -> tuple[dict[str, list[ClassUnit]], list[Reject]]:
    """Classes of every Java/Python/TypeScript/JavaScript source and test asset, by asset id.

    Python module names come from `packages` (python_packages of all the assets; of `contents`
    when not given), so a part of the assets parses as it would among all of them.
    """
    if packages is None:
        packages = python_packages(contents)
    units, rejects = {}, []
    for row in contents.itertuples():
        if row.kind not in {"source", "test"} or row.language not in code_units.LANGUAGES:
            continue
        try:
            if row.language == "java":
                units[row.asset_id] = code_units.parse_java(row.text, row.path)
            elif row.language == "python":
                module = python_module(f"{row.source}/{row.path}", packages)
                units[row.asset_id] = code_units.parse_python(row.text, module, row.path)
            else:
                units[row.asset_id] = code_units.parse_script(row.text, row.path, row.language)
        except code_units.CodeParseError as exc:
            rejects.append(Reject(row.asset_id, "implement_method", f"unparseable code: {exc}"))
    return units, rejects


def _implement(asset_id: str, unit: ClassUnit, method: MethodUnit) -> Candidate:
    # An overloaded name alone is ambiguous: the instruction names the overload's signature.
    overloaded = sum(m.name == method.name for m in unit.methods if not m.is_test) > 1
    name = code_units.signature(method, unit.language) if overloaded else method.name
    return Candidate(
        task="implement_method",
        input=code_units.render_summary(unit),
        fields={"name": name},
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
    max_tokens: int | None = None,
) -> Built:
    """implement_method per non-trivial method; design_plantuml_datastructure per group of
    related classes of a package (class_groups: at most `classes_per_record` classes and, by
    estimate, `max_tokens` tokens a record)."""
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
        found = class_groups.package_diagrams(package, members, classes_per_record, max_tokens)
        built.extend(found)
    return built


def _squash(name: str) -> str:
    """Letters and digits only, lower case: `should_create_Article` -> `shouldcreatearticle`."""
    return re.sub(r"[^0-9a-z]", "", name.lower())


_Entry = tuple[str, ClassUnit, MethodUnit]  # (asset id, unit, method) of a method under test
_SCRIPT = "script"  # TypeScript and JavaScript tests may test either's sources
_SCRIPT_SUFFIX = re.compile(r"(\.[cm]?[jt]sx?)$")
_SCRIPT_TEST = re.compile(r"[._-](e2e[._-])?(spec|test)s?$")


def _family(language: str) -> str:
    return _SCRIPT if language in ("typescript", "javascript") else language


def _test_names(test: MethodUnit) -> list[str]:
    """What a test is named after: its own name, then the names around it, inside out
    (`@Nested` classes, `describe` titles), each without a `test` / `should` prefix."""
    names = []
    for name in [test.name, *reversed(test.context)]:
        squashed = _squash(name).removeprefix("test")
        names += [squashed, squashed.removeprefix("should")]
    return [name for name in dict.fromkeys(names) if name]


def _receives(call: Call, unit: ClassUnit) -> bool:
    receiver = call[0]
    if receiver == "":
        return unit.kind == "module"  # a plain call reaches a module's functions
    if receiver == UNKNOWN:
        return True
    return receiver in {simple_type(unit.name), *(simple_type(base) for base in unit.bases)}


def _fits(method: MethodUnit, arguments: int) -> bool:
    params = [kind for _, kind in method.params]
    if arguments < 0:
        return True  # a method reference: any arity
    if params and (params[-1].endswith("...") or method.params[-1][0].startswith(("*", "..."))):
        return arguments >= len(params) - 1
    return arguments == len(params)


def _called(test: MethodUnit, pool: list[_Entry], typed: bool) -> list[_Entry]:
    """Methods of the pool the test invokes, in call order (last call last); an overloaded
    name resolves to the overloads whose parameter count fits the call's arguments."""
    found: list[_Entry] = []
    for call in test.calls:
        if (call[0] != UNKNOWN) != typed:
            continue
        hits = [e for e in pool if e[2].name == call[1] and _receives(call, e[1])]
        fitting = [e for e in hits if _fits(e[2], call[2])]
        found += fitting or hits
    return found


def _method_under_test(test: MethodUnit, pool: list[_Entry]) -> _Entry | None:
    """The method a test exercises. By name first (`createRejectsNegative`,
    `should_create_article_given_valid_input` and `shouldParse` name `create` and `parse`;
    so do `@Nested class Create` and `describe('create')`), preferring a method the test
    calls; then by what it calls on the class under test: a called method its name mentions,
    else the last one it calls (typed receivers before receivers of unknown type)."""
    called = _called(test, pool, typed=True) + _called(test, pool, typed=False)
    names = _test_names(test)
    for name in names:
        named = [e for e in pool if (m := _squash(e[2].name)) and name.startswith(m)]
        if named:
            longest = max(len(_squash(e[2].name)) for e in named)
            named = [e for e in named if len(_squash(e[2].name)) == longest]
            calls = [e for e in called if any(e is n for n in named)]
            return calls[-1] if calls else named[0]
    mentioned = [e for e in called if any(_squash(e[2].name) in name for name in names)]
    if mentioned:
        return max(reversed(mentioned), key=lambda e: len(e[2].name))
    return called[-1] if called else None


def _indent(text: str, width: int) -> str:
    return "\n".join(" " * width + line if line.strip() else "" for line in text.split("\n"))


def _nest(blocks: list[str], context: tuple[str, ...], language: str) -> str:
    """Tests with set-up of their own, inside the `@Nested` class / `describe` block they
    come from, so that set-up runs before them only."""
    if language == "java":
        name = context[-1] if context else "Nested"
        body = "\n\n".join(_indent(block, 4) for block in blocks)
        return f"@Nested\nclass {name} {{\n{body}\n}}"
    title = (context[-1] if context else "nested").replace("\\", "\\\\").replace("'", "\\'")
    body = "\n\n".join(_indent(block, 2) for block in blocks)
    return f"describe('{title}', () => {{\n{body}\n}});"


def _answer(tests: list[MethodUnit], language: str) -> str:
    """The tests with the set-up they rely on, first. pytest fixtures run only where they
    are requested: their union comes first. A `@BeforeEach` method or `beforeEach` hook runs
    before every test of its class or block: tests whose set-up goes beyond what all share
    stay in a nested class / block of their own."""
    if language == "python":
        setup = dict.fromkeys(code for test in tests for code in test.setup)
        return "\n\n".join([*setup, *(test.source for test in tests)])
    groups: dict[tuple[str, ...], list[MethodUnit]] = {}
    for test in tests:
        groups.setdefault(tuple(test.setup), []).append(test)
    shared: list[str] = []
    for blocks in zip(*groups, strict=False):
        if len(set(blocks)) > 1:
            break
        shared.append(blocks[0])
    parts = list(shared)
    for setup, members in groups.items():
        blocks = [*setup[len(shared) :], *(test.source for test in members)]
        if setup[len(shared) :]:
            parts.append(_nest(blocks, members[0].context, language))
        else:
            parts += blocks
    return "\n\n".join(parts)


def _script_stem(path: str) -> str:
    return _SCRIPT_SUFFIX.sub("", PurePosixPath(path).name)


def _subject_name(unit: ClassUnit, path: str) -> str:
    """What a test file is named after: `StandingOrderServiceTest(.Nested)` -> the service,
    `tests/test_money.py` -> `money`, `article.service.spec.ts` -> `article.service`."""
    if unit.language == "java":
        return re.sub(r"(Tests?|IT)$", "", unit.name.split(".", 1)[0])
    if _family(unit.language) == _SCRIPT:
        return _SCRIPT_TEST.sub("", _script_stem(path))
    stem = PurePosixPath(path).stem
    return stem.removeprefix("test_").removesuffix("_test")


def _closest(test_path: str, entries: list[tuple[str, list[_Entry]]]) -> list[_Entry]:
    """The entries of the source file sharing the most leading folders with the test's
    (`__tests__/` and `test/` folders aside); all of them when that does not decide."""
    folders = [f for f in PurePosixPath(test_path).parent.parts if f not in ("__tests__",)]

    def shared(path: str) -> int:
        count = 0
        for a, b in zip(folders, PurePosixPath(path).parent.parts, strict=False):
            if a != b:
                break
            count += 1
        return count

    if not entries:
        return []
    best = max(shared(path) for path, _ in entries)
    return [e for path, found in entries if shared(path) == best for e in found]


def from_tests(
    units: dict[str, list[ClassUnit]], kinds: dict[str, str], paths: dict[str, str], max_tests: int
) -> Built:
    """write_test: a method under test -> up to `max_tests` of its tests, with their set-up.

    The class under test is the one the test file is named after (an `@Nested` class's is
    its outer class's); when no source class has that name, the classes whose methods the
    test calls. The answer starts with the set-up the tests rely on (`@BeforeEach` methods,
    requested pytest fixtures, `beforeEach` hooks and the variables they assign).
    """
    built = Built()
    by_subject: dict[tuple[str, str], list[tuple[str, list[_Entry]]]] = {}
    by_class: dict[tuple[str, str], list[_Entry]] = {}
    for asset_id, file_units in units.items():
        if kinds[asset_id] != "source":
            continue
        for unit in file_units:
            family = _family(unit.language)
            if unit.language == "java":
                key = unit.name
            elif family == _SCRIPT:
                key = _script_stem(paths[asset_id])
            else:
                key = unit.package.rsplit(".", 1)[-1]
            entries = [(asset_id, unit, method) for method in unit.methods if not method.is_setup]
            by_subject.setdefault((family, key), []).append((paths[asset_id], entries))
            if unit.kind != "module":
                by_class.setdefault((family, simple_type(unit.name)), []).extend(entries)
    tests_of: dict[tuple[str, str], list[tuple[str, MethodUnit, str]]] = {}
    for asset_id, file_units in units.items():
        if kinds[asset_id] != "test":
            continue
        for unit in file_units:
            family = _family(unit.language)
            subject = _subject_name(unit, paths[asset_id])
            found = by_subject.get((family, subject), [])
            if family == _SCRIPT:
                subject_pool = _closest(paths[asset_id], found)
            else:
                subject_pool = [entry for _, entries in found for entry in entries]
            for test in (m for m in unit.methods if m.is_test):
                pool = subject_pool or [
                    entry
                    for receiver in dict.fromkeys(call[0] for call in test.calls)
                    for entry in by_class.get((family, receiver), [])
                ]
                match = _method_under_test(test, pool)
                if match is None:
                    reason = f"unmatched_test: no method of '{subject}' matches test '{test.name}'"
                    built.rejects.append(Reject(asset_id, "write_test", reason))
                    continue
                code_asset, _, method = match
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
                output=_answer([test for _, test, _ in kept], kept[0][2]),
                language=kept[0][2],
                assets=tuple(sorted({code_asset, *(asset for asset, _, _ in kept)})),
            )
        )
    return built
