"""TypeScript and JavaScript units through tree-sitter: summaries, test cases, snippet checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from tasks.dsl import code_units
from tasks.dsl.code_units import ClassUnit, CodeParseError

ROOT = Path(__file__).parent / "fixtures" / "newsroom"


def _units(path: str) -> dict[str, ClassUnit]:
    text = (ROOT / path).read_text(encoding="utf-8")
    return {unit.name: unit for unit in code_units.parse_script(text, path)}


def test_given_an_angular_service_when_parsed_then_the_summary_matches_golden():
    units = _units("src/app/articles/article.service.ts")
    assert sorted(units) == ["ArticleQuery", "ArticleService", "ArticleState"]  # no functions
    service = units["ArticleService"]
    assert service.language == "typescript" and service.package == "app.articles"
    assert code_units.render_summary(service) == (
        "app.articles.ArticleService(ArticleStore, () => Date)\n"
        "- fields: published:number, store:ArticleStore, clock:() => Date\n"
        "- methods: publish(Article): Observable<Article>, findBySlug(string): "
        "Article | undefined, tagged(string, any): Article[], count(): number"
    )
    assert code_units.render_summary(units["ArticleState"]).splitlines()[1] == (
        "- fields: Draft:ArticleState, Published:ArticleState"
    )
    query = units["ArticleQuery"]
    assert (query.kind, query.fields) == ("interface", [("tag", "string"), ("limit", "number")])


def test_given_a_method_with_doc_and_overloads_when_parsed_then_only_the_body_is_kept():
    service = _units("src/app/articles/article.service.ts")["ArticleService"]
    publish = service.methods[0]
    assert publish.source.startswith("/** Publishes a draft under a slug made from its title. */")
    assert publish.source.endswith("return of(this.store.save(stamped));\n}")
    assert (publish.body_lines, publish.params) == (6, [("article", "Article")])
    [tagged] = [m for m in service.methods if m.name == "tagged"]  # signatures left out
    assert code_units.signature(tagged, "typescript") == "tagged(tag: string, limit: any)"
    assert tagged.source.startswith("tagged(tag: string, limit = Number.MAX_SAFE_INTEGER)")


def test_given_exported_functions_when_parsed_then_they_form_a_module_unit():
    module = _units("src/app/articles/slug.ts")["slug"]
    assert module.kind == "module"
    assert code_units.render_summary(module) == (
        "app.articles.slug()\n- fields:\n- methods: slugify(string, string): string, "
        "isSlug(string): boolean"
    )
    slugify, is_slug = module.methods
    assert slugify.source.startswith("/** A URL-safe slug") and "export function" in slugify.source
    assert is_slug.source.startswith("export const isSlug = (text: string): boolean => {")
    for method in module.methods:
        assert code_units.validate_method(method.source, "typescript", method.name) == []


def test_given_plain_javascript_when_parsed_then_parameters_are_named_not_typed():
    units = _units("lib/cart.js")
    cart = units["Cart"]
    assert cart.language == "javascript"
    assert code_units.render_summary(cart) == (
        "lib.Cart(prices, {...})\n- fields: prices:any, taxRate:any, lines:any\n"
        "- methods: add(sku, quantity): any"
    )
    assert code_units.signature(cart.methods[0], "javascript") == "add(sku, quantity)"
    assert [m.name for m in units["cart"].methods] == ["total"]


def test_given_a_jasmine_spec_when_parsed_then_cases_carry_set_up_calls_and_context():
    module = _units("src/app/articles/article.service.spec.ts")["article.service.spec"]
    tests = [m for m in module.methods if m.is_test]
    assert [t.name for t in tests] == [
        "should publish a draft under its slug",
        "gives nothing back for an unknown slug",
        "returns an empty list when nothing is tagged",
    ]
    assert all(m.is_setup and m.name == "beforeEach" for m in module.methods if not m.is_test)
    first, _, nested = tests
    assert first.setup[:2] == [
        "let service: ArticleService;",
        "let store: jasmine.SpyObj<ArticleStore>;",
    ]
    assert first.setup[2].startswith("beforeEach(() => {") and len(nested.setup) == 4
    assert nested.context == ("ArticleService", "tagged")
    # `service = TestBed.inject(ArticleService)` and `let service: ArticleService` type it.
    assert ("ArticleService", "publish", 1) in first.calls
    assert ("ArticleService", "tagged", 2) in nested.calls
    assert first.source.startswith("it('should publish a draft under its slug', () => {")
    assert code_units.validate_test("\n\n".join([*first.setup, first.source]), "typescript") == []


def test_given_a_jest_file_when_parsed_then_plain_calls_name_the_functions_under_test():
    module = _units("src/app/articles/__tests__/slug.test.ts")["slug.test"]
    first, each = module.methods
    assert first.is_test and each.name == "tells whether %s is a slug"  # it.each(...)(...)
    assert ("", "slugify", 1) in first.calls and ("", "isSlug", 1) in each.calls
    assert first.setup == []  # imports are not set-up


def test_given_broken_typescript_when_parsed_then_the_error_names_the_line():
    with pytest.raises(CodeParseError, match=r"a.ts: syntax error at line 3"):
        code_units.parse_script("export class A {\n  f() {\n    return 1 +* 2;\n  }\n}\n", "a.ts")


@pytest.mark.parametrize(
    ("code", "language", "name", "expected"),
    [
        ("find(slug: string): Article {\n  return this.all[slug];\n}", "typescript", "find", []),
        ("@HostListener('click')\nonClick(): void {\n  this.n++;\n}", "typescript", None, []),
        ("export const isSlug = (t: string) => t.length > 0;", "typescript", "isSlug", []),
        ("async function load(id) {\n  return await fetch(id);\n}", "javascript", "load", []),
        ("add(sku, quantity = 1) {\n  return this;\n}", "javascript", "add", []),
        (
            "find(slug: string): Article {\n  return this.all[slug;\n}",
            "typescript",
            "find",
            ["line 2: syntax error: missing ']'"],
        ),
        (
            "export function slugify(t: string) {\n  return t;\n}",
            "typescript",
            "isSlug",
            ["code: no function or method named 'isSlug' (found: slugify)"],
        ),
        (
            "const limit = 3;",
            "typescript",
            None,
            ["code: no function or method declaration found"],
        ),
        ("find(slug: string): Article {\n  return null;\n}", "javascript", None, ["line 1"]),
    ],
)
def test_given_script_methods_when_validated_then_syntax_and_names_are_checked(
    code, language, name, expected
):
    problems = code_units.validate_method(code, language, name)
    if expected == ["line 1"]:  # type annotations are no JavaScript
        assert problems and problems[0].where == "line 1"
    else:
        assert [str(p) for p in problems] == expected


@pytest.mark.parametrize(
    ("code", "language", "expected"),
    [
        ("it('adds', () => {\n  expect(add(1, 2)).toBe(3);\n});", "typescript", []),
        ("test('adds', () => {\n  assert.strictEqual(add(1, 2), 3);\n});", "javascript", []),
        ("it('adds', () => {\n  add(1, 2).should.equal(3);\n});", "javascript", []),
        (
            "it('renders', () => {\n  const v = <App />;\n  expect(v).toBeTruthy();\n});",
            "typescript",
            [],
        ),  # JSX in a .tsx spec: TypeScript falls back to TSX
        (
            "it('adds', () => {\n  add(1, 2);\n});",
            "typescript",
            ["code: no assertion (an expect(...), assert*(...) or should call)"],
        ),
        (
            "describe('add', () => {\n  expect(add(1, 2)).toBe(3);\n});",
            "javascript",
            ["code: no test case (an it(...) or test(...) call)"],
        ),
        (
            "it('adds', () => {\n  expect(add(1, 2).toBe(3);\n});",
            "typescript",
            ["line 2: syntax error near 'expect'"],
        ),
    ],
)
def test_given_script_tests_when_validated_then_structure_is_checked(code, language, expected):
    assert [str(p) for p in code_units.validate_test(code, language)] == expected


def test_given_every_fixture_method_when_validated_then_it_is_valid_and_parses():
    for path in sorted(ROOT.rglob("*.[jt]s")):
        relative = path.relative_to(ROOT).as_posix()
        for unit in code_units.parse_script(path.read_text(encoding="utf-8"), relative):
            for method in unit.methods:
                if method.is_test or method.is_setup or unit.kind == "interface":
                    continue
                problems = code_units.validate_method(method.source, unit.language, method.name)
                assert problems == [], (relative, method.name, problems)
                assert code_units.syntax_valid(method.source, unit.language)
