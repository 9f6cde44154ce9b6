"""One API operation as the cells of a table row, and the cell rendering shared by the sources."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from tasks.dsl.jsonlike import split_top_level

COLUMNS = ("API", "Method", "Description", "Request", "Response", "Error Response")
HEADER = "| " + " | ".join(COLUMNS) + " |"  # the table's header row, also quoted in instructions
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
REQUEST_LOCATIONS = ("path", "query", "header", "body")
# A whole Response / Error Response cell saying the source documents nothing about it (a Postman
# request with no saved example and no status assertion): never a guessed `200`.
UNKNOWN = "unknown"

_VERSION_OR_PREFIX = re.compile(r"(v\d+(\.\d+)*|api|rest)", re.IGNORECASE)


@dataclass
class Operation:
    section: str
    path: str
    method: str
    description: str
    request: str
    response: str
    errors: str


def one_line(text: str) -> str:
    """Collapse newlines and runs of whitespace into single spaces."""
    return " ".join(str(text).split())


def first_sentence(text: str | None) -> str:
    """The first sentence of a description, on one line, without its final period."""
    sentence = re.split(r"(?<=[.!?])\s", one_line(text or ""), maxsplit=1)[0]
    return sentence.rstrip(".").strip()


def section_from_path(path: str) -> str:
    """Title-cased first static path segment, skipping version and `api` prefixes."""
    for segment in path.split("/"):
        if segment and "{" not in segment and not _VERSION_OR_PREFIX.fullmatch(segment):
            words = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", segment)
            return re.sub(r"[-_.\s]+", " ", words).strip().title()
    return "Root"


def object_notation(fields: dict[str, str]) -> str:
    """`{"name": Type, ...}` from names and already rendered types."""
    items = (f"{json.dumps(name, ensure_ascii=False)}: {kind}" for name, kind in fields.items())
    return "{" + ", ".join(items) + "}"


def request_cell(parts: dict[str, dict[str, str]], body: str | None) -> str:
    """`path {...}; query {...}; header {...}; body ...` with empty locations left out."""
    rendered = [
        f"{location} {object_notation(parts[location])}"
        for location in REQUEST_LOCATIONS[:3]
        if parts.get(location)
    ]
    if body:
        rendered.append(f"body {body}")
    return "; ".join(rendered)


def response_cells(bodies: dict[int, str | None]) -> tuple[str, str]:
    """(Response, Error Response) from status code -> rendered body (None when no body).

    A code without a body is the bare code in both cells (`204`, `401; 404: {...}`). With no
    documented success the Response is `unknown`; with nothing documented at all, both are.
    """
    success = [(code, body) for code, body in sorted(bodies.items()) if 200 <= code < 400]
    errors = [(code, body) for code, body in sorted(bodies.items()) if 400 <= code < 600]
    response = "; ".join(f"{code} {body}" if body else str(code) for code, body in success)
    error_cell = "; ".join(f"{code}: {body}" if body else str(code) for code, body in errors)
    return response or UNKNOWN, error_cell or ("" if bodies else UNKNOWN)


def escape_cell(text: str) -> str:
    """A cell's text on one line with literal pipes escaped as `\\|`."""
    return one_line(text).replace("|", "\\|")


def split_row(line: str) -> list[str] | None:
    """Cells of a `| a | b |` row, unescaped and stripped; None when it is not framed by pipes."""
    stripped = line.strip()
    if len(stripped) < 2 or not stripped.startswith("|") or not stripped.endswith("|"):
        return None
    if stripped.endswith("\\|"):
        return None
    inner = stripped[1:-1]
    return [cell.strip().replace("\\|", "|") for cell in re.split(r"(?<!\\)\|", inner)]


def split_items(cell: str) -> list[str]:
    """Items of a Request / Response / Error Response cell, separated by `;` outside brackets."""
    return split_top_level(cell, ";") if cell.strip() else []
