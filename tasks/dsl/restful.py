"""RESTful style lint over parsed API table rows: a separate concern from the table's validity."""

from __future__ import annotations

import re

from tasks.dsl.jsonlike import split_top_level
from tasks.dsl.problems import Problem

# Every rule lint names (the prefix of each problem's message).
RULES = (
    "verb-in-path", "method-contradicts-action", "plural-collection", "success-code",
    "case-style", "trailing-slash", "param-naming", "body-on-get-or-delete",
)  # fmt: skip
# A path segment whose first word is one of these names an action, not a resource.
VERBS = frozenset(
    {
        "get",
        "fetch",
        "retrieve",
        "read",
        "list",
        "find",
        "create",
        "add",
        "insert",
        "make",
        "post",
        "put",
        "update",
        "modify",
        "edit",
        "change",
        "set",
        "patch",
        "delete",
        "remove",
        "destroy",
        "erase",
        "save",
        "do",
        "execute",
        "perform",
    }
)
# What HTTP methods a verb in a path may come with; any other method contradicts the action
# (`GET /deletePost`). Verbs that name no one action (do, execute, ...) and the method names
# themselves (a `post` is also a resource) are left out.
METHODS_OF_VERB = {
    **dict.fromkeys(("get", "fetch", "retrieve", "read", "list", "find"), {"GET", "HEAD"}),
    **dict.fromkeys(("create", "add", "insert", "make", "save"), {"POST", "PUT"}),
    **dict.fromkeys(("update", "modify", "edit", "change", "set"), {"PUT", "PATCH", "POST"}),
    **dict.fromkeys(("delete", "remove", "destroy", "erase"), {"DELETE", "POST"}),
}
# Success codes that contradict the method: a read creates nothing and returns a body; a delete
# creates nothing.
CONTRADICTING_SUCCESS = {"GET": {"201", "204"}, "HEAD": {"201"}, "DELETE": {"201"}}
# Singletons and non-collection segments that are fine in singular form.
SINGULAR_OK = frozenset(
    {
        "me",
        "self",
        "current",
        "status",
        "health",
        "search",
        "config",
        "configuration",
        "settings",
        "profile",
        "info",
        "information",
        "data",
        "metadata",
        "media",
        "news",
        "series",
        "species",
        "feedback",
        "software",
        "equipment",
        "staff",
        "login",
        "logout",
        "auth",
        "admin",
        "summary",
        "stats",
        "statistics",
        "analytics",
        "history",
    }
)
IRREGULAR_PLURALS = {
    "person": "people",
    "child": "children",
    "man": "men",
    "woman": "women",
    "mouse": "mice",
    "goose": "geese",
    "foot": "feet",
    "tooth": "teeth",
    "criterion": "criteria",
    "datum": "data",
    "analysis": "analyses",
    "index": "indices",
    "matrix": "matrices",
    "vertex": "vertices",
    "leaf": "leaves",
    "life": "lives",
    "knife": "knives",
}
_KEBAB = re.compile(r"[a-z0-9]+(?:[-.][a-z0-9]+)*")
_PARAMETER = re.compile(r"\{([^{}]*)\}")
_LOWER_CAMEL = re.compile(r"[a-z][a-zA-Z0-9]*")


def _words(segment: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", segment)
    return [word.lower() for word in re.split(r"[-_.\s]+", spaced) if word]


def plural_noun(noun: str) -> str:
    """The plural of an English noun (regular rules plus common irregular ones)."""
    if noun in IRREGULAR_PLURALS:
        return IRREGULAR_PLURALS[noun]
    if re.search(r"[^aeiou]y$", noun):
        return noun[:-1] + "ies"
    if re.search(r"(s|x|z|ch|sh)$", noun):
        return noun + "es"
    return noun + "s"


def _is_plural(noun: str) -> bool:
    if noun in SINGULAR_OK or noun in IRREGULAR_PLURALS.values():
        return True
    if noun in IRREGULAR_PLURALS:
        return False
    # `address`, `status`, `analysis` end in s but are singular.
    return noun.endswith("s") and not re.search(r"(ss|us|is)$", noun)


def _case_style(segment: str) -> str:
    if "_" in segment:
        return "snake_case"
    if segment.isupper():
        return "UPPER case"
    if re.fullmatch(r"[a-z][a-zA-Z0-9]*", segment):
        return "camelCase"
    if re.fullmatch(r"[A-Z][a-zA-Z0-9]*", segment):
        return "PascalCase"
    return "not kebab-case"


def _camel(name: str) -> str:
    words = _words(name)
    return words[0] + "".join(word.title() for word in words[1:]) if words else name


def _path_problems(api: str) -> list[str]:
    problems = []
    if len(api) > 1 and api.endswith("/"):
        problems.append(f"trailing-slash: path '{api}' ends with '/'; drop it")
    segments = [segment for segment in api.split("/") if segment]
    for index, segment in enumerate(segments):
        if "{" in segment:
            for name in _PARAMETER.findall(segment):
                if not _LOWER_CAMEL.fullmatch(name):
                    problems.append(
                        f"param-naming: path parameter '{{{name}}}' should be lowerCamelCase, "
                        f"e.g. '{{{_camel(name)}}}'"
                    )
            continue
        words = _words(segment)
        if words and words[0] in VERBS:
            problems.append(
                f"verb-in-path: segment '{segment}' names an action ('{words[0]}'); "
                "let the HTTP method carry the verb and name the resource"
            )
        if not _KEBAB.fullmatch(segment):
            problems.append(
                f"case-style: segment '{segment}' is {_case_style(segment)}; "
                f"use kebab-case, e.g. '{'-'.join(words)}'"
            )
        followed_by_id = index + 1 < len(segments) and segments[index + 1].startswith("{")
        if followed_by_id and words and words[-1] not in VERBS and not _is_plural(words[-1]):
            plural = "-".join([*words[:-1], plural_noun(words[-1])])
            problems.append(
                f"plural-collection: segment '{segment}' is followed by an id; "
                f"name the collection in plural, e.g. '{plural}'"
            )
    return problems


def _has_body(request: str) -> bool:
    return any(part.startswith("body ") for part in split_top_level(request, ";"))


def _method_problems(api: str, method: str) -> list[str]:
    """A verb in the path that the method contradicts (`GET /deletePost`)."""
    problems = []
    for segment in api.split("/"):
        words = _words(segment) if segment and "{" not in segment else []
        allowed = METHODS_OF_VERB.get(words[0]) if words else None
        if allowed and method and method not in allowed:
            problems.append(
                f"method-contradicts-action: {method} on '{segment}' ('{words[0]}' is done with "
                f"{' or '.join(sorted(allowed))})"
            )
    return problems


def _success_problems(method: str, response: str) -> list[str]:
    codes = re.findall(r"(?:^|;)\s*(\d{3})\b", response)
    return [
        f"success-code: {code} contradicts {method} (nothing is created"
        + (" and a read returns a body)" if method == "GET" and code == "204" else ")")
        for code in codes
        if code in CONTRADICTING_SUCCESS.get(method, ())
    ]


def lint(rows: list[dict[str, str]]) -> list[Problem]:
    """RESTful style problems of rows from api_table.parse_table, each naming its rule."""
    problems = []
    for index, row in enumerate(rows, 1):
        section = row.get("section")
        where = f"section '{section}', " if section else ""
        where += f"row {row.get('row') or index}"
        api, method = row.get("API", ""), row.get("Method", "")
        problems += [Problem(f"{where}, column API", message) for message in _path_problems(api)]
        problems += [
            Problem(f"{where}, column Method", message) for message in _method_problems(api, method)
        ]
        problems += [
            Problem(f"{where}, column Response", message)
            for message in _success_problems(method, row.get("Response", ""))
        ]
        if method in ("GET", "DELETE") and _has_body(row.get("Request", "")):
            message = f"body-on-get-or-delete: {method} requests should not carry a body"
            problems.append(Problem(f"{where}, column Request", message))
    return problems
