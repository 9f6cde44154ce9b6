"""The JSON-like notation: parsing, rendering schemas and examples, round trips."""

from __future__ import annotations

import pytest

from tasks.dsl import jsonlike
from tasks.dsl.jsonlike import JsonLikeError, TypeName


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("String", "String"),
        ('{"id": String}', {"id": "String"}),
        ("[String]", ["String"]),
        ('[{"id": String, "tags": [Date]}]', [{"id": "String", "tags": ["Date"]}]),
        ("{}", {}),
        ('{ "a" :Integer ,"b":  [ Any ] }', {"a": "Integer", "b": ["Any"]}),
        (
            '{"kind": "fixed", "n": 3, "x": 2.5, "ok": true, "no": false, "none": null}',
            {"kind": "fixed", "n": 3, "x": 2.5, "ok": True, "no": False, "none": None},
        ),
        ('{"quote \\" inside": Binary}', {'quote " inside': "Binary"}),
    ],
)
def test_given_valid_notation_when_parsed_then_structure_is_returned(text, expected):
    assert jsonlike.parse(text) == expected


def test_given_type_name_and_string_literal_when_parsed_then_they_are_told_apart():
    parsed = jsonlike.parse('{"type": String, "literal": "String"}')
    assert isinstance(parsed["type"], TypeName)
    assert not isinstance(parsed["literal"], TypeName)


@pytest.mark.parametrize(
    ("text", "message", "position"),
    [
        ("{id: String}", "expected a double-quoted key, found 'id'", 1),
        ('{"id" String}', "expected ':' after key \"id\"", 6),
        ("[]", "an array needs exactly one element type", 1),
        ("[String, Number]", "an array has exactly one element type", 7),
        ("Strng", "unknown type name 'Strng'", 0),
        ('{"a": String,}', "expected a double-quoted key, found '}'", 13),
        ('{"a": String', "expected ',' or '}' in object, found end of input", 12),
        ('{"a": String} extra', "unexpected text after the value", 14),
        ('{"a": String, "a": Number}', 'duplicate key "a"', 14),
        ('"open', "unterminated string", 0),
        ("", "expected a value", 0),
        ("[String", "expected ']' to close the array", 7),
    ],
)
def test_given_broken_notation_when_parsed_then_error_says_what_and_where(text, message, position):
    with pytest.raises(JsonLikeError) as caught:
        jsonlike.parse(text)
    assert message in caught.value.message
    assert caught.value.position == position
    assert f"at position {position}" in str(caught.value)


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        (None, "Object"),
        ({}, "Object"),
        ({"type": "string"}, "String"),
        ({"type": "string", "format": "date"}, "Date"),
        ({"type": "string", "format": "date-time"}, "DateTime"),
        ({"type": "string", "format": "binary"}, "Binary"),
        ({"type": "integer", "format": "int64"}, "Integer"),
        ({"type": "number"}, "Number"),
        ({"type": "boolean"}, "Boolean"),
        ({"type": "file"}, "Binary"),
        ({"type": ["string", "null"]}, "String"),
        ({"enum": ["a", "b"]}, "String"),
        ({"type": "array"}, "[Any]"),
        ({"type": "array", "items": {"type": "integer"}}, "[Integer]"),
        ({"type": "object"}, "Object"),
        (
            {"type": "object", "properties": {"id": {"type": "string"}, "n": {"type": "number"}}},
            '{"id": String, "n": Number}',
        ),
        ({"oneOf": [{"type": "boolean"}, {"type": "string"}]}, "Boolean"),
        ({"anyOf": [{"type": "array", "items": {"type": "string"}}]}, "[String]"),
        (
            {
                "allOf": [
                    {"properties": {"id": {"type": "string"}}},
                    {
                        "allOf": [
                            {
                                "type": "object",
                                "properties": {"at": {"format": "date-time", "type": "string"}},
                            }
                        ]
                    },
                ],
                "properties": {"extra": {"type": "boolean"}},
            },
            '{"id": String, "at": DateTime, "extra": Boolean}',
        ),
    ],
)
def test_given_schema_when_rendered_then_notation_matches(schema, expected):
    assert jsonlike.render(schema) == expected


def test_given_deeply_nested_schema_when_rendered_then_depth_beyond_four_is_object():
    schema: dict = {"type": "string"}
    for name in "edcba":
        schema = {"type": "object", "properties": {name: schema}}
    assert jsonlike.render(schema) == '{"a": {"b": {"c": {"d": Object}}}}'


def test_given_shared_subschema_when_all_of_merged_then_input_is_not_mutated():
    shared = {"type": "object", "properties": {"id": {"type": "string"}}}
    schema = {"allOf": [shared, {"properties": {"n": {"type": "integer"}}}]}
    jsonlike.render(schema)
    assert shared == {"type": "object", "properties": {"id": {"type": "string"}}}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("abc", "String"),
        (3, "Integer"),
        (2.5, "Number"),
        (True, "Boolean"),
        (None, "Any"),
        ([], "[Any]"),
        ([1, "x"], "[Integer]"),
        ({}, "Object"),
        ({"id": "1", "items": [{"qty": 2}]}, '{"id": String, "items": [{"qty": Integer}]}'),
    ],
)
def test_given_example_value_when_rendered_then_types_are_inferred(value, expected):
    assert jsonlike.render_example(value) == expected


def test_given_rendered_notation_when_parsed_back_then_it_parses():
    schema = {
        "type": "object",
        "properties": {
            "a b": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"x": {"type": "string", "format": "date"}},
                },
            },
            'q"uote': {"type": "integer"},
        },
    }
    assert jsonlike.parse(jsonlike.render(schema)) == {"a b": [{"x": "Date"}], 'q"uote': "Integer"}


def test_given_cell_with_nested_separators_when_split_then_only_top_level_splits():
    text = 'path {"a": String}; body {"x;y": [String], "z": {"w": Any}}; query {}'
    assert jsonlike.split_top_level(text) == [
        'path {"a": String}',
        'body {"x;y": [String], "z": {"w": Any}}',
        "query {}",
    ]
