"""Reading the operations of a Postman v2.1 collection, typed from its example bodies.

- Paths: the host (`https://api.example.com`, `{{APIURL}}`) is dropped; `:id` and a segment
  holding one `{{variable}}` become a path parameter named after the variable in lowerCamelCase
  (`celeb_{{USERNAME}}` -> `{username}`): a collection fills a route's parameter with a test
  value, and the route is `/profiles/{username}`, whatever prefix the test gave the value.
- One operation per path and method: every request to it is merged (query parameters,
  headers, saved examples, asserted status codes); its description is the first request's name.
- Section: the top-level folder (else a nested one) when its name names a resource of the path,
  else the path's first resource: a setup request (`POST /users` in a "Profiles" folder) goes
  with the resource it calls.
- Responses: the saved examples (code and typed body) and the status codes the test scripts
  assert (`pm.response.to.have.status(201)`, `pm.expect(pm.response.code).to.equal(...)`,
  `pm.response.to.be.ok`, `responseCode.code === 200`), bare codes where no example shows a
  body. A request that documents none has `unknown` cells rather than a guessed `200`.
- Headers: the request's own (content negotiation and transport headers left out) and its auth
  (request, folder or collection `auth`: `Authorization`, or the API key's header or query).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
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
from tasks.dsl.restful import plural_noun

# `{{var}}` outside quotes (`"amount": {{amount}}`) makes Postman bodies invalid JSON.
_BARE_VARIABLE = re.compile(r'(?<!")\{\{[^{}]*\}\}(?!")')
_VARIABLE = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
_NOT_JSON = object()
# Headers about content negotiation and transport, not about the API's contract.
_TRANSPORT_HEADERS = frozenset(
    {
        "accept", "accept-charset", "accept-encoding", "accept-language", "cache-control",
        "connection", "content-length", "content-type", "cookie", "host", "origin", "pragma",
        "postman-token", "referer", "user-agent", "x-requested-with",
    }
)  # fmt: skip
# Postman's status shortcuts that name one code (`info`, `success`, ... name a class of them).
_STATUS_NAMES = {
    "ok": 200, "accepted": 202, "badRequest": 400, "unauthorized": 401, "forbidden": 403,
    "notFound": 404, "rateLimited": 429,
}  # fmt: skip
_CODE_LIST = r"\[\s*(\d{3}(?:\s*,\s*\d{3})*)\s*\]"
_ASSERTIONS = (
    # pm.response.to.have.status(201)
    re.compile(r"\bto\s*\.\s*(?:have\s*\.\s*)?status\s*\(\s*(\d{3})\s*\)"),
    # pm.expect(pm.response.code).to.equal(201) / .eql / .be.oneOf([200, 201])
    re.compile(
        r"expect\s*\(\s*(?:pm\s*\.\s*response|response(?:Code)?)\s*\.\s*(?:code|status)\s*\)"
        r"\s*\.\s*to(?:\s*\.\s*(?!not\b)\w+)*?\s*\.\s*(?:equal|eql|equals|be)\s*\(\s*(\d{3})\s*\)"
    ),
    re.compile(
        r"expect\s*\(\s*(?:pm\s*\.\s*response|response(?:Code)?)\s*\.\s*(?:code|status)\s*\)"
        r"\s*\.\s*to(?:\s*\.\s*(?!not\b)\w+)*?\s*\.\s*oneOf\s*\(\s*" + _CODE_LIST
    ),
    # tests["..."] = responseCode.code === 200;  pm.response.code == 201
    re.compile(r"\b(?:responseCode|pm\s*\.\s*response)\s*\.\s*code\s*={2,3}\s*(\d{3})\b"),
)
_NAMED_STATUS = re.compile(r"\bpm\s*\.\s*response\s*\.\s*to\s*\.\s*(?:be|have)\s*\.\s*(\w+)\b")
# pm.response.to.have.status("Created"): the reason phrase
_PHRASE_STATUS = re.compile(
    r"\bto\s*\.\s*(?:have\s*\.\s*)?status\s*\(\s*[\"']([A-Za-z -]+)[\"']\s*\)"
)
_PHRASES = {status.phrase.lower(): status.value for status in HTTPStatus}


@dataclass
class _Request:
    folders: list[str]
    item: dict[str, Any]
    auth: Any  # the auth in force: the request's own, else its folder's, else the collection's


@dataclass
class _Merged:
    """Everything the requests of one operation say, merged in collection order."""

    section: str
    path: str
    method: str
    description: str
    parts: dict[str, dict[str, str]] = field(
        default_factory=lambda: {"path": {}, "query": {}, "header": {}}
    )
    body: str | None = None
    bodies: dict[int, str | None] = field(default_factory=dict)


def _sets_auth(auth: Any) -> bool:
    """Whether an `auth` entry decides (`noauth` included), rather than inheriting its parent's."""
    return isinstance(auth, dict) and auth.get("type") not in (None, "inherit")


def _requests(items: list[Any], folders: list[str], auth: Any) -> Iterator[_Request]:
    for item in items:
        if not isinstance(item, dict):
            continue
        own_auth = item.get("auth") if _sets_auth(item.get("auth")) else auth
        if isinstance(item.get("item"), list):
            name = one_line(item.get("name") or "")
            yield from _requests(item["item"], [*folders, name] if name else folders, own_auth)
        elif "request" in item:
            request = item["request"]
            if isinstance(request, dict) and _sets_auth(request.get("auth")):
                own_auth = request["auth"]
            yield _Request(folders, item, own_auth)


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


def parameter_name(variable: str) -> str:
    """A collection variable as a lowerCamelCase parameter: `USER_ID` -> `userId`."""
    words = [w for w in re.split(r"[^0-9A-Za-z]+", variable) if w]
    words = [w.lower() if w.isupper() else w for w in words]
    if not words:
        return variable
    head = words[0][:1].lower() + words[0][1:]
    return head + "".join(w[:1].upper() + w[1:] for w in words[1:])


def _segment(segment: str) -> str:
    if segment.startswith(":") and len(segment) > 1:
        return "{" + segment[1:] + "}"
    variables = _VARIABLE.findall(segment)
    if len(variables) == 1:
        # `celeb_{{USERNAME}}`: a test value made from a variable fills the route's parameter.
        return "{" + parameter_name(variables[0]) + "}"
    return _VARIABLE.sub(lambda match: "{" + parameter_name(match.group(1)) + "}", segment)


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
    if isinstance(segments, str):
        segments = segments.split("/")
    if not isinstance(segments, list):
        # Drop the scheme and host (`https://api.example.com`, `{{baseUrl}}`) from the raw URL.
        segments = re.sub(r"^(?:[A-Za-z][\w+.-]*://)?[^/]*", "", raw_path).split("/")
    names = [s.get("value", "") if isinstance(s, dict) else str(s) for s in segments]
    names = [name for name in names if name]
    host = re.match(r"\{\{[^{}]*\}\}", raw_path.strip())
    if names and host and names[0] == host.group():
        names = names[1:]  # the host variable repeated as the first path element
    if not query:
        query = {key: "String" for key, _ in parse_qsl(raw_query.split("#")[0], True)}
    return "/" + "/".join(_segment(name) for name in names), query


def _body(body: Any) -> str | None:
    if not isinstance(body, dict) or body.get("disabled"):
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
    if mode == "graphql":
        return '{"query": String, "variables": Object}'
    return "Binary" if mode == "file" else None


def _auth_parts(auth: Any) -> dict[str, dict[str, str]]:
    if not isinstance(auth, dict) or auth.get("type") in (None, "noauth"):
        return {}
    if auth["type"] == "apikey":
        entries = auth.get("apikey")
        settings = (
            {e.get("key"): e.get("value") for e in entries if isinstance(e, dict)}
            if isinstance(entries, list)
            else dict(entries or {})
        )
        name = str(settings.get("key") or "X-API-Key")
        location = "query" if settings.get("in") == "query" else "header"
        return {location: {name: "String"}}
    return {"header": {"Authorization": "String"}}  # basic, bearer, digest, oauth, jwt, ...


def _headers(request: dict[str, Any]) -> dict[str, str]:
    entries = request.get("header")
    if isinstance(entries, str):  # `Name: value` lines
        entries = [{"key": line.partition(":")[0].strip()} for line in entries.splitlines()]
    if not isinstance(entries, list):
        return {}
    return {
        str(entry["key"]): "String"
        for entry in entries
        if isinstance(entry, dict) and entry.get("key") and not entry.get("disabled")
        and str(entry["key"]).lower() not in _TRANSPORT_HEADERS
    }  # fmt: skip


def asserted_codes(item: dict[str, Any]) -> list[int]:
    """Status codes a request's test scripts assert, in the order they appear."""
    codes: list[int] = []
    for event in item.get("event") or []:
        if not isinstance(event, dict) or event.get("listen") != "test":
            continue
        script = event.get("script") or {}
        lines = script.get("exec") if isinstance(script, dict) else None
        text = "\n".join(lines) if isinstance(lines, list) else str(lines or "")
        found: list[tuple[int, int]] = []
        for pattern in _ASSERTIONS:
            for match in pattern.finditer(text):
                found += [(match.start(), int(code)) for code in re.findall(r"\d{3}", match[1])]
        for match in _NAMED_STATUS.finditer(text):
            if (code := _STATUS_NAMES.get(match[1])) is not None:
                found.append((match.start(), code))
        for match in _PHRASE_STATUS.finditer(text):
            if (code := _PHRASES.get(match[1].strip().lower())) is not None:
                found.append((match.start(), code))
        codes += [code for _, code in sorted(found) if 100 <= code < 600 and code not in codes]
    return codes


def _words(name: str) -> set[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    return {word for word in re.split(r"[^0-9a-z]+", spaced.lower()) if word}


def _names_resource(folder: str, path: str) -> bool:
    resources = {w for segment in path.split("/") if "{" not in segment for w in _words(segment)}
    return any(
        word == other or plural_noun(word) == other or word == plural_noun(other)
        for word in _words(folder)
        for other in resources
    )


def _section(folders: list[str], path: str) -> str:
    for folder in folders:
        if _names_resource(folder, path):
            return folder
    return section_from_path(path)


def _description_text(value: Any) -> str:
    return value.get("content", "") if isinstance(value, dict) else str(value or "")


def _read(found: _Request, merged: dict[tuple[str, str], _Merged]) -> None:
    item, request = found.item, found.item["request"]
    if isinstance(request, str):
        request = {"url": request, "method": "GET"}
    if not isinstance(request, dict):
        return
    method = str(request.get("method") or "GET").upper()
    if method not in HTTP_METHODS:
        return
    path, query = _path_and_query(request.get("url"))
    operation = merged.get((path, method))
    if operation is None:
        description = (
            one_line(item.get("name") or "")
            or first_sentence(_description_text(request.get("description")))
            or f"{method} {path}"
        )
        operation = _Merged(_section(found.folders, path), path, method, description)
        merged[(path, method)] = operation
    parts = operation.parts
    parts["path"] |= {name: "String" for name in re.findall(r"\{([^{}]+)\}", path)}
    for location, names in [("query", query), *_auth_parts(found.auth).items(),
                            ("header", _headers(request))]:  # fmt: skip
        known = {name.lower() for name in parts[location]}
        parts[location] |= {n: kind for n, kind in names.items() if n.lower() not in known}
    operation.body = operation.body or _body(request.get("body"))
    for example in item.get("response") or []:
        if isinstance(example, dict) and isinstance(example.get("code"), int):
            body = _example_type(example.get("body"))
            if operation.bodies.get(example["code"]) is None:
                operation.bodies[example["code"]] = body
    for code in asserted_codes(item):
        operation.bodies.setdefault(code, None)


def operations_from_postman(collection: dict) -> list[Operation]:
    """One operation per path and method of a Postman v2.1 collection, in collection order."""
    merged: dict[tuple[str, str], _Merged] = {}
    for found in _requests(collection.get("item") or [], [], collection.get("auth")):
        _read(found, merged)
    operations = []
    for op in merged.values():
        response, errors = response_cells(op.bodies)
        operations.append(
            Operation(
                section=op.section,
                path=op.path,
                method=op.method,
                description=op.description,
                request=request_cell(op.parts, op.body),
                response=response,
                errors=errors,
            )
        )
    return operations
