"""The JSON-like notation with type names used in API tables: `{"id": String, "tags": [String]}`.

Grammar: value := object | `[` value `]` | TypeName | "string" | number | true | false | null;
object := `{` [ "key" `:` value { `,` "key" `:` value } ] `}`. Whitespace is free.
"""

from __future__ import annotations

import json
import re
from typing import Any

TYPE_NAMES = (
    "String",
    "Number",
    "Integer",
    "Boolean",
    "Object",
    "Any",
    "Date",
    "DateTime",
    "Binary",
)
MAX_DEPTH = 4  # objects nested deeper than this render as Object, keeping cells readable

_LITERALS: dict[str, Any] = {"true": True, "false": False, "null": None}
_STRING_FORMATS = {"date": "Date", "date-time": "DateTime", "binary": "Binary"}
_SCALAR_TYPES = {"integer": "Integer", "number": "Number", "boolean": "Boolean", "file": "Binary"}
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")
_WORD = re.compile(r"[A-Za-z_]\w*")
_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"')


class JsonLikeError(ValueError):
    """A parse error of the notation, with the 0-based character position where it was found."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(f"{message} at position {position}")
        self.message = message
        self.position = position


class TypeName(str):
    """A type name such as `String`, told apart from the string literal `"String"`."""


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def peek(self) -> str:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def error(self, message: str) -> JsonLikeError:
        return JsonLikeError(message, self.pos)

    def value(self, depth: int) -> Any:
        char = self.peek()
        if depth > 64:  # guards the recursion against pathological input
            raise self.error("nesting too deep")
        if char == "{":
            return self.object(depth)
        if char == "[":
            return self.array(depth)
        if char == '"':
            return self.string()
        if match := _NUMBER.match(self.text, self.pos):
            self.pos = match.end()
            number = match.group()
            return float(number) if any(c in number for c in ".eE") else int(number)
        if match := _WORD.match(self.text, self.pos):
            word = match.group()
            if word in _LITERALS:
                self.pos = match.end()
                return _LITERALS[word]
            if word not in TYPE_NAMES:
                expected = ", ".join(TYPE_NAMES)
                raise self.error(f"unknown type name '{word}'; expected one of {expected}")
            self.pos = match.end()
            return TypeName(word)
        expected = "a value (object, [Type], type name or literal)"
        raise self.error(f"expected {expected}, found {self._found()}")

    def _found(self) -> str:
        return f"'{self.text[self.pos]}'" if self.pos < len(self.text) else "end of input"

    def string(self) -> str:
        match = _STRING.match(self.text, self.pos)
        if not match:
            raise self.error("unterminated string")
        self.pos = match.end()
        try:
            return json.loads(match.group())
        except json.JSONDecodeError as exc:
            raise JsonLikeError(f"invalid string escape ({exc.msg})", match.start()) from exc

    def object(self, depth: int) -> dict[str, Any]:
        self.pos += 1
        result: dict[str, Any] = {}
        if self.peek() == "}":
            self.pos += 1
            return result
        while True:
            if self.peek() != '"':
                found = _WORD.match(self.text, self.pos)
                shown = f"'{found.group()}'" if found else self._found()
                raise self.error(f"expected a double-quoted key, found {shown}")
            key_at = self.pos
            key = self.string()
            if key in result:
                raise JsonLikeError(f"duplicate key {json.dumps(key, ensure_ascii=False)}", key_at)
            if self.peek() != ":":
                raise self.error(f"expected ':' after key {json.dumps(key)}, found {self._found()}")
            self.pos += 1
            result[key] = self.value(depth + 1)
            char = self.peek()
            self.pos += 1
            if char == "}":
                return result
            if char != ",":
                self.pos -= 1
                raise self.error(f"expected ',' or '}}' in object, found {self._found()}")

    def array(self, depth: int) -> list[Any]:
        self.pos += 1
        if self.peek() == "]":
            raise self.error("an array needs exactly one element type, e.g. [String]")
        element = self.value(depth + 1)
        char = self.peek()
        if char == ",":
            raise self.error("an array has exactly one element type; found ',' after the first")
        if char != "]":
            raise self.error(f"expected ']' to close the array, found {self._found()}")
        self.pos += 1
        return [element]


def parse(text: str) -> object:
    """Parse the notation into dicts, one-element lists, TypeName markers and literals."""
    reader = _Reader(text)
    value = reader.value(0)
    if reader.peek():
        raise reader.error(
            f"unexpected text after the value: {text[reader.pos : reader.pos + 20]!r}"
        )
    return value


def split_top_level(text: str, separator: str = ";") -> list[str]:
    """Split on a separator outside brackets and string literals; parts are stripped."""
    parts, depth, start, in_string, escaped = [], 0, 0, False, False
    for index, char in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
        elif char == separator and depth == 0:
            parts.append(text[start:index].strip())
            start = index + 1
    parts.append(text[start:].strip())
    return parts


def _key(name: str) -> str:
    return json.dumps(name, ensure_ascii=False)


def _schema_type(schema: dict[str, Any]) -> str | None:
    kind = schema.get("type")
    if isinstance(kind, list):  # OpenAPI 3.1: ["string", "null"]
        kind = next((k for k in kind if k != "null"), None)
    if kind:
        return kind
    if "properties" in schema:
        return "object"
    if "items" in schema:
        return "array"
    enum = schema.get("enum")
    if isinstance(enum, list) and enum and enum[0] is not None:
        return {bool: "boolean", int: "integer", float: "number"}.get(type(enum[0]), "string")
    return None


def _merge_all_of(schema: dict[str, Any]) -> dict[str, Any]:
    # A fresh dict: prance shares resolved subtrees between references, so never mutate them.
    merged = {key: value for key, value in schema.items() if key not in ("allOf", "properties")}
    properties: dict[str, Any] = {}
    own = {"properties": schema.get("properties") or {}}
    for part in [*(schema.get("allOf") or []), own]:
        if not isinstance(part, dict):
            continue
        if "allOf" in part:
            part = _merge_all_of(part)
        properties.update(part.get("properties") or {})
        for key in ("type", "items", "format"):
            if key in part and key not in merged:
                merged[key] = part[key]
    if properties:
        merged["properties"] = properties
        merged["type"] = "object"
    return merged


def _render_schema(schema: Any, depth: int) -> str:
    if not isinstance(schema, dict) or not schema:
        return "Object"
    if "allOf" in schema:
        schema = _merge_all_of(schema)
    for key in ("oneOf", "anyOf"):
        alternatives = schema.get(key)
        if isinstance(alternatives, list) and alternatives:
            return _render_schema(alternatives[0], depth)
    kind = _schema_type(schema)
    if kind == "array":
        items = schema.get("items")
        return f"[{_render_schema(items, depth)}]" if isinstance(items, dict) and items else "[Any]"
    if kind == "object":
        properties = schema.get("properties")
        if not isinstance(properties, dict) or not properties or depth >= MAX_DEPTH:
            return "Object"
        fields = (f"{_key(k)}: {_render_schema(v, depth + 1)}" for k, v in properties.items())
        return "{" + ", ".join(fields) + "}"
    if kind == "string":
        return _STRING_FORMATS.get(schema.get("format"), "String")
    return _SCALAR_TYPES.get(kind or "", "Object")


def render(schema: dict | None) -> str:
    """Render a resolved JSON Schema / OpenAPI schema as the notation (Object when unknown)."""
    return _render_schema(schema, 0)


def _render_value(value: Any, depth: int) -> str:
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Integer"
    if isinstance(value, float):
        return "Number"
    if isinstance(value, str):
        return "String"
    if isinstance(value, list):
        return f"[{_render_value(value[0], depth)}]" if value else "[Any]"
    if isinstance(value, dict):
        if not value or depth >= MAX_DEPTH:
            return "Object"
        fields = (f"{_key(str(k))}: {_render_value(v, depth + 1)}" for k, v in value.items())
        return "{" + ", ".join(fields) + "}"
    return "Any"  # null: the example says nothing about the type


def render_example(value: object) -> str:
    """Render an example JSON value (e.g. a Postman body) as the notation, by the values' types."""
    return _render_value(value, 0)
