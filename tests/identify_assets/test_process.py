import codecs

import pytest

from tasks.identify_assets.process import (
    Processed,
    cache_key,
    decode,
    process_bytes,
    settings_fingerprint,
)


@pytest.fixture
def step(repo_params):
    return repo_params.identify_assets


@pytest.mark.parametrize(
    ("data", "hint", "encoding"),
    [
        ("naïve = 1\n".encode(), "python", "utf-8"),
        (codecs.BOM_UTF8 + "x = 'é'\n".encode(), "python", "utf-8-sig"),
        ("class Café {}\n".encode("utf-16"), "java", "utf-16"),
        (b"# -*- coding: latin-1 -*-\ncaf\xe9 = 1\n", "python", "iso8859-1"),
        (b'<?xml version="1.0" encoding="ISO-8859-1"?>\n<a>\xe9</a>\n', "xml", "iso8859-1"),
    ],
)
def test_utf8_and_declared_encodings_are_decoded(data, hint, encoding):
    text, how = decode(data, hint, fallbacks=[])
    assert how == encoding and text is not None and "\ufffd" not in text


def test_undeclared_legacy_text_is_rejected_unless_a_fallback_is_configured():
    data = 'String s = "naïve résumé";\n'.encode("cp1252")
    text, reason = decode(data, "java", fallbacks=[])
    assert text is None and reason.startswith("encoding: not utf-8")
    text, how = decode(data, "java", fallbacks=["cp1252"])
    assert how == "cp1252" and "naïve résumé" in text


def test_nul_bytes_without_a_byte_order_mark_are_binary():
    assert decode(b"class A {}\x00\x01\x02", "java", fallbacks=[]) == (
        None,
        "binary: NUL byte in the first 8 KiB",
    )


def test_a_kept_python_file_is_classified_scrubbed_parsed_and_signed(step):
    data = b"#!/usr/bin/env python3\ndef connect():\n    return 'ops@example.com'\n"
    result = process_bytes(data, None, step.filters, step.dedup)
    assert result.reason is None and result.language == "python"
    assert "<EMAIL>" in result.text and result.redactions == {"EMAIL": 1}
    assert len(result.signature) == 4 * step.dedup.num_perm
    assert Processed.from_record(*result.to_record()) == result


def test_python_that_does_not_parse_is_rejected_with_its_line(step):
    result = process_bytes(b"def broken(:\n    pass\n", "python", step.filters, step.dedup)
    assert result.reason.startswith("syntax_error: line 1")
    assert result.text is None


def test_the_cache_key_changes_with_any_setting_and_with_the_language_hint(step):
    base = settings_fingerprint(step.filters, step.dedup)
    stricter = step.filters.model_copy(update={"max_line_length": 500})
    assert settings_fingerprint(stricter, step.dedup) != base
    assert settings_fingerprint(step.filters, step.dedup.model_copy(update={"seed": 2})) != base
    assert cache_key(base, "ab" * 32, "python") != cache_key(base, "ab" * 32, None)
    assert cache_key(base, "ab" * 32, "python") == cache_key(base, "ab" * 32, "python")
