"""API tables: rendering from OpenAPI 3 / Swagger 2 / Postman, strict validation, parsing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tasks.dsl import api_postman, api_table
from tasks.dsl.api_table import HEADER, SEPARATOR, Operation, SpecError

FIXTURES = Path(__file__).parent / "fixtures"
SEED_ROW = (
    '| /standing-orders | GET | Get all standing orders |  | 200 {"id": String} '
    '| 400: {"error": String} |'
)

OPENAPI3_DOCUMENT = {
    "Standing Orders": "\n".join(
        [
            "## Standing Orders",
            "",
            HEADER,
            SEPARATOR,
            '| /standing-orders | GET | Get all standing orders | query {"status": String} | '
            '200 [{"amount": Number, "currency": String, "firstPayment": Date, "payee": '
            '{"name": String, "iban": String}, "id": String, "createdAt": DateTime, '
            '"paused": Boolean}] | 400: {"error": String} |',
            '| /standing-orders | POST | Creates a standing order | body {"amount": Number, '
            '"currency": String, "firstPayment": Date, "payee": {"name": String, "iban": String}} '
            "| "
            '201 {"amount": Number, "currency": String, "firstPayment": Date, "payee": '
            '{"name": String, "iban": String}, "id": String, "createdAt": DateTime, '
            '"paused": Boolean} | 500: {"error": String} |',
            '| /standing-orders/{orderId} | DELETE | Delete a standing order | path {"orderId": '
            'String}; header {"X-Request-Id": String} | 204 | 404 |',
        ]
    ),
    "Payees": "\n".join(
        [
            "## Payees",
            "",
            HEADER,
            SEPARATOR,
            '| /payees | GET | List payees |  | 200 [{"name": String, "iban": String}] |  |',
        ]
    ),
}

SWAGGER2_TABLE = "\n".join(
    [
        HEADER,
        SEPARATOR,
        '| /pets | POST | Add a new pet to the store | body {"id": Integer, "name": String, '
        '"category": {"id": Integer, "name": String}, "tags": [String], "born": Date} | '
        '200 {"id": Integer, "name": String, "category": {"id": Integer, "name": String}, '
        '"tags": [String], "born": Date} | 405 |',
        '| /pets/{petId} | GET | Find pet by ID | path {"petId": Integer}; query {"fields": '
        '[String]} | 200 {"id": Integer, "name": String, "category": {"id": Integer, "name": '
        'String}, "tags": [String], "born": Date} | 404: {"code": Integer, "message": String} |',
        '| /pets/{petId}/photos | POST | Upload a photo | path {"petId": Integer}; body '
        '{"caption": String, "file": Binary} | 201 |  |',
    ]
)

POSTMAN_DOCUMENT = {
    "Accounts": "\n".join(
        [
            "## Accounts",
            "",
            HEADER,
            SEPARATOR,
            '| /accounts/{accountId} | GET | Get account | path {"accountId": String}; query '
            '{"expand": String} | 200 {"id": String, "balance": Number, "owners": [{"name": '
            'String}], "active": Boolean} | 404: {"error": String} |',
            '| /accounts/{accountId}/transfers | POST | Create transfer | path {"accountId": '
            'String}; body {"amount": Any, "currency": String, "tags": [Any]} | 201 {"id": '
            "String} | 422 |",
        ]
    ),
    "Health": "\n".join(
        ["## Health", "", HEADER, SEPARATOR, "| /health | GET | Ping |  | unknown | unknown |"]
    ),
}


def _operations(name: str) -> list[Operation]:
    spec = api_table.load_spec((FIXTURES / name).read_text(encoding="utf-8"))
    if "postman" in name:
        return api_table.operations_from_postman(spec)
    return api_table.operations_from_openapi(spec)


def _table(*rows: str, header: str = HEADER, separator: str | None = SEPARATOR) -> str:
    return "\n".join(line for line in (header, separator, *rows) if line is not None)


def test_given_openapi3_with_refs_and_all_of_when_rendered_then_document_matches_golden():
    assert api_table.render_document(_operations("openapi3.yaml")) == OPENAPI3_DOCUMENT


def test_given_swagger2_with_body_and_form_data_when_rendered_then_table_matches_golden():
    operations = _operations("swagger2.json")
    assert {op.section for op in operations} == {"pet"}
    assert api_table.render_table(operations) == SWAGGER2_TABLE


def test_given_postman_collection_with_nested_folders_when_rendered_then_matches_golden():
    assert api_table.render_document(_operations("postman.json")) == POSTMAN_DOCUMENT


@pytest.mark.parametrize(
    "name",
    [
        "openapi3.yaml",
        "swagger2.json",
        "postman.json",
        "blog-openapi.yaml",
        "blog.postman_collection.json",
    ],
)
def test_given_any_source_when_rendered_then_tables_and_documents_validate(name):
    operations = _operations(name)
    assert api_table.validate(api_table.render_table(operations[:1])) == []
    document = "\n\n".join(api_table.render_document(operations).values())
    assert api_table.validate(document) == []


def test_given_the_seeds_example_row_when_validated_then_it_has_no_problems():
    assert api_table.validate(_table(SEED_ROW)) == []


def test_given_operation_text_with_pipes_and_newlines_when_rendered_then_cells_are_escaped():
    operation = Operation("S", "/a", "GET", "Either this | or\nthat", "", "200 String", "")
    table = api_table.render_table([operation])
    assert "Either this \\| or that" in table
    assert api_table.validate(table) == []
    assert api_table.parse_table(table)[0]["Description"] == "Either this | or that"


def test_given_document_with_sections_when_parsed_then_rows_carry_section_and_row_number():
    document = "\n\n".join(POSTMAN_DOCUMENT.values())
    rows = api_table.parse_table(document)
    assert [(r["section"], r["row"], r["Method"], r["API"]) for r in rows] == [
        ("Accounts", "1", "GET", "/accounts/{accountId}"),
        ("Accounts", "2", "POST", "/accounts/{accountId}/transfers"),
        ("Health", "1", "GET", "/health"),
    ]


def test_given_postman_request_without_examples_or_tests_when_read_then_responses_are_unknown():
    collection = {"info": {"name": "c"}, "item": [{"name": "Users", "request": "{{host}}/users"}]}
    [operation] = api_table.operations_from_postman(collection)
    assert (operation.section, operation.path, operation.method) == ("Users", "/users", "GET")
    # Nothing documents a status: no invented bare 200, and no "no errors" claim either.
    assert (operation.response, operation.errors) == ("unknown", "unknown")
    assert api_table.validate(api_table.render_table([operation])) == []


def test_given_recursive_schema_when_loaded_then_recursion_ends_in_object():
    spec = {
        "openapi": "3.0.3",
        "info": {"title": "Tree", "version": "1"},
        "paths": {
            "/nodes": {
                "get": {
                    "summary": "Nodes",
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Node"}
                                }
                            },
                        }
                    },
                }
            }
        },
        "components": {
            "schemas": {
                "Node": {
                    "type": "object",
                    "properties": {
                        "name": {"type": "string"},
                        "children": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/Node"},
                        },
                    },
                }
            }
        },
    }
    [operation] = api_table.operations_from_openapi(api_table.load_spec(json.dumps(spec)))
    assert operation.response == '200 {"name": String, "children": [Object]}'


def test_given_relative_file_ref_when_loaded_with_base_path_then_it_resolves(tmp_path):
    (tmp_path / "schemas.yaml").write_text(
        "Order:\n  type: object\n  properties:\n    id: {type: string}\n", encoding="utf-8"
    )
    spec = (
        "openapi: 3.0.3\ninfo: {title: T, version: '1'}\npaths:\n  /orders:\n    get:\n"
        "      summary: Orders\n      responses:\n        '200':\n          description: ok\n"
        "          content:\n            application/json:\n"
        "              schema: {$ref: 'schemas.yaml#/Order'}\n"
    )
    [operation] = api_table.operations_from_openapi(api_table.load_spec(spec, tmp_path))
    assert operation.response == '200 {"id": String}'


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("openapi: [unclosed", "not valid YAML or JSON"),
        ("- just\n- a list", "a spec must be a mapping, found list"),
        ("title: nothing", "not an OpenAPI/Swagger spec"),
        (
            '{"swagger": "2.0", "info": {"title": "t", "version": "1"}, "paths": {"/a": {"get": '
            '{"responses": {"200": {"description": "ok", "schema": '
            '{"$ref": "#/definitions/X"}}}}}}}',
            "cannot resolve $ref",
        ),
        (
            '{"openapi": "3.0.0", "info": {"title": "t"}, "paths": {}}',
            "invalid OpenAPI 3.0.0 spec at info: 'version' is a required property",
        ),
        ('{"openapi": "9.0.0", "info": {"title": "t", "version": "1"}, "paths": {}}', "9.0.0"),
    ],
)
def test_given_invalid_spec_when_loaded_then_spec_error_explains(text, message):
    with pytest.raises(SpecError, match=None) as caught:
        api_table.load_spec(text)
    assert message in str(caught.value)


ROW = (
    '| /orders/{orderId} | GET | Get an order | path {"orderId": String} | 200 {"id": String} |  |'
)


def _row(**cells: str) -> str:
    values = {
        "API": "/orders/{orderId}",
        "Method": "GET",
        "Description": "Get an order",
        "Request": 'path {"orderId": String}',
        "Response": '200 {"id": String}',
        "Error Response": '404: {"error": String}',
    }
    values.update({key.replace("_", " "): value for key, value in cells.items()})
    return "| " + " | ".join(values.values()) + " |"


BROKEN_TABLES = [
    (
        "header-renamed",
        _table(ROW, header=HEADER.replace("Description", "Desc")),
        "header",
        "column 3 is 'Desc', expected 'Description'",
    ),
    (
        "header-reordered",
        _table(ROW, header="| Method | API | Description | Request | Response | Error Response |"),
        "header",
        "column 1 is 'Method', expected 'API'",
    ),
    (
        "header-short",
        _table(ROW, header="| API | Method | Description | Request | Response |"),
        "header",
        "has 5 columns, expected 6",
    ),
    ("no-separator", _table(ROW, separator=None), "line 2", "missing separator row"),
    ("no-header", "\n".join([SEPARATOR, ROW]), "line 1", "missing header row"),
    ("no-rows", _table(), "table", "has no rows"),
    ("five-cells", _table("| /orders | GET | List | | 200 |"), "row 1", "has 5 cells, expected 6"),
    (
        "unframed-row",
        _table("| /orders | GET | List |  | 200 | 404:"),
        "row 1",
        "must start and end with '|'",
    ),
    ("api-no-slash", _table(_row(API="orders")), "row 1, column API", "must start with '/'"),
    ("api-space", _table(_row(API="/standing orders")), "row 1, column API", "contains whitespace"),
    ("api-brace", _table(_row(API="/orders/{orderId")), "row 1, column API", "unbalanced braces"),
    (
        "api-empty-param",
        _table(_row(API="/orders/{}")),
        "row 1, column API",
        "unnamed path parameter",
    ),
    (
        "method-lower",
        _table(_row(Method="get")),
        "row 1, column Method",
        "'get' is not one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS (methods are upper case)",
    ),
    (
        "method-unknown",
        _table(_row(Method="FETCH")),
        "row 1, column Method",
        "'FETCH' is not one of",
    ),
    ("description-empty", _table(_row(Description="")), "row 1, column Description", "is empty"),
    (
        "request-location",
        _table(_row(Request='cookie {"session": String}')),
        "row 1, column Request",
        "part 1: location 'cookie' must be one of path, query, header, body",
    ),
    (
        "request-no-location",
        _table(_row(Request='{"orderId": String}')),
        "row 1, column Request",
        "must be '<location> <object>'",
    ),
    (
        "request-unquoted-key",
        _table(_row(Request="path {orderId: String}")),
        "row 1, column Request",
        "part 1 (path): expected a double-quoted key, found 'orderId'",
    ),
    (
        "request-not-object",
        _table(_row(Request="query [String]")),
        "row 1, column Request",
        "part 1 (query): expected an object",
    ),
    (
        "request-unknown-type",
        _table(_row(Request='path {"orderId": Strin}')),
        "row 1, column Request",
        "unknown type name 'Strin'",
    ),
    (
        "request-twice",
        _table(_row(Request='path {"a": String}; path {"b": String}')),
        "row 1, column Request",
        "location 'path' appears more than once",
    ),
    (
        "request-stray-separator",
        _table(_row(Request='path {"orderId": String};')),
        "row 1, column Request",
        "part 2 '' must be '<location> <object>'",
    ),
    ("response-empty", _table(_row(Response="")), "row 1, column Response", "is empty"),
    (
        "response-bad-code",
        _table(_row(Response='20 {"id": String}')),
        "row 1, column Response",
        "status code 20 is not a valid HTTP status",
    ),
    (
        "response-error-code",
        _table(_row(Response='404 {"id": String}')),
        "row 1, column Response",
        "status code 404 is not a success (2xx/3xx)",
    ),
    (
        "response-bad-body",
        _table(_row(Response='200 {"id": String')),
        "row 1, column Response",
        "body of 200: expected ',' or '}' in object",
    ),
    (
        "response-no-code",
        _table(_row(Response='{"id": String}')),
        "row 1, column Response",
        "must be '<code>' or '<code> <body>'",
    ),
    (
        "response-two-types",
        _table(_row(Response="200 [String, Number]")),
        "row 1, column Response",
        "an array has exactly one element type",
    ),
    (
        "errors-no-colon",
        _table(_row(Error_Response='404 {"error": String}')),
        "row 1, column Error Response",
        "must be '<code>' or '<code>: <body>'",
    ),
    (
        "errors-success-code",
        _table(_row(Error_Response="200:")),
        "row 1, column Error Response",
        "status code 200 is not an error status (4xx/5xx)",
    ),
    (
        "errors-out-of-range",
        _table(_row(Error_Response="600:")),
        "row 1, column Error Response",
        "status code 600 is not a valid HTTP status",
    ),
    (
        "errors-bad-body",
        _table(_row(Error_Response="400: {error}")),
        "row 1, column Error Response",
        "body of 400: expected a double-quoted key",
    ),
    ("duplicate-row", _table(ROW, ROW), "row 2", "duplicate of row 1 (GET /orders/{orderId})"),
    ("text-outside", "Here is the table:\n" + _table(ROW), "line 1", "text outside a table"),
    ("no-table", "Sorry, I cannot help.", "line 1", "text outside a table"),
    (
        "section-without-table",
        "## Orders\n\n" + _table(ROW) + "\n\n## Payees\n",
        "line 7",
        "section 'Payees' has no table",
    ),
    (
        "section-row",
        "## Orders\n\n" + _table(_row(Method="get")),
        "section 'Orders', row 1, column Method",
        "is not one of",
    ),
]


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [case[1:] for case in BROKEN_TABLES],
    ids=[case[0] for case in BROKEN_TABLES],
)
def test_given_broken_table_when_validated_then_the_reason_is_reported(text, where, message):
    problems = api_table.validate(text)
    assert any(p.where == where and message in p.message for p in problems), problems


def test_given_empty_text_when_validated_then_no_table_is_reported():
    assert [str(p) for p in api_table.validate("")] == [
        f"document: no API table found; expected {HEADER!r}"
    ]


def test_given_row_with_several_mistakes_when_validated_then_every_problem_is_reported():
    row = "| orders | get |  | cookie {} | 20 | 200: |"
    columns = [p.where for p in api_table.validate(_table(row))]
    assert columns == [
        "row 1, column API",
        "row 1, column Method",
        "row 1, column Description",
        "row 1, column Request",
        "row 1, column Response",
        "row 1, column Error Response",
    ]


BLOG_POSTMAN = {
    "Members": [
        '| /members | POST | Sign up | body {"member": {"email": String, "handle": String, '
        '"secret": String}} | 201 |  |',
        '| /members/sign-in | POST | Sign in | body {"member": {"email": String, "secret": '
        'String}} | 200 {"member": {"email": String, "handle": String, "token": String}} | '
        '401; 422: {"errors": {"body": [String]}} |',
    ],
    "Member": [
        '| /member | GET | Current member | header {"Authorization": String} | 200 |  |',
    ],
    "Profiles": [
        '| /profiles/{handle} | GET | Profile of a celebrity | path {"handle": String}; header '
        '{"Authorization": String} | 200 |  |',
        '| /profiles/{handle}/follow | POST | Follow a celebrity | path {"handle": String}; '
        'header {"Authorization": String} | 200; 201 |  |',
    ],
    "Posts": [
        '| /posts | GET | All posts | query {"author": String, "limit": String, "offset": '
        "String} | 200 |  |",
    ],
    "Topics": ["| /topics | GET | Topics |  | unknown | unknown |"],
}


def test_given_a_realworld_style_postman_collection_when_read_then_operations_merge_requests():
    # `{{BLOG_URL}}` is the host; `celeb_{{HANDLE}}` is a test value of the route's parameter;
    # the sign-up inside "Profiles" is a setup call of /members; every request to an operation
    # adds its query parameters, examples and asserted statuses; nothing asserted -> unknown.
    document = api_table.render_document(_operations("blog.postman_collection.json"))
    assert {name: table.splitlines()[4:] for name, table in document.items()} == BLOG_POSTMAN
    assert api_table.validate("\n\n".join(document.values())) == []


def test_given_openapi_security_schemes_when_rendered_then_credentials_are_request_headers():
    rows = {
        (row["Method"], row["API"]): row
        for row in api_table.parse_table(api_table.render_table(_operations("blog-openapi.yaml")))
    }
    assert rows[("POST", "/members/sign-in")]["Request"].startswith("body ")  # security: []
    assert rows[("POST", "/members/sign-in")]["Error Response"] == (
        '401; 422: {"errors": {"body": [String]}}'
    )
    assert rows[("GET", "/member")]["Request"] == 'header {"Authorization": String}'
    # The first alternative that asks for something; `{}` alone would mean anonymous access.
    assert rows[("GET", "/profiles/{handle}")]["Request"] == (
        'path {"handle": String}; header {"Authorization": String}'
    )
    # Both schemes of one requirement; a declared parameter is not repeated in another case.
    assert rows[("GET", "/posts/feed")]["Request"] == (
        'query {"limit": Integer}; header {"authorization": String, "X-Api-Key": String}'
    )
    delete = rows[("DELETE", "/posts/{slug}")]
    assert delete["Request"] == 'path {"slug": String}; query {"api_key": String}'
    assert (delete["Response"], delete["Error Response"]) == ("unknown", "401; 403")


@pytest.mark.parametrize(
    ("script", "codes"),
    [
        (["pm.response.to.have.status(201);"], [201]),
        ("pm.expect(pm.response.code).to.equal(204);", [204]),
        (["pm.expect(pm.response.code).to.be.oneOf([200, 202]);"], [200, 202]),
        (["pm.response.to.be.ok;", "pm.response.to.be.notFound"], [200, 404]),
        (["pm.response.to.have.status('Created');"], [201]),
        (["tests['ok'] = responseCode.code === 200;"], [200]),
        (["pm.expect(pm.response.code).to.not.equal(500);", "pm.response.to.be.success;"], []),
    ],
)
def test_given_a_test_script_when_read_then_asserted_status_codes_are_found(script, codes):
    item = {"event": [{"listen": "test", "script": {"exec": script}}]}
    assert api_postman.asserted_codes(item) == codes


@pytest.mark.parametrize(
    ("variable", "name"),
    [("USERNAME", "username"), ("USER_ID", "userId"), ("notificationId", "notificationId"),
     ("order-id", "orderId")],
)  # fmt: skip
def test_given_a_collection_variable_when_named_then_it_is_lower_camel_case(variable, name):
    assert api_postman.parameter_name(variable) == name


@pytest.mark.parametrize(
    ("errors", "valid"),
    [("401; 404", True), ("401:; 404:", True), ("unknown", True), ("404; unknown", False)],
)
def test_given_error_cells_without_bodies_or_unknown_when_validated_then_forms_are_checked(
    errors, valid
):
    problems = api_table.validate(_table(_row(Error_Response=errors)))
    assert (problems == []) is valid, problems


def test_given_an_unknown_response_cell_when_validated_then_it_must_be_the_whole_cell():
    assert api_table.validate(_table(_row(Response="unknown", Error_Response="unknown"))) == []
    problems = api_table.validate(_table(_row(Response="200; unknown")))
    assert [p.message for p in problems] == ["item 2: 'unknown' must be the whole cell"]
