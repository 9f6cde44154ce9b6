import json
from typing import get_args

import pytest

from tasks.identify_assets.classify import (
    AssetKind,
    api_kind,
    code_start,
    header_comments,
    kind_of,
    language_of,
)
from tests.support import REPO

OPENAPI = "openapi: 3.0.3\ninfo: {title: T, version: '1'}\npaths: {}\n"
SWAGGER = '{"swagger": "2.0", "info": {"title": "T", "version": "1"}, "paths": {}}'
POSTMAN = (
    '{"info": {"name": "N", "schema": '
    '"https://schema.getpostman.com/json/collection/v2.1.0/collection.json"}, "item": []}'
)


@pytest.mark.parametrize(
    ("path", "head", "language"),
    [
        ("src/main/java/A.java", "", "java"),
        ("pkg/mod.py", "", "python"),
        ("bin/tool", "#!/usr/bin/env python3\nprint(1)", "python"),
        ("bin/run", "#!/bin/bash\necho", "shell"),
        ("bin/serve", "#!/usr/bin/env -S node --harmony\n", "javascript"),
        ("deploy/.env", "", "dotenv"),
        ("Dockerfile", "FROM python", "dockerfile"),
        ("conf/app.properties", "", "properties"),
        ("docs/x.puml", "", "plantuml"),
        ("LICENSE", "Apache", "unknown"),
    ],
)
def test_language_comes_from_extension_or_shebang(path, head, language):
    assert language_of(path, head) == language


@pytest.mark.parametrize(
    ("path", "language", "text", "kind"),
    [
        ("src/main/java/a/Svc.java", "java", "class Svc {}", "source"),
        ("src/test/java/a/SvcTest.java", "java", "class SvcTest {}", "test"),
        ("lib/SvcTests.java", "java", "class SvcTests {}", "test"),
        ("ledger/fees.py", "python", "def f(): pass", "source"),
        ("tests/test_fees.py", "python", "def test_f(): pass", "test"),
        ("ledger/fees_test.py", "python", "def test_f(): pass", "test"),
        ("tests/conftest.py", "python", "import pytest", "test"),
        ("web/src/app.spec.ts", "typescript", "it('x', () => {})", "test"),
        ("svc/handler_test.go", "go", "package svc", "test"),
        ("src/testing/Helper.java", "java", "class Helper {}", "source"),
        ("api/payments.yaml", "yaml", OPENAPI, "openapi"),
        ("api/customers.json", "json", SWAGGER, "openapi"),
        ("api/n.postman_collection.json", "json", POSTMAN, "postman"),
        ("config/app.yaml", "yaml", "server:\n  port: 8080\n", "other"),
        ("stories/a.feature", "gherkin", "Feature: x", "user_story"),
        (
            "stories/a.md",
            "markdown",
            "# S\n\nAs a clerk\nI want a report\nSo that I know\n",
            "user_story",
        ),
        (
            "stories/b.md",
            "markdown",
            "# 故事\n\n作为 柜员\n我想 一份报表\n以便于 了解情况\n",
            "user_story",
        ),
        ("docs/guide.md", "markdown", "# Guide\n\nInstall it.\n", "doc"),
        ("docs/persona.md", "markdown", "As a clerk\nI want coffee\n", "doc"),  # no "So that"
        ("model/domain.puml", "plantuml", "@startuml\nclass A\n@enduml", "plantuml"),
        ("pom.xml", "xml", "<project/>", "other"),
    ],
)
def test_kind_follows_per_language_conventions_and_content(path, language, text, kind):
    assert kind_of(path, language, text) == kind


def test_api_specs_are_recognised_by_content_not_by_name():
    assert api_kind("openapi: 3.1.0\ninfo: {title: T, version: '1'}\n", "yaml") == "openapi"
    assert api_kind('{"swagger": "2.0", "info": {}}', "json") == "openapi"
    assert api_kind("openapi: 2.0\ninfo: {}\n", "yaml") is None  # OpenAPI 2 does not exist
    assert api_kind("title: not an api\n", "yaml") is None
    assert api_kind("openapi: [unclosed\n", "yaml") is None  # broken YAML is just not a spec
    assert api_kind(POSTMAN.replace("v2.1.0", "v1.0.0"), "json") is None


def test_graphql_schemas_have_a_language_of_their_own():
    assert language_of("api/schema.graphql", "") == language_of("q/user.gql", "") == "graphql"


@pytest.mark.parametrize(
    ("text", "language", "code"),
    [
        ("#!/usr/bin/env python3\n# Copyright Acme\n\n# Licensed MIT\nimport os\n", "python",
         "import os\n"),
        ('# Copyright\n"""Docstring stays."""\n', "python", '"""Docstring stays."""\n'),
        ("/*\n * Licensed under the Apache License\n */\n// more\npackage a;\n", "java",
         "package a;\n"),
        ("// only a comment\n", "go", ""),
        ("#include <stdio.h>\nint main() {}\n", "c", "#include <stdio.h>\nint main() {}\n"),
        ("<!-- licence -->\n<project/>\n", "xml", "<project/>\n"),
        ("# not known\nbody\n", "unknown", "# not known\nbody\n"),
    ],
)  # fmt: skip
def test_code_starts_after_the_leading_comment_block(text, language, code):
    assert text[code_start(text, language) :] == code


def test_header_comments_leave_strings_and_code_out():
    java = 'String u = "http://x/* not */"; // a comment\n/* block */ int y; // late\n'
    assert header_comments(java, "java", 1) == " a comment"
    assert header_comments(java, "java", 5).split("\n") == [" a comment", " block ", " late"]
    assert header_comments("s = '# no'  # yes\n", "python", 5) == " yes"


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("src/app/articles/article.service.ts", "source"),
        ("src/app/articles/article.service.spec.ts", "test"),
        ("src/components/Button.tsx", "source"),
        ("src/components/Button.test.tsx", "test"),
        ("src/lib/__tests__/slug.ts", "test"),
        ("e2e/src/app.e2e-spec.ts", "test"),
        ("cypress/e2e/login.cy.ts", "test"),
        ("lib/cart.js", "source"),
        ("lib/cart.test.js", "test"),
        ("test/cart.js", "test"),  # Mocha's default folder
        ("src/contest.service.ts", "source"),  # "test" inside a word is no test
        ("src/latest.mjs", "source"),
    ],
)
def test_typescript_and_javascript_tests_follow_jest_angular_mocha_and_cypress_names(path, kind):
    language = language_of(path, "")
    assert language in {"typescript", "javascript"}
    assert kind_of(path, language, "export const a = 1;\n") == kind


def test_the_asset_gate_expects_exactly_the_kinds_step_one_gives():
    suite = json.loads((REPO / "expectations" / "assets.json").read_text())["expectations"]
    (kinds,) = [
        e["kwargs"]["value_set"]
        for e in suite
        if e["type"] == "expect_column_values_to_be_in_set" and e["kwargs"]["column"] == "kind"
    ]
    assert sorted(kinds) == sorted(get_args(AssetKind))
