"""Reading the operations of a Postman v2.1 collection, typed from its example bodies."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

from tasks.dsl.api_cells import (
    HTTP_METHODS,
    Operation,
    first_sentence,
    object_notation,
    one_line,
    request_cell,
    response_cells,
    section_from_path,
)
from tasks.dsl.jsonlike import render_example

# `{{var}}` outside quotes (`"amount": {{amount}}`) makes Postman bodies invalid JSON.
_BARE_VARIABLE = re.compile(r'(?<!")\{\{[^{}]*\}\}(?!")')
_VARIABLE = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
_NOT_JSON = object()


def _requests_with_folder(
    items: list[Any], folder: str | None
) -> Iterator[tuple[str | None, dict]]:
    for item in items:
        if not isinstance(item, dict):
            continue
        if isinstance(item.get("item"), list):
            # Requests in nested folders belong to the section of their top-level folder.
            top = folder or one_line(item.get("name") or "") or None
            yield from _requests_with_folder(item["item"], top)
        elif "request" in item:
            yield folder, item


def _loose_json(text: str) -> Any:
    for candidate in (text, _BARE_VARIABLE.sub("null", text)):
        try:
            return json.loads(candidate)
        except json.JSONDecodeError:
            continue
    return _NOT_JSON


def _example_type(text: Any) -> str | None:
    if not isinstance(text, str) or not text.strip():
        return None
    value = _loose_json(text.strip())
    return "String" if value is _NOT_JSON else render_example(value)


def _segment(segment: str) -> str:
    if segment.startswith(":"):
        return "{" + segment[1:] + "}"
    return _VARIABLE.sub(lambda match: "{" + match.group(1) + "}", segment)


def _path_and_query(url: Any) -> tuple[str, dict[str, str]]:
    query: dict[str, str] = {}
    if isinstance(url, dict):
        raw = str(url.get("raw") or "")
        segments = url.get("path")
        for entry in url.get("query") or []:
            if isinstance(entry, dict) and entry.get("key") and not entry.get("disabled"):
                value = entry.get("value")
                query[entry["key"]] = "String" if value is None else render_example(value)
    else:
        raw, segments = str(url or ""), None
    raw_path, _, raw_query = raw.partition("?")
    if not isinstance(segments, list):
        # Drop the scheme and host (`https://api.example.com`, `{{baseUrl}}`) from the raw URL.
        segments = re.sub(r"^(?:[A-Za-z][\w+.-]*://)?[^/]*", "", raw_path).split("/")
    if not query:
        query = {key: "String" for key, _ in parse_qsl(raw_query.split("#")[0], True)}
    names = [s.get("value", "") if isinstance(s, dict) else str(s) for s in segments]
    return "/" + "/".join(_segment(name) for name in names if name), query


def _body(body: Any) -> str | None:
    if not isinstance(body, dict):
        return None
    mode = body.get("mode")
    if mode == "raw":
        return _example_type(body.get("raw"))
    if mode in ("urlencoded", "formdata"):
        fields = {
            entry["key"]: "Binary" if entry.get("type") == "file" else "String"
            for entry in body.get(mode) or []
            if isinstance(entry, dict) and entry.get("key") and not entry.get("disabled")
        }
        return object_notation(fields) if fields else None
    return "Binary" if mode == "file" else None


def _description_text(value: Any) -> str:
    return value.get("content", "") if isinstance(value, dict) else str(value or "")


def _operation(folder: str | None, item: dict[str, Any]) -> Operation | None:
    request = item["request"]
    if isinstance(request, str):
        request = {"url": request, "method": "GET"}
    if not isinstance(request, dict):
        return None
    method = str(request.get("method") or "GET").upper()
    if method not in HTTP_METHODS:
        return None
    path, query = _path_and_query(request.get("url"))
    path_parameters = {name: "String" for name in re.findall(r"\{([^{}]+)\}", path)}
    bodies: dict[int, str | None] = {}
    for example in item.get("response") or []:
        if isinstance(example, dict) and isinstance(example.get("code"), int):
            bodies.setdefault(example["code"], _example_type(example.get("body")))
    response, errors = response_cells(bodies)
    return Operation(
        section=folder or section_from_path(path),
        path=path,
        method=method,
        description=one_line(item.get("name") or "")
        or first_sentence(_description_text(request.get("description")))
        or f"{method} {path}",
        request=request_cell({"path": path_parameters, "query": query}, _body(request.get("body"))),
        response=response,
        errors=errors,
    )


def operations_from_postman(collection: dict) -> list[Operation]:
    """Every request of a Postman v2.1 collection; section = its top-level folder."""
    operations, seen = [], set()
    for folder, item in _requests_with_folder(collection.get("item") or [], None):
        operation = _operation(folder, item)
        if operation is None:
            continue
        # A table holds each API + method once; the first request of a kind speaks for it.
        key = (operation.section, operation.path, operation.method)
        if key not in seen:
            seen.add(key)
            operations.append(operation)
    return operations
