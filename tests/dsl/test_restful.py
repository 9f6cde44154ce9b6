"""RESTful lint over API table rows: one case per rule, and a clean table."""

from __future__ import annotations

import pytest

from tasks.dsl import api_table, restful

CLEAN_TABLE = "\n".join(
    [
        "## Standing Orders",
        "",
        api_table.HEADER,
        api_table.SEPARATOR,
        '| /standing-orders | GET | List standing orders | query {"status": String} | '
        '200 [{"id": String}] |  |',
        '| /standing-orders | POST | Create a standing order | body {"amount": Number} | '
        '201 {"id": String} | 400: {"error": String} |',
        "| /standing-orders/{orderId} | DELETE | Delete a standing order | "
        'path {"orderId": String} | 204 | 404: |',
        '| /accounts/{id}/standing-orders/{orderId}/pause | POST | Pause an order | path {"id": '
        'String, "orderId": String} | 204 |  |',
        "| /people/{personId} | GET | Get a person |  | 200 |  |",
        "| /me | GET | Current user |  | 200 |  |",
        "| /health | GET | Health check |  | 200 |  |",
        "| /v1/search | GET | Search |  | 200 |  |",
        "| /categories/{categoryId}/statistics | GET | Category statistics |  | 200 |  |",
    ]
)


def _row(api: str, method: str = "GET", request: str = "", response: str = "") -> dict[str, str]:
    return {"API": api, "Method": method, "Request": request, "Response": response}


def test_given_a_restful_table_when_linted_then_there_are_no_violations():
    assert api_table.validate(CLEAN_TABLE) == []
    assert restful.lint(api_table.parse_table(CLEAN_TABLE)) == []


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        (_row("/createPost", "POST"), "API", "verb-in-path: segment 'createPost'"),
        (_row("/getUsers"), "API", "verb-in-path: segment 'getUsers' names an action ('get')"),
        (_row("/standing-orders/delete", "POST"), "API", "verb-in-path: segment 'delete'"),
        (_row("/update-order", "PUT"), "API", "verb-in-path: segment 'update-order'"),
        (_row("/order/{orderId}"), "API", "plural-collection: segment 'order'"),
        (_row("/person/{id}"), "API", "e.g. 'people'"),
        (_row("/address/{id}"), "API", "e.g. 'addresses'"),
        (_row("/category/{id}"), "API", "e.g. 'categories'"),
        (_row("/standing-order/{id}"), "API", "e.g. 'standing-orders'"),
        (_row("/standingOrders"), "API", "case-style: segment 'standingOrders' is camelCase"),
        (_row("/standing_orders"), "API", "case-style: segment 'standing_orders' is snake_case"),
        (_row("/ORDERS"), "API", "case-style: segment 'ORDERS' is UPPER case"),
        (_row("/Orders"), "API", "case-style: segment 'Orders' is PascalCase"),
        (_row("/orders/"), "API", "trailing-slash: path '/orders/' ends with '/'"),
        (_row("/orders", "GET", 'body {"a": String}'), "Request", "body-on-get-or-delete: GET"),
        (
            _row("/orders/{id}", "DELETE", 'path {"id": String}; body {}'),
            "Request",
            "body-on-get-or-delete: DELETE",
        ),
        (
            _row("/orders/{ID}"),
            "API",
            "param-naming: path parameter '{ID}' should be lowerCamelCase",
        ),
        (_row("/orders/{order_id}"), "API", "e.g. '{orderId}'"),
        (_row("/orders/{Order-Id}"), "API", "param-naming: path parameter '{Order-Id}'"),
        (
            _row("/deletePost/{id}", "GET"),
            "Method",
            "method-contradicts-action: GET on 'deletePost' ('delete' is done with DELETE or POST)",
        ),
        (_row("/getOrders", "POST"), "Method", "method-contradicts-action: POST on 'getOrders'"),
        (
            _row("/orders", "GET", response="201 {}"),
            "Response",
            "success-code: 201 contradicts GET",
        ),
        (_row("/orders", "GET", response="200 {}; 204"), "Response", "a read returns a body"),
        (_row("/orders/{id}", "DELETE", response="201"), "Response", "201 contradicts DELETE"),
    ],
)
def test_given_a_rule_violation_when_linted_then_the_rule_is_named(row, column, message):
    problems = restful.lint([row])
    assert any(p.where == f"row 1, column {column}" and message in p.message for p in problems)


@pytest.mark.parametrize(
    "api",
    ["/me", "/status", "/health", "/search", "/users/{userId}", "/{tenant}/orders", "/"],
)
def test_given_an_acceptable_path_when_linted_then_nothing_is_flagged(api):
    assert restful.lint([_row(api)]) == []


def test_given_rows_from_a_document_when_linted_then_problems_name_section_and_row():
    document = "\n".join(
        [
            "## Orders",
            "",
            api_table.HEADER,
            api_table.SEPARATOR,
            "| /orders | GET | List |  | 200 |  |",
            "| /getOrders | GET | List again |  | 200 |  |",
        ]
    )
    problems = restful.lint(api_table.parse_table(document))
    assert [p.where for p in problems] == ["section 'Orders', row 2, column API"] * 2
