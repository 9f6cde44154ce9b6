"""The API table format: render operations as markdown tables and validate tables strictly.

A document is one table, or `## <Resource>` sections each holding a table with the header
`| API | Method | Description | Request | Response | Error Response |`.

Request: `path {...}; query {...}; header {...}; body <value>`, each location at most once; an
operation's security (an `Authorization` header, an API key) is a `header` (or `query`)
parameter like any other. Response: `<code>` or `<code> <body>` items (`200 {"id": String}`,
`204`); Error Response: `<code>` or `<code>: <body>` items (`401; 404: {"error": String}`),
`<code>:` being accepted as the older spelling of a bare code. Either cell may be exactly
`unknown` when the source documents nothing about those responses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tasks.dsl import jsonlike
from tasks.dsl.api_cells import (
    COLUMNS,
    HEADER,
    HTTP_METHODS,
    REQUEST_LOCATIONS,
    UNKNOWN,
    Operation,
    escape_cell,
    split_items,
    split_row,
)
from tasks.dsl.api_openapi import SpecError, load_spec, operations_from_openapi
from tasks.dsl.api_postman import operations_from_postman
from tasks.dsl.problems import Problem

__all__ = [
    "HEADER",
    "SEPARATOR",
    "Operation",
    "SpecError",
    "load_spec",
    "operations_from_openapi",
    "operations_from_postman",
    "parse_table",
    "render_document",
    "render_table",
    "validate",
]

SEPARATOR = "| " + " | ".join("---" for _ in COLUMNS) + " |"
_SEPARATOR_CELL = re.compile(r":?-+:?")


@dataclass
class _Table:
    section: str
    lines: list[tuple[int, str]] = field(default_factory=list)


def _cells(operation: Operation) -> list[str]:
    return [
        operation.path,
        operation.method,
        operation.description,
        operation.request,
        operation.response,
        operation.errors,
    ]


def render_table(operations: list[Operation]) -> str:
    """The header, the separator and one row per operation (no section heading)."""
    rows = ["| " + " | ".join(escape_cell(c) for c in _cells(op)) + " |" for op in operations]
    return "\n".join([HEADER, SEPARATOR, *rows])


def render_document(operations: list[Operation]) -> dict[str, str]:
    """Section name -> `## <section>` and its table, sections in order of first appearance."""
    sections: dict[str, list[Operation]] = {}
    for operation in operations:
        sections.setdefault(operation.section, []).append(operation)
    return {
        name: f"## {escape_cell(name)}\n\n{render_table(ops)}" for name, ops in sections.items()
    }


def _shown(text: str, limit: int = 60) -> str:
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")


def _split_document(text: str) -> tuple[list[_Table], list[Problem]]:
    tables: list[_Table] = []
    problems: list[Problem] = []
    headings: list[tuple[int, str, int]] = []  # line, name, index of its first table
    current: _Table | None = None
    section = ""
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("|"):
            if current is None:
                current = _Table(section)
                tables.append(current)
            current.lines.append((number, stripped))
            continue
        current = None
        if not stripped:
            continue
        if re.fullmatch(r"##(\s.*)?", stripped):
            section = stripped[2:].strip()
            headings.append((number, section, len(tables)))
            if not section:
                problems.append(Problem(f"line {number}", "section heading '##' has no name"))
            continue
        problems.append(Problem(f"line {number}", f"text outside a table: {_shown(stripped)}"))
    for index, (number, name, first_table) in enumerate(headings):
        next_table = headings[index + 1][2] if index + 1 < len(headings) else len(tables)
        if first_table == next_table:
            problems.append(Problem(f"line {number}", f"section '{name}' has no table"))
    return tables, problems


def _is_separator(cells: list[str] | None) -> bool:
    return bool(cells) and all(_SEPARATOR_CELL.fullmatch(cell) for cell in cells or [])


def _body_row_start(table: _Table, where: str) -> tuple[int, list[Problem]]:
    number, first = table.lines[0]
    cells = split_row(first)
    if _is_separator(cells):
        return 1, [Problem(f"{where}line {number}", f"missing header row {HEADER!r}")]
    if cells and cells[0].startswith("/"):
        message = f"missing header and separator rows before the first row; expected {HEADER!r}"
        return 0, [Problem(f"{where}line {number}", message)]
    problems = []
    if cells != list(COLUMNS):
        problems.append(Problem(f"{where}header", _header_problem(cells)))
    if len(table.lines) < 2 or not _is_separator(split_row(table.lines[1][1])):
        message = f"missing separator row {SEPARATOR!r} after the header"
        problems.append(Problem(f"{where}line {number + 1}", message))
        return 1, problems
    separator = split_row(table.lines[1][1]) or []
    if len(separator) != len(COLUMNS):
        message = f"separator has {len(separator)} columns, expected {len(COLUMNS)}"
        problems.append(Problem(f"{where}line {number + 1}", message))
    return 2, problems


def _header_problem(cells: list[str] | None) -> str:
    if cells is None:
        return f"must be framed by '|': {HEADER!r}"
    if len(cells) != len(COLUMNS):
        return f"has {len(cells)} columns, expected {len(COLUMNS)}: {HEADER!r}"
    wrong = [
        f"column {index} is {found!r}, expected {expected!r}"
        for index, (found, expected) in enumerate(zip(cells, COLUMNS, strict=True), 1)
        if found != expected
    ]
    return "; ".join(wrong) + f" (header must be exactly {HEADER!r})"


def _api_problems(api: str) -> list[str]:
    if not api:
        return ["is empty; expected a path such as '/orders/{orderId}'"]
    problems = []
    if not api.startswith("/"):
        problems.append(f"{_shown(api)} must start with '/'")
    if re.search(r"\s", api):
        problems.append(f"{_shown(api)} contains whitespace")
    depth = 0
    for char in api:
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth not in (0, 1):
            break
    if depth != 0:
        problems.append(f"{_shown(api)} has unbalanced braces")
    elif "{}" in api:
        problems.append(f"{_shown(api)} has an unnamed path parameter '{{}}'")
    return problems


def _request_problems(cell: str) -> list[str]:
    problems, locations = [], set()
    for index, part in enumerate(split_items(cell), 1):
        match = re.fullmatch(r"(\w+)\s+(.+)", part, re.DOTALL)
        if not match:
            problems.append(f"part {index} {_shown(part)} must be '<location> <object>'")
            continue
        location, notation = match.groups()
        if location not in REQUEST_LOCATIONS:
            expected = ", ".join(REQUEST_LOCATIONS)
            problems.append(f"part {index}: location '{location}' must be one of {expected}")
            continue
        if location in locations:
            problems.append(f"part {index}: location '{location}' appears more than once")
        locations.add(location)
        try:
            value = jsonlike.parse(notation)
        except jsonlike.JsonLikeError as exc:
            problems.append(f"part {index} ({location}): {exc}")
            continue
        # A body may be an array or a bare type (bulk inserts, uploads); parameters are named.
        if location != "body" and not isinstance(value, dict):
            found = _shown(notation)
            problems.append(f"part {index} ({location}): expected an object, found {found}")
    return problems


def _status_problem(code: str, success: bool) -> str | None:
    if not re.fullmatch(r"\d{3}", code) or not 100 <= int(code) <= 599:
        return f"status code {code} is not a valid HTTP status"
    if success and not 200 <= int(code) < 400:
        return f"status code {code} is not a success (2xx/3xx); errors go in Error Response"
    if not success and not 400 <= int(code) < 600:
        return f"status code {code} is not an error status (4xx/5xx)"
    return None


def _status_items_problems(cell: str, success: bool) -> list[str]:
    problems, seen = [], set()
    if cell.strip() == UNKNOWN:
        return []  # the source documents nothing about these responses
    # `404:` (an empty body after the colon) is the older spelling of a bare `404`.
    pattern = r"(\S+)(?:\s+(.+))?" if success else r"(\d+)(?::\s*(.*))?"
    shape = "'<code>' or '<code> <body>'" if success else "'<code>' or '<code>: <body>'"
    for index, item in enumerate(split_items(cell), 1):
        if item == UNKNOWN:
            problems.append(f"item {index}: '{UNKNOWN}' must be the whole cell")
            continue
        match = re.fullmatch(pattern, item, re.DOTALL)
        if not match or item[:1] in "{[":
            problems.append(f"item {index} {_shown(item)} must be {shape}")
            continue
        code, body = match.groups()
        if problem := _status_problem(code, success):
            problems.append(problem)
        if code in seen:
            problems.append(f"status code {code} appears more than once")
        seen.add(code)
        if body:
            try:
                jsonlike.parse(body)
            except jsonlike.JsonLikeError as exc:
                problems.append(f"body of {code}: {exc}")
    return problems


def _row_problems(row: dict[str, str]) -> list[tuple[str, str]]:
    found = [("API", message) for message in _api_problems(row["API"])]
    if row["Method"] not in HTTP_METHODS:
        hint = " (methods are upper case)" if row["Method"].upper() in HTTP_METHODS else ""
        methods = ", ".join(HTTP_METHODS)
        found.append(("Method", f"{_shown(row['Method'])} is not one of {methods}{hint}"))
    if not row["Description"]:
        found.append(("Description", "is empty"))
    found += [("Request", message) for message in _request_problems(row["Request"])]
    if not row["Response"]:
        message = f"is empty; expected e.g. '200 {{\"id\": String}}', '204' or '{UNKNOWN}'"
        found.append(("Response", message))
    found += [("Response", message) for message in _status_items_problems(row["Response"], True)]
    errors = _status_items_problems(row["Error Response"], False)
    found += [("Error Response", message) for message in errors]
    return found


_Rows = list[tuple[int, dict[str, str]]]


def _table_rows(table: _Table, where: str) -> tuple[_Rows, list[Problem]]:
    start, problems = _body_row_start(table, where)
    rows = []
    for index, (_, line) in enumerate(table.lines[start:], 1):
        cells = split_row(line)
        if cells is None:
            problems.append(Problem(f"{where}row {index}", "must start and end with '|'"))
        elif len(cells) != len(COLUMNS):
            message = f"has {len(cells)} cells, expected {len(COLUMNS)} ({', '.join(COLUMNS)})"
            problems.append(Problem(f"{where}row {index}", message))
        else:
            rows.append((index, dict(zip(COLUMNS, cells, strict=True))))
    if start >= len(table.lines):
        problems.append(Problem(f"{where}table", "has no rows"))
    return rows, problems


def _prefix(table: _Table, index: int, tables: list[_Table]) -> str:
    if table.section:
        return f"section '{table.section}', "
    return f"table {index}, " if len(tables) > 1 else ""


def parse_table(text: str) -> list[dict[str, str]]:
    """Complete rows of every table (best effort), keyed by column plus `section` and `row`."""
    tables, _ = _split_document(text)
    parsed = []
    for table in tables:
        for index, row in _table_rows(table, "")[0]:
            parsed.append({**row, "section": table.section, "row": str(index)})
    return parsed


def validate(text: str) -> list[Problem]:
    """Every problem of an API table or a document of `## ` sections with tables."""
    tables, problems = _split_document(text)
    if not tables:
        problems.append(Problem("document", f"no API table found; expected {HEADER!r}"))
    for table_index, table in enumerate(tables, 1):
        where = _prefix(table, table_index, tables)
        rows, table_problems = _table_rows(table, where)
        problems += table_problems
        first_row: dict[tuple[str, str], int] = {}
        for index, row in rows:
            for column, message in _row_problems(row):
                problems.append(Problem(f"{where}row {index}, column {column}", message))
            key = (row["API"], row["Method"])
            if key in first_row:
                message = f"duplicate of row {first_row[key]} ({row['Method']} {row['API']})"
                problems.append(Problem(f"{where}row {index}", message))
            first_row.setdefault(key, index)
    return problems
