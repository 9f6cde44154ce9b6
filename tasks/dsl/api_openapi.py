"""Loading API specs (refs resolved by prance) and reading OpenAPI 3 / Swagger 2 operations.

A spec is untrusted text: it is parsed within bounds (`tasks.safe_yaml`), and only `$ref`s
inside the same document, or inside the source directory it was given with, are resolved; a
ref to any other file or to the network (`file:///...`, `http://...`) refuses the spec.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from urllib.parse import ParseResult
from urllib.request import url2pathname

import jsonschema
import yaml
from openapi_spec_validator import validate as validate_openapi
from openapi_spec_validator.exceptions import OpenAPIError
from prance.util.resolver import RefResolver
from prance.util.url import ResolutionError

from tasks import safe_yaml
from tasks.dsl import jsonlike
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

# prance resolves relative file references against the document's URL; text has none of its own.
_PLACEHOLDER_URL = "file:///__spec__.yaml"
_RANGE_CODES = {"1XX": 100, "2XX": 200, "3XX": 300, "4XX": 400, "5XX": 500}


class SpecError(ValueError):
    """An API spec that cannot be read, resolved or validated."""


def _plain(value: Any) -> Any:
    # YAML turns `200:` into an int key and unquoted dates into dates; OpenAPI means strings.
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _stop_recursion(limit: int, parsed_url: Any, recursions: Any = ()) -> dict[str, Any]:
    # A self-referencing schema (a tree node holding its children) ends as a generic object.
    return {"type": "object", "description": "recursive reference"}


def _source_root(base_path: Path | None) -> Path | None:
    if base_path is None:
        return None
    path = base_path.resolve()
    return path if path.is_dir() else path.parent


def _base_url(base_path: Path | None) -> str:
    if base_path is None:
        return _PLACEHOLDER_URL
    path = base_path.resolve()
    return (path / "__spec__.yaml").as_uri() if path.is_dir() else path.as_uri()


class _ContainedResolver(RefResolver):
    """prance's resolver, fetching only the document itself and files inside `root`."""

    def __init__(self, specs: dict, url: str, root: Path | None, **options: Any) -> None:
        super().__init__(specs, url, **options)
        self.root, self.own_path = root, self.parsed_url.path

    def _fetch_ref_value(self, ref_url: ParseResult, obj_path: list) -> Any:
        if ref_url.scheme != "file":  # http(s), python: never fetched
            raise SpecError(f"$ref outside the spec refused: {ref_url.geturl()}")
        if ref_url.path != self.own_path:
            target = Path(url2pathname(ref_url.path)).resolve()
            if self.root is None or not target.is_relative_to(self.root):
                raise SpecError(f"$ref outside the spec refused: {ref_url.geturl()}")
            try:
                safe_yaml.check(target.read_text(encoding="utf-8"))
            except (OSError, ValueError, yaml.YAMLError) as exc:
                raise SpecError(f"$ref {ref_url.geturl()}: {one_line(str(exc))}") from exc
        return super()._fetch_ref_value(ref_url, obj_path)


def read_document(text: str) -> dict:
    """A YAML/JSON document as written (no `$ref` resolved), with string keys and dates."""
    try:
        data = safe_yaml.load(text)
    except safe_yaml.YamlLimitError as exc:
        raise SpecError(f"unsafe YAML: {exc}") from exc
    except yaml.YAMLError as exc:
        raise SpecError(f"not valid YAML or JSON: {one_line(str(exc))}") from exc
    if not isinstance(data, dict):
        raise SpecError(f"a spec must be a mapping, found {type(data).__name__}")
    return _plain(data)


def load_spec(text: str, base_path: Path | None = None) -> dict:
    """Parse a YAML/JSON API spec; OpenAPI/Swagger specs get every `$ref` resolved and validated."""
    data = read_document(text)
    if "openapi" not in data and "swagger" not in data:
        if "item" in data and "info" in data:
            return data  # a Postman collection: no $ref to resolve, no schema to validate against
        raise SpecError("not an OpenAPI/Swagger spec (no 'openapi' or 'swagger' key)")
    try:
        resolver = _ContainedResolver(
            data, _base_url(base_path), _source_root(base_path),
            recursion_limit_handler=_stop_recursion, strict=False,
        )  # fmt: skip
        resolver.resolve_references()
    except SpecError:
        raise
    except (ResolutionError, OSError, ValueError, KeyError, TypeError) as exc:
        raise SpecError(f"cannot resolve $ref: {one_line(str(exc))}") from exc
    spec = resolver.specs
    version = spec.get("openapi") or spec.get("swagger")
    try:
        validate_openapi(spec)
    except jsonschema.ValidationError as exc:
        where = "/".join(str(part) for part in exc.absolute_path) or "document root"
        raise SpecError(f"invalid OpenAPI {version} spec at {where}: {exc.message}") from exc
    except OpenAPIError as exc:
        reason = one_line(str(exc)) or f"unsupported version {version!r}"
        raise SpecError(f"invalid OpenAPI {version} spec: {reason}") from exc
    return spec


def _media_schema(content: Any) -> str | None:
    if not isinstance(content, dict) or not content:
        return None
    json_types = [name for name in content if "json" in name]
    media = content[json_types[0] if json_types else next(iter(content))]
    schema = media.get("schema") if isinstance(media, dict) else None
    return jsonlike.render(schema)


def _parameter_type(parameter: dict[str, Any]) -> str:
    if "schema" in parameter:
        return jsonlike.render(parameter["schema"])
    if "content" in parameter:
        return _media_schema(parameter["content"]) or "Object"
    return jsonlike.render(parameter)  # Swagger 2: type/format/items sit on the parameter


def _merged_parameters(shared: list[Any], own: list[Any]) -> list[dict[str, Any]]:
    # Operation-level parameters override path-level ones with the same name and location.
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for parameter in [*shared, *own]:
        if isinstance(parameter, dict) and "name" in parameter:
            merged[(parameter["name"], parameter.get("in", ""))] = parameter
    return list(merged.values())


def _security(spec: dict[str, Any], operation: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Credentials an operation's security asks for, as header / query parameters.

    The table has no column of its own for them: `Authorization` (HTTP, OAuth 2, OpenID
    Connect) or an API key's header / query parameter joins the request's parameters. Of
    alternative requirements the first that asks for something speaks for the operation; an
    operation's own `security` (also `[]`, none) replaces the document's.
    """
    requirements = operation.get("security", spec.get("security"))
    schemes = (spec.get("components") or {}).get("securitySchemes") or spec.get(
        "securityDefinitions"
    ) or {}  # fmt: skip
    found: dict[str, dict[str, str]] = {"header": {}, "query": {}}
    chosen = next((r for r in requirements or [] if isinstance(r, dict) and r), {})
    for name in chosen:
        scheme = schemes.get(name)
        if not isinstance(scheme, dict):
            continue
        if scheme.get("type") == "apiKey":
            if scheme.get("in") in found and scheme.get("name"):
                found[scheme["in"]][str(scheme["name"])] = "String"
        elif scheme.get("type") in ("http", "basic", "oauth2", "openIdConnect"):
            found["header"]["Authorization"] = "String"
    return found


def _request(operation: dict[str, Any], shared: list[Any], spec: dict[str, Any]) -> str:
    parts: dict[str, dict[str, str]] = {"path": {}, "query": {}, "header": {}}
    form: dict[str, str] = {}
    body = None
    for parameter in _merged_parameters(shared, operation.get("parameters") or []):
        location = parameter.get("in")
        if location == "body":
            body = jsonlike.render(parameter.get("schema"))
        elif location == "formData":
            form[parameter["name"]] = _parameter_type(parameter)
        elif location in parts:
            parts[location][parameter["name"]] = _parameter_type(parameter)
    request_body = operation.get("requestBody")
    if isinstance(request_body, dict):
        body = _media_schema(request_body.get("content")) or "Object"
    if form:
        body = object_notation(form)
    for location, names in _security(spec, operation).items():
        declared = {name.lower() for name in parts[location]}
        parts[location] |= {n: kind for n, kind in names.items() if n.lower() not in declared}
    return request_cell(parts, body)


def _response_body(response: Any) -> str | None:
    if not isinstance(response, dict):
        return None
    if "schema" in response:  # Swagger 2
        return jsonlike.render(response["schema"])
    return _media_schema(response.get("content"))


def _responses(operation: dict[str, Any]) -> tuple[str, str]:
    bodies: dict[int, str | None] = {}
    default = None
    for code, response in (operation.get("responses") or {}).items():
        if code == "default":
            default = response
        elif code.upper() in _RANGE_CODES:
            bodies.setdefault(_RANGE_CODES[code.upper()], _response_body(response))
        elif code.isdigit():
            bodies[int(code)] = _response_body(response)
    if default is not None:
        # `default` covers every undeclared status: the success when none is declared, else 500.
        has_success = any(200 <= code < 400 for code in bodies)
        bodies.setdefault(500 if has_success else 200, _response_body(default))
    return response_cells(bodies)


def _description(operation: dict[str, Any], method: str, path: str) -> str:
    return (
        one_line(operation.get("summary") or "").rstrip(".")
        or first_sentence(operation.get("description"))
        or one_line(operation.get("operationId") or "")
        or f"{method} {path}"
    )


def operations_from_openapi(spec: dict) -> list[Operation]:
    """Every operation of a resolved OpenAPI 3.x or Swagger 2.0 spec, in document order."""
    operations = []
    for path, item in (spec.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        shared = item.get("parameters") or []
        for key, operation in item.items():
            method = key.upper()
            if method not in HTTP_METHODS or not isinstance(operation, dict):
                continue
            tags = operation.get("tags") or []
            response, errors = _responses(operation)
            operations.append(
                Operation(
                    section=one_line(tags[0]) if tags else section_from_path(path),
                    path=path,
                    method=method,
                    description=_description(operation, method, path),
                    request=_request(operation, shared, spec),
                    response=response,
                    errors=errors,
                )
            )
    return operations
