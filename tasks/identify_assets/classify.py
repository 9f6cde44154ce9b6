"""What a file is: its language (name, extension, shebang) and its kind of software asset.

Kinds that content decides (OpenAPI / Swagger, Postman collections, PlantUML, user stories)
are found by `content_kind`; the rest (source vs test, doc, other) follow the path's
per-language conventions in `path_kind`. Splitting the two lets step 1 cache the content part
by content hash.
"""

from __future__ import annotations

import io
import json
import os
import re
import tokenize
from dataclasses import dataclass
from typing import Literal

import yaml

from tasks.languages import CODE_LANGUAGES

# Every kind of asset step 1 gives (expectations/assets.json lists the same set: a test checks).
AssetKind = Literal[
    "source", "test", "openapi", "postman", "user_story", "plantuml", "doc", "other"
]

LANGUAGE_BY_SUFFIX = {
    ".java": "java", ".kt": "kotlin", ".kts": "kotlin", ".scala": "scala", ".groovy": "groovy",
    ".gradle": "groovy", ".py": "python", ".pyi": "python", ".js": "javascript",
    ".mjs": "javascript", ".cjs": "javascript", ".jsx": "javascript", ".ts": "typescript",
    ".tsx": "typescript", ".go": "go", ".rs": "rust", ".cs": "csharp", ".rb": "ruby",
    ".php": "php", ".swift": "swift", ".c": "c", ".h": "c", ".cc": "cpp", ".cpp": "cpp",
    ".hpp": "cpp", ".sql": "sql", ".sh": "shell", ".bash": "shell", ".ps1": "powershell",
    ".yaml": "yaml", ".yml": "yaml", ".json": "json", ".xml": "xml", ".toml": "toml",
    ".ini": "ini", ".cfg": "ini", ".conf": "ini", ".properties": "properties",
    ".env": "dotenv", ".html": "html", ".htm": "html", ".css": "css", ".scss": "css",
    ".feature": "gherkin", ".md": "markdown", ".markdown": "markdown",
    ".rst": "restructuredtext", ".adoc": "asciidoc", ".txt": "text", ".puml": "plantuml",
    ".plantuml": "plantuml", ".pu": "plantuml", ".iuml": "plantuml", ".graphql": "graphql",
    ".graphqls": "graphql", ".gql": "graphql",
}  # fmt: skip
LANGUAGE_BY_NAME = {
    "Dockerfile": "dockerfile", "Makefile": "make", "Jenkinsfile": "groovy", ".env": "dotenv",
    "requirements.txt": "text",
}  # fmt: skip
DOC_LANGUAGES = frozenset({"markdown", "restructuredtext", "asciidoc", "text"})
WEB_LANGUAGES = frozenset({"javascript", "typescript", "css", "html", "json"})
_SHEBANGS = {
    "python": "python", "bash": "shell", "sh": "shell", "zsh": "shell", "node": "javascript",
    "ruby": "ruby", "php": "php",
}  # fmt: skip

_STORY_EN = re.compile(
    r"^\W*As an? .+$\n(?:.*\n){0,3}?^\W*I want .+$\n(?:.*\n){0,3}?^\W*So that\b", re.M | re.I
)
_STORY_ZH = re.compile(r"^\W*作为.+$\n(?:.*\n){0,3}?^\W*我想.+$\n(?:.*\n){0,3}?^\W*以便于?", re.M)
_POSTMAN_SCHEMA = re.compile(r"getpostman\.com/json/collection/v2\.\d")
try:  # libyaml when available: ten times faster on large specs
    _YAML_LOADER = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _YAML_LOADER = yaml.SafeLoader


def language_by_path(path: str) -> str | None:
    """Language from the file name or extension alone, None when they say nothing."""
    name = path.rsplit("/", 1)[-1]
    return LANGUAGE_BY_NAME.get(name) or LANGUAGE_BY_SUFFIX.get(os.path.splitext(name)[1].lower())


def language_of(path: str, head: str) -> str:
    """Language from the name or extension, else from a shebang line, else 'unknown'."""
    return language_by_path(path) or language_from_shebang(head)


def language_from_shebang(head: str) -> str:
    """Language of a `#!` interpreter line ('unknown' without one)."""
    if not head.startswith("#!"):
        return "unknown"
    words = head.split("\n", 1)[0][2:].strip().split()
    if not words:
        return "unknown"
    program = words[0].rsplit("/", 1)[-1]
    if program == "env":
        program = next((w for w in words[1:] if not w.startswith("-")), "")
    for prefix, language in _SHEBANGS.items():
        if program.startswith(prefix):
            return language
    return "unknown"


def is_test_path(path: str, language: str) -> bool:
    """Per-language test conventions (Maven/Gradle layout, pytest, Jest, Go, RSpec, NUnit)."""
    *folders, name = path.split("/")
    stem = os.path.splitext(name)[0]
    if language in {"java", "kotlin", "scala", "groovy"}:
        in_test_tree = any(folders[i : i + 2] == ["src", "test"] for i in range(len(folders)))
        return in_test_tree or stem.endswith(("Test", "Tests", "IT", "Spec"))
    if language == "python":
        return (
            name.startswith("test_")
            or name.endswith("_test.py")
            or name == "conftest.py"
            or "tests" in folders
            or "test" in folders
        )
    if language in {"javascript", "typescript"}:
        # Jest/Vitest `x.test.ts`, Angular `x.spec.ts` / `app.e2e-spec.ts`, Cypress `x.cy.ts`,
        # Jest's `__tests__/` and Mocha's default top-level `test/` folder.
        return (
            re.search(r"[.-](test|spec)\.|\.cy\.", name) is not None
            or "__tests__" in folders
            or folders[:1] in (["test"], ["tests"])
        )
    if language == "go":
        return name.endswith("_test.go")
    if language == "ruby":
        return name.endswith("_spec.rb") or "spec" in folders
    if language == "csharp":
        return stem.endswith(("Test", "Tests"))
    return "tests" in folders or "test" in folders


def _structured(text: str, language: str) -> dict | None:
    try:
        data = json.loads(text) if language == "json" else yaml.load(text, _YAML_LOADER)
    except (ValueError, yaml.YAMLError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def api_kind(text: str, language: str) -> AssetKind | None:
    """'openapi' for Swagger 2.0 / OpenAPI 3.x, 'postman' for a v2.x collection, else None."""
    if language not in {"yaml", "json"}:
        return None
    head = text[:4096]
    if "swagger" not in head and "openapi" not in head and "getpostman" not in text:
        return None  # cheap test first: most YAML and JSON files are neither
    data = _structured(text, language)
    if data is None:
        return None
    swagger, openapi = str(data.get("swagger", "")), str(data.get("openapi", ""))
    if (swagger.startswith("2.") or openapi.startswith("3.")) and isinstance(
        data.get("info"), dict
    ):
        return "openapi"
    info = data.get("info")
    if isinstance(info, dict) and _POSTMAN_SCHEMA.search(str(info.get("schema", ""))):
        return "postman"
    return None


def content_kind(language: str, text: str) -> AssetKind | None:
    """The kind when the content alone decides it, else None (the path decides)."""
    if language == "gherkin":
        return "user_story"
    if language == "plantuml" or text.lstrip().startswith("@startuml"):
        return "plantuml"
    api = api_kind(text, language)
    if api:
        return api
    if language in DOC_LANGUAGES and (_STORY_EN.search(text) or _STORY_ZH.search(text)):
        return "user_story"
    return None


def path_kind(path: str, language: str) -> AssetKind:
    """source / test / doc / other from the language and the path's conventions."""
    if language in CODE_LANGUAGES:
        return "test" if is_test_path(path, language) else "source"
    if language in DOC_LANGUAGES:
        return "doc"
    return "other"


def kind_of(path: str, language: str, text: str) -> AssetKind:
    """Classify one file: source, test, openapi, postman, user_story, plantuml, doc or other."""
    return content_kind(language, text) or path_kind(path, language)


@dataclass(frozen=True)
class CommentSyntax:
    """How a language writes comments, and the strings that can hide a comment leader."""

    line: tuple[str, ...] = ()
    blocks: tuple[tuple[str, str], ...] = ()
    quotes: tuple[str, ...] = ('"', "'")


_C_LIKE = CommentSyntax(("//",), (("/*", "*/"),))
_HASH = CommentSyntax(("#",))
_MARKUP = CommentSyntax(blocks=(("<!--", "-->"),), quotes=())
COMMENT_SYNTAX = {
    **dict.fromkeys(("java", "kotlin", "scala", "groovy", "csharp", "swift", "c", "cpp"), _C_LIKE),
    **dict.fromkeys(("javascript", "typescript", "go"), CommentSyntax(
        ("//",), (("/*", "*/"),), ('"', "'", "`"))),
    "rust": CommentSyntax(("//",), (("/*", "*/"),), ('"',)),  # 'a is a lifetime, not a quote
    "php": CommentSyntax(("//", "#"), (("/*", "*/"),)),
    "css": CommentSyntax(blocks=(("/*", "*/"),)),
    "json": _C_LIKE,  # JSON with comments (tsconfig, VS Code settings)
    "sql": CommentSyntax(("--",), (("/*", "*/"),)),
    **dict.fromkeys(("shell", "ruby", "yaml", "toml", "dotenv", "make", "dockerfile", "graphql",
                     "gherkin", "text"), _HASH),
    "powershell": CommentSyntax(("#",), (("<#", "#>"),)),
    "ini": CommentSyntax(("#", ";"), quotes=()),
    "properties": CommentSyntax(("#", "!"), quotes=()),
    **dict.fromkeys(("xml", "html", "markdown"), _MARKUP),
    "plantuml": CommentSyntax(("'",), (("/'", "'/"),), ('"',)),
}  # fmt: skip
# Unknown languages: any common leader (a generated marker must still sit in a comment).
_SPACES = re.compile(r"\s*")
_ANY = CommentSyntax(("#", "//", "--", ";"), (("/*", "*/"), ("<!--", "-->")))


def _python_comments(text: str) -> list[str]:
    found: list[str] = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.COMMENT:
                found.append(token.string[1:])
    except (tokenize.TokenError, SyntaxError):  # the cut ended inside a string or bracket
        pass
    return found


def _string_end(text: str, start: int, quote: str) -> int:
    """Offset after the string opened just before `start`; one-line quotes end at the line."""
    at = start
    while True:
        end = text.find(quote, at)
        newline = -1 if quote == "`" else text.find("\n", at)
        if end < 0 or 0 <= newline < end:
            return len(text) if newline < 0 else newline
        body = text[start:end]
        if (len(body) - len(body.rstrip("\\"))) % 2 == 0:  # not an escaped quote
            return end + 1
        at = end + 1


def _comments(text: str, syntax: CommentSyntax) -> list[str]:
    starts = [*syntax.line, *(opening for opening, _ in syntax.blocks), *syntax.quotes]
    closing = dict(syntax.blocks)
    leader = re.compile("|".join(map(re.escape, sorted(starts, key=len, reverse=True))))
    found, at = [], 0
    while match := leader.search(text, at):
        token, start = match.group(), match.end()
        if token in syntax.line:
            end = text.find("\n", start)
            at = end = len(text) if end < 0 else end
        elif token in closing:
            end = text.find(closing[token], start)
            end = len(text) if end < 0 else end
            at = end + len(closing[token])
        else:
            at = _string_end(text, start, token)
            continue
        found.append(text[start:end])
    return found


def _head(text: str, max_lines: int) -> str:
    end = -1
    for _ in range(max_lines):
        end = text.find("\n", end + 1)
        if end < 0:
            return text
    return text[: end + 1]


def header_comments(text: str, language: str, max_lines: int) -> str:
    """The comments in a text's first `max_lines` lines, joined (code and strings left out)."""
    head = _head(text, max_lines)
    if language == "python":
        return "\n".join(_python_comments(head))
    return "\n".join(_comments(head, COMMENT_SYNTAX.get(language, _ANY)))


def _python_code_start(text: str) -> int:
    skipped = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.ENCODING}
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type not in skipped:
                row, column = token.start
                return len(_head(text, row - 1)) + column
    except (tokenize.TokenError, SyntaxError):
        return 0  # not tokenizable: strip nothing
    return len(text)


def code_start(text: str, language: str) -> int:
    """Offset where the code begins after the leading comment block (licence header, shebang);
    0 for a language whose comment syntax is unknown."""
    if language == "python":
        return _python_code_start(text)
    syntax = COMMENT_SYNTAX.get(language)
    if syntax is None:
        return 0
    at = 0
    if text.startswith("#!"):  # a shebang, whatever the language's comments
        newline = text.find("\n")
        at = len(text) if newline < 0 else newline
    while True:
        at = _SPACES.match(text, at).end()
        line = next((lead for lead in syntax.line if text.startswith(lead, at)), None)
        block = next((pair for pair in syntax.blocks if text.startswith(pair[0], at)), None)
        if line is not None:
            end = text.find("\n", at)
            at = len(text) if end < 0 else end
        elif block is not None:
            end = text.find(block[1], at + len(block[0]))
            at = len(text) if end < 0 else end + len(block[1])
        else:
            return at
