"""The named schemas of an OpenAPI 3 / Swagger 2 spec as classes, per operation, for PlantUML.

Reads the spec as written (before `$ref` resolution, which loses the schema names): each object
schema under `components/schemas` (or `definitions`) becomes a class, `allOf` with a `$ref`
becomes inheritance, a string enum an enum, and a property referring to another class an
association. Only the schemas an operation's request body and success responses reach are the
operation's data structure; the error envelope is left out.
"""

from __future__ import annotations

import re
from typing import Any

from tasks.dsl import jsonlike
from tasks.dsl.api_cells import HTTP_METHODS, one_line, section_from_path
from tasks.dsl.code_model import ClassUnit

_REF_PREFIXES = ("#/components/schemas/", "#/definitions/")


def _schemas(spec: dict[str, Any]) -> dict[str, Any]:
    named = (spec.get("components") or {}).get("schemas") or spec.get("definitions") or {}
    return {name: schema for name, schema in named.items() if isinstance(schema, dict)}


def _ref_name(value: Any) -> str | None:
    ref = value.get("$ref") if isinstance(value, dict) else None
    if isinstance(ref, str):
        for prefix in _REF_PREFIXES:
            if ref.startswith(prefix):
                return ref[len(prefix) :]
    return None


def _is_class(schema: dict[str, Any]) -> bool:
    return bool(schema.get("properties") or schema.get("allOf") or schema.get("enum"))


class SchemaModel:
    """Named schemas of a spec (unresolved) and which of them each operation uses."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.schemas = _schemas(spec)

    def _type(self, schema: Any) -> str:
        if (name := _ref_name(schema)) is not None:
            target = self.schemas.get(name, {})
            return name if _is_class(target) else self._type(target)
        if not isinstance(schema, dict):
            return "Object"
        if schema.get("type") == "array" or "items" in schema:
            return f"List<{self._type(schema.get('items'))}>"
        alternatives = schema.get("oneOf") or schema.get("anyOf")
        if isinstance(alternatives, list) and alternatives:
            return " | ".join(self._type(item) for item in alternatives)
        if schema.get("properties") or schema.get("allOf"):
            return "Object"
        return jsonlike.render(schema)

    def unit(self, name: str) -> ClassUnit:
        """The class of one named schema: fields with types, bases from `allOf` references."""
        schema = self.schemas[name]
        if isinstance(schema.get("enum"), list):
            constants = [str(v) for v in schema["enum"] if v is not None]
            return ClassUnit(
                "openapi", "", name, [], [], [(c, name) for c in constants], [], "enum"
            )
        bases, properties = [], dict(schema.get("properties") or {})
        for part in schema.get("allOf") or []:
            if (base := _ref_name(part)) is not None:
                bases.append(base)
            elif isinstance(part, dict):
                properties |= part.get("properties") or {}
        fields = [(field, self._type(value)) for field, value in properties.items()]
        return ClassUnit("openapi", "", name, bases, [], fields, [], "class")

    def _refs(self, value: Any, seen: set[int]) -> set[str]:
        # Walks any part of the document, following references to components it holds.
        if id(value) in seen:
            return set()
        seen.add(id(value))
        found: set[str] = set()
        if isinstance(value, dict):
            if (name := _ref_name(value)) is not None:
                return {name}
            ref = value.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/"):
                return self._refs(self._pointer(ref), seen)
            for item in value.values():
                found |= self._refs(item, seen)
        elif isinstance(value, list):
            for item in value:
                found |= self._refs(item, seen)
        return found

    def _pointer(self, ref: str) -> Any:
        node: Any = self.spec
        for part in ref[2:].split("/"):
            node = (
                node.get(part.replace("~1", "/").replace("~0", "~"))
                if isinstance(node, dict)
                else None
            )
        return node

    def closure(self, names: set[str]) -> list[str]:
        """The named class schemas reachable from `names` (properties, items, allOf), sorted."""
        todo, found = list(names), set()
        while todo:
            name = todo.pop()
            if name in found or name not in self.schemas:
                continue
            found.add(name)
            todo += self._refs(self.schemas[name], set())
        return sorted(name for name in found if _is_class(self.schemas[name]))

    def operation_schemas(self) -> dict[tuple[str, str, str], set[str]]:
        """(section, path, METHOD) -> schemas referenced by its body and success responses."""
        found = {}
        for path, item in (self.spec.get("paths") or {}).items():
            if not isinstance(item, dict):
                continue
            for key, operation in item.items():
                if key.upper() not in HTTP_METHODS or not isinstance(operation, dict):
                    continue
                tags = operation.get("tags") or []
                section = one_line(tags[0]) if tags else section_from_path(path)
                parts: list[Any] = [operation.get("requestBody")]
                parts += [p for p in operation.get("parameters") or [] if _in_body(p)]
                parts += _success_responses(operation.get("responses") or {})
                found[(section, path, key.upper())] = self._refs(parts, set())
        return found


def _success_responses(responses: dict[str, Any]) -> list[Any]:
    # As in the tables: `default` stands for the success when no 2xx/3xx is declared.
    success = [r for code, r in responses.items() if re.fullmatch(r"[23](\d\d|XX)", code)]
    if not success and "default" in responses:
        return [responses["default"]]
    return success


def _in_body(parameter: Any) -> bool:
    return isinstance(parameter, dict) and parameter.get("in") == "body"
