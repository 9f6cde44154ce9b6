"""What a file is: its language (extension, shebang) and its kind of software asset."""

from __future__ import annotations

import json
import re
from pathlib import PurePosixPath

import yaml

KINDS = ("source", "test", "openapi", "postman", "user_story", "plantuml", "doc", "other")

LANGUAGE_BY_SUFFIX = {
    ".java": "java",
    ".kt": "kotlin",
    ".py": "python",
    ".js": "javascript",
    ".mjs": "javascript",
    ".ts": "typescript",
    ".go": "go",
    ".rs": "rust",
    ".cs": "csharp",
    ".rb": "ruby",
    ".sql": "sql",
    ".sh": "shell",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".json": "json",
    ".xml": "xml",
    ".toml": "toml",
    ".feature": "gherkin",
    ".md": "markdown",
    ".rst": "restructuredtext",
    ".txt": "text",
    ".puml": "plantuml",
    ".plantuml": "plantuml",
    ".pu": "plantuml",
}
CODE_LANGUAGES = {
    "java", "kotlin", "python", "javascript", "typescript", "go", "rust", "csharp", "ruby",
    "sql", "shell",
}  # fmt: skip
DOC_LANGUAGES = {"markdown", "restructuredtext", "text"}
_SHEBANGS = {"python": "python", "bash": "shell", "sh": "shell", "node": "javascript"}

_STORY_EN = re.compile(r"^\s*[-*]?\s*As an? .+$\n(?:.*\n)*?^\s*[-*]?\s*I want .+$", re.M)
_STORY_ZH = re.compile(r"^\s*[-*]?\s*作为.+$\n(?:.*\n)*?^\s*[-*]?\s*我想.+$", re.M)


def language_of(path: str, head: str) -> str:
    """Language from the file extension, else from a shebang line, else 'unknown'."""
    suffix = PurePosixPath(path).suffix.lower()
    if suffix in LANGUAGE_BY_SUFFIX:
        return LANGUAGE_BY_SUFFIX[suffix]
    if head.startswith("#!"):
        interpreter = head.splitlines()[0].rsplit("/", 1)[-1].split()
        name = interpreter[-1] if interpreter and interpreter[0] == "env" else interpreter[0]
        for prefix, language in _SHEBANGS.items():
            if name.startswith(prefix):
                return language
    return "unknown"


def is_test_path(path: str, language: str) -> bool:
    """Per-language test conventions (Maven/Gradle layout, pytest, Jest)."""
    parts = PurePosixPath(path).parts
    name = parts[-1]
    if language in {"java", "kotlin"}:
        stem = PurePosixPath(name).stem
        in_test_tree = "/".join(parts).find("src/test/") >= 0
        return in_test_tree or stem.endswith(("Test", "Tests", "IT"))
    if language == "python":
        return name.startswith("test_") or name.endswith("_test.py") or "tests" in parts[:-1]
    if language in {"javascript", "typescript"}:
        return ".test." in name or ".spec." in name or "__tests__" in parts
    if language == "go":
        return name.endswith("_test.go")
    return "tests" in parts[:-1] or "test" in parts[:-1]


def _structured(text: str, language: str) -> dict | None:
    try:
        data = json.loads(text) if language == "json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError):
        return None
    return data if isinstance(data, dict) else None


def api_kind(text: str, language: str) -> str | None:
    """'openapi' for Swagger 2.0 / OpenAPI 3.x, 'postman' for a v2.x collection, else None."""
    if language not in {"yaml", "json"}:
        return None
    data = _structured(text, language)
    if data is None:
        return None
    if str(data.get("swagger", "")).startswith("2") or str(data.get("openapi", "")).startswith("3"):
        return "openapi"
    schema = str((data.get("info") or {}).get("schema", ""))
    if "getpostman.com" in schema and "collection/v2" in schema:
        return "postman"
    return None


def kind_of(path: str, language: str, text: str) -> str:
    """Classify one file into one of KINDS."""
    if language == "gherkin":
        return "user_story"
    if language == "plantuml" or text.lstrip().startswith("@startuml"):
        return "plantuml"
    api = api_kind(text, language)
    if api:
        return api
    if language in CODE_LANGUAGES:
        return "test" if is_test_path(path, language) else "source"
    if language in DOC_LANGUAGES:
        return "user_story" if _STORY_EN.search(text) or _STORY_ZH.search(text) else "doc"
    return "other"
