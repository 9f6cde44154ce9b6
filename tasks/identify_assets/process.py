"""Everything step 1 does with one file's bytes: decode, classify, filter, scrub, parse, sign.

`process_bytes` depends only on the bytes, the language the file name implies, the filter and
dedup settings and this code, which is exactly what `cache_key` hashes: a cached result is
never reused under other settings or another version of the code.
"""

from __future__ import annotations

import ast
import codecs
import io
import json
import re
import sys
import tokenize
import warnings
from dataclasses import asdict, dataclass, field
from functools import cache
from importlib import metadata
from pathlib import Path

from tasks import safe_yaml
from tasks.identify_assets import classify, dedup, filters
from tasks.io import sha256_bytes
from tasks.params import DedupParams, FilterParams
from tasks.scrub import scrub

# The modules whose code shapes a result; editing any of them invalidates the cache.
_RESULT_MODULES = (
    "classify.py",
    "dedup.py",
    "filters.py",
    "process.py",
    "../detectors.py",
    "../languages.py",
    "../scrub.py",
    "../safe_yaml.py",
)
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)  # fmt: skip
_XML_ENCODING = re.compile(rb"<\?xml[^>]*encoding=[\"']([\w.:-]+)[\"']")


@dataclass(frozen=True)
class Processed:
    """What step 1 learns from a file's bytes; `text` is set only for a kept file."""

    language: str
    content_kind: str | None = None
    encoding: str | None = None
    lines: int = 0
    reason: str | None = None
    text: str | None = None
    redactions: dict[str, int] = field(default_factory=dict)
    content_sha256: str | None = None
    signature: bytes | None = None

    def to_record(self) -> tuple[str, str | None, bytes | None]:
        """(JSON metadata, text, signature): the cache's storage form."""
        meta = asdict(self)
        text, signature = meta.pop("text"), meta.pop("signature")
        return json.dumps(meta, sort_keys=True), text, signature

    @classmethod
    def from_record(cls, meta: str, text: str | None, signature: bytes | None) -> Processed:
        return cls(**json.loads(meta), text=text, signature=signature)


@cache
def _code_version() -> str:
    here = Path(__file__).parent
    sources = b"".join((here / name).read_bytes() for name in _RESULT_MODULES)
    libraries = [f"{name}=={metadata.version(name)}" for name in ("detect-secrets", "datasketch")]
    return sha256_bytes(sources + repr((sys.version_info[:2], libraries)).encode())


def settings_fingerprint(filter_params: FilterParams, dedup_params: DedupParams) -> str:
    """Hash of everything besides the bytes that a result depends on."""
    settings = json.dumps([filter_params.model_dump(), dedup_params.model_dump()], sort_keys=True)
    return sha256_bytes((settings + _code_version()).encode())


def cache_key(fingerprint: str, raw_sha256: str, language_hint: str | None) -> str:
    """Cache key of one file's result."""
    return sha256_bytes(f"{fingerprint}:{raw_sha256}:{language_hint or ''}".encode())


def decode(
    data: bytes, language_hint: str | None, fallbacks: list[str]
) -> tuple[str, str] | tuple[None, str]:
    """(text, encoding), or (None, reason): UTF-8, else a declared encoding, else the fallbacks.

    Declared means a byte-order mark, a Python PEP 263 coding line or an XML declaration. No
    guessing: detectors mislabel short legacy files (cp1252 read as cp1250 or cp1006 here).
    """
    declared = [name for bom, name in _BOMS if data.startswith(bom)][:1]
    if not declared:
        reason = filters.binary_reason(data)
        if reason:
            return None, reason
    if language_hint == "python" and not declared:
        try:
            declared = [tokenize.detect_encoding(io.BytesIO(data).readline)[0]]
        except SyntaxError:
            declared = []
    xml = _XML_ENCODING.match(data[:200])
    if xml and not declared:
        declared = [xml.group(1).decode("ascii")]
    candidates = list(dict.fromkeys([*declared, "utf-8", *fallbacks]))
    problem = ""
    for encoding in candidates:
        try:
            return data.decode(encoding), codecs.lookup(encoding).name
        except UnicodeDecodeError as exc:
            problem = problem or f", invalid {encoding} at byte {exc.start}"
        except LookupError:
            problem = problem or f", unknown encoding {encoding!r}"
    return None, f"encoding: not {' / '.join(candidates)}{problem}"


def _syntax_reason(text: str) -> str | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # invalid escape sequences and the like: still valid
        try:
            ast.parse(text)
        except SyntaxError as exc:
            return f"syntax_error: line {exc.lineno}: {exc.msg}"
        except (ValueError, RecursionError, MemoryError) as exc:
            return f"syntax_error: {type(exc).__name__}"
    return None


def process_bytes(
    data: bytes, language_hint: str | None, filter_params: FilterParams, dedup_params: DedupParams
) -> Processed:
    """Decode, classify, filter, scrub, parse (Python) and sign one file's bytes."""
    decoded, how = decode(data, language_hint, filter_params.fallback_encodings)
    language = language_hint or "unknown"
    if decoded is None:
        return Processed(language, reason=how)
    text = decoded.replace("\r\n", "\n")
    language = language_hint or classify.language_from_shebang(text[:256])
    lines = text.splitlines()
    base = {"language": language, "encoding": how, "lines": len(lines)}
    # Before anything parses it: a YAML bomb (aliases, nesting) never reaches a YAML loader.
    if language == "yaml" and (unsafe := safe_yaml.problem(text)):
        return Processed(**base, reason=f"unsafe_yaml: {unsafe}")
    base["content_kind"] = classify.content_kind(language, text)
    reason = filters.minified_reason(language, lines, filter_params) or filters.text_reason(
        text, lines, filter_params, language
    )
    if reason:
        return Processed(**base, reason=reason)
    clean, redactions = scrub(text, language)
    if language == "python" and filter_params.reject_syntax_errors:
        reason = _syntax_reason(clean)
        if reason:
            return Processed(**base, reason=reason, redactions=redactions)
    return Processed(
        **base,
        text=clean,
        redactions=redactions,
        content_sha256=dedup.normalised_sha256(clean),
        signature=dedup.signature(clean, dedup_params, language),
    )
