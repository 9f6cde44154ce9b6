"""Spring code answers checked strictly: a controller, a service and a MockMvc test class slice.

A slice is one class as a file holds it (annotations, fields, constructor, some methods), without
its package and imports. The checks parse with tree-sitter Java and say where and what is wrong:
- controller: one top-level `@RestController` (or `@Controller` + `@ResponseBody`) class with at
  least one handler (`@GetMapping` & co., `@RequestMapping(method = ...)`); every `{var}` of a
  handler's path (class mapping included) bound by a `@PathVariable` parameter and every
  `@PathVariable` naming a variable of the path; at most one `@RequestBody` per handler;
- service: one top-level `@Service` (or `@Component`) class with a public method that has a body,
  no request mappings, and its repositories injected, not made with `new`;
- controller test: one top-level class with a `@Test` method, a `MockMvc` field or
  `@WebMvcTest` / `@AutoConfigureMockMvc`, and every test performing a request with a request
  builder (`perform(get(..))`, `post`, `put`, `patch`, `delete`, `request(HttpMethod.X, ..)`)
  and asserting on it with `andExpect(..)`.

The routes a controller maps and the requests a test performs are read here too: build_dataset
pairs each test with the handlers it exercises (`routes_match`: a variable matches any segment).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tree_sitter import Node

from tasks.dsl.java_units import (
    JAVA_PARSER,
    TEST_ANNOTATIONS,
    annotation_nodes,
    annotation_values,
    annotations,
    syntax_problems,
    walk,
)
from tasks.dsl.problems import Problem
from tasks.dsl.spring import MAPPINGS, join_path

REQUEST_BUILDERS = {verb.lower(): verb for verb in ("GET", "POST", "PUT", "PATCH", "DELETE")}
SERVICE_MARKS = frozenset({"Service", "Component"})
MOCKMVC_MARKS = frozenset({"WebMvcTest", "AutoConfigureMockMvc"})
_HANDLER_WORDS = "@GetMapping, @PostMapping, @PutMapping, @PatchMapping, @DeleteMapping or "
_HANDLER_WORDS += "@RequestMapping(method = ...)"
_BUILDER_WORDS = "get, post, put, patch, delete or request(HttpMethod.X, ...)"
_PATH_VARIABLE = re.compile(r"\{\*?\s*(\w+)\s*(?::[^{}]*)?\}")


@dataclass(frozen=True)
class Route:
    """An HTTP method and a path template (`{var}` for a variable, `{}` for an unknown part)."""

    method: str
    path: str


def _text(node: Node | None) -> str:
    return node.text.decode("utf-8", "replace") if node is not None and node.text else ""


def _line(node: Node) -> str:
    """Where a declaration is: the line of its name (after its annotations), else its start."""
    named = node.child_by_field_name("name") or node
    return f"line {named.start_point.row + 1}"


def _name(node: Node) -> str:
    return _text(node.child_by_field_name("name"))


def _literal(node: Node) -> str | None:
    """A string literal's text; a `+` concatenation with `{}` for its non-literal parts."""
    if node.type == "string_literal":
        return "".join(_text(c) for c in node.named_children if c.type == "string_fragment")
    if node.type == "binary_expression" and _text(node.child_by_field_name("operator")) == "+":
        left = _literal(node.child_by_field_name("left"))
        right = _literal(node.child_by_field_name("right"))
        return (left if left is not None else "{}") + (right if right is not None else "{}")
    if node.type == "parenthesized_expression" and node.named_children:
        return _literal(node.named_children[0])
    return None


def is_controller(node: Node) -> bool:
    """Whether a class declaration is a REST controller."""
    marks = set(annotations(node))
    return "RestController" in marks or {"Controller", "ResponseBody"} <= marks


def class_paths(node: Node) -> list[str | None]:
    """The paths of a class's `@RequestMapping` ([""] without one; None: not a literal)."""
    mapping = annotation_nodes(node).get("RequestMapping")
    values = annotation_values(mapping).get("value", []) if mapping is not None else []
    return [_literal(value) for value in values] or [""]


@dataclass(frozen=True)
class Mapping:
    """A handler method's mapping: its annotation, HTTP methods (none: every one) and paths."""

    annotation: str
    verbs: tuple[str, ...]
    paths: tuple[str | None, ...]  # None: a path that is not a literal (a constant)


def mapping_of(method: Node) -> Mapping | None:
    """The request mapping of a method declaration, None when it has none."""
    found = annotation_nodes(method)
    for name, verb in MAPPINGS.items():
        if (annotation := found.get(name)) is None:
            continue
        arguments = annotation_values(annotation)
        verbs = (verb,) if verb else tuple(
            _text(n).rsplit(".", 1)[-1] for n in arguments.get("method", [])
        )  # fmt: skip
        paths = tuple(_literal(value) for value in arguments.get("value", [])) or ("",)
        return Mapping(name, verbs, paths)
    return None


def handler_routes(method: Node, bases: list[str | None]) -> list[Route]:
    """The routes a handler method maps, its class's paths joined in (none: not a handler;
    `*` for a `@RequestMapping` that names no method)."""
    mapping = mapping_of(method)
    if mapping is None:
        return []
    return [
        Route(verb, join_path(base, path))
        for verb in mapping.verbs or ("*",)
        for base in bases
        for path in mapping.paths
        if base is not None and path is not None  # a constant: the path is unknown
    ]


def _request_builder(argument: Node) -> Route | None:
    """The request a `perform(...)` argument builds: `post("/x/{id}", id).content(..)`."""
    node = argument
    while node.type == "method_invocation":
        inner = node.child_by_field_name("object")
        if inner is None or inner.type != "method_invocation":
            break
        node = inner
    if node.type != "method_invocation":
        return None
    receiver = node.child_by_field_name("object")
    if receiver is not None and _text(receiver).rsplit(".", 1)[-1] != "MockMvcRequestBuilders":
        return None
    name = _name(node)
    arguments = node.child_by_field_name("arguments")
    values = [a for a in arguments.named_children if "comment" not in a.type] if arguments else []
    if name in REQUEST_BUILDERS:
        verb, path_node = REQUEST_BUILDERS[name], values[0] if values else None
    elif name == "request" and len(values) >= 2:
        verb, path_node = _text(values[0]).rsplit(".", 1)[-1].upper(), values[1]
    else:
        return None
    path = _literal(path_node) if path_node is not None else None
    return Route(verb, path.split("?", 1)[0] if path is not None else "")


def performed_requests(node: Node) -> list[Route | None]:
    """Per `perform(...)` call under a node, in order: the request it builds (None: no builder).

    A path that is not a literal (a variable, a `URI`) is "".
    """
    found = []
    for child in walk(node):
        if child.type == "method_invocation" and _name(child) == "perform":
            arguments = child.child_by_field_name("arguments")
            first = arguments.named_children[0] if arguments and arguments.named_children else None
            found.append(_request_builder(first) if first is not None else None)
    return found


def _segments(path: str) -> list[str]:
    return [part for part in path.split("/") if part]


def routes_match(request: Route, route: Route) -> bool:
    """Whether a performed request reaches a mapped route: same method, same segments, where a
    variable (`{id}`, or `{}` for an unknown part) on either side matches any segment."""
    if route.method not in (request.method, "*") or not request.path:
        return False
    asked, mapped = _segments(request.path), _segments(route.path)
    return len(asked) == len(mapped) and all(
        a == b or "{" in a or "{" in b for a, b in zip(asked, mapped, strict=True)
    )


def parse_class_file(code: str) -> tuple[Node, list[Problem]]:
    """The syntax tree of a Java file (or class slice) and its syntax problems."""
    root = JAVA_PARSER.parse(code.encode("utf-8")).root_node
    return root, syntax_problems(root, last_line=max(1, len(code.splitlines())))


def _java(output: str, language: str) -> tuple[Node | None, list[Problem]]:
    if language != "java":
        return None, [Problem("language", f"expected java, not {language!r}")]
    if not output.strip():
        return None, [Problem("output", "empty")]
    return parse_class_file(output)


def _top_classes(root: Node) -> list[Node]:
    return [node for node in root.named_children if node.type == "class_declaration"]


def _members(node: Node, kind: str) -> list[Node]:
    body = node.child_by_field_name("body")
    return [m for m in body.named_children if m.type == kind] if body is not None else []


def _one(classes: list[Node], what: str, kind: str) -> tuple[Node | None, list[Problem]]:
    if not classes:
        return None, [Problem("code", f"no top-level class annotated {what}")]
    if len(classes) > 1:
        names = ", ".join(f"'{_name(node)}'" for node in classes)
        message = f"{len(classes)} top-level {kind} classes ({names}); a slice is one class"
        return None, [Problem(_line(classes[1]), message)]
    return classes[0], []


def _path_variable(parameter: Node) -> tuple[str, bool] | None:
    """(name, binds every variable) of a `@PathVariable` parameter, None for another one."""
    annotation = annotation_nodes(parameter).get("PathVariable")
    if annotation is None:
        return None
    arguments = annotation_values(annotation)
    named = [_literal(n) for n in arguments.get("value", []) + arguments.get("name", [])]
    kind = _text(parameter.child_by_field_name("type")).split("<", 1)[0].rsplit(".", 1)[-1]
    name = next((n for n in named if n), _name(parameter))
    return name, kind in ("Map", "MultiValueMap")


def _handler_problems(method: Node, mapping: Mapping, bases: list[str | None]) -> list[Problem]:
    where, name = _line(method), _name(method)
    problems = []
    if mapping.annotation == "RequestMapping" and not mapping.verbs:
        message = f"handler '{name}': @RequestMapping without method = RequestMethod.X maps "
        problems.append(Problem(where, message + "every HTTP method"))
    holder = method.child_by_field_name("parameters")
    parameters = [
        p for p in (holder.named_children if holder else []) if p.type.endswith("parameter")
    ]
    bound = [found for p in parameters if (found := _path_variable(p)) is not None]
    bodies = sum("RequestBody" in annotation_nodes(p) for p in parameters)
    if bodies > 1:
        message = f"handler '{name}' has {bodies} @RequestBody parameters; a request has one body"
        problems.append(Problem(where, message))
    if any(every for _, every in bound):
        return problems  # `@PathVariable Map<String, String>` binds every variable
    names = {variable for variable, _ in bound}
    for base in bases:
        for path in mapping.paths:
            if base is None or path is None:
                continue  # a constant: its variables are unknown
            whole = join_path(base, path)
            variables = _PATH_VARIABLE.findall(whole)
            for variable in dict.fromkeys(variables):
                if variable not in names:
                    message = f"handler '{name}': path variable {{{variable}}} of '{whole}' "
                    problems.append(Problem(where, message + "has no @PathVariable parameter"))
            for variable in sorted(names - set(variables)):
                message = f"handler '{name}': @PathVariable '{variable}' names no variable of "
                problems.append(Problem(where, message + f"the path '{whole}'"))
    return problems


def validate_controller(output: str, language: str, method: str | None = None) -> list[Problem]:
    """Problems of a controller slice: syntax, the controller class, its handlers' mappings and
    parameters (`method`: a handler of that name must be among them)."""
    root, problems = _java(output, language)
    if root is None or problems:
        return problems
    what = "@RestController (or @Controller and @ResponseBody)"
    controller, problems = _one([c for c in _top_classes(root) if is_controller(c)], what, "REST")
    if controller is None:
        return problems
    bases = class_paths(controller)
    handlers = [
        (node, mapping)
        for node in _members(controller, "method_declaration")
        if (mapping := mapping_of(node)) is not None
    ]
    if not handlers:
        message = f"class '{_name(controller)}' has no handler method ({_HANDLER_WORDS})"
        return [Problem(_line(controller), message)]
    for node, mapping in handlers:
        problems += _handler_problems(node, mapping, bases)
    names = [_name(node) for node, _ in handlers]
    if method and method not in names:
        found = ", ".join(names)
        problems.append(Problem("code", f"no handler method named '{method}' (found: {found})"))
    return problems


def modifier_words(node: Node) -> set[str]:
    """The modifiers of a declaration as written: `public`, `static`, annotations."""
    modifiers = next((child for child in node.children if child.type == "modifiers"), None)
    return {_text(child) for child in modifiers.children} if modifiers is not None else set()


def validate_service(output: str, language: str, method: str | None = None) -> list[Problem]:
    """Problems of a service slice: syntax, the `@Service` class, a public method with a body
    (`method`: one of that name), no request mappings, repositories injected, not made."""
    root, problems = _java(output, language)
    if root is None or problems:
        return problems
    found = [c for c in _top_classes(root) if SERVICE_MARKS & set(annotations(c))]
    service, problems = _one(found, "@Service (or @Component)", "@Service")
    if service is None:
        return problems
    name = _name(service)
    web = sorted({"RestController", "Controller", "RequestMapping"} & set(annotations(service)))
    if web:
        marks = ", ".join(f"@{mark}" for mark in web)
        message = f"class '{name}' is annotated {marks}: a service handles no requests"
        problems.append(Problem(_line(service), message))
    methods = _members(service, "method_declaration")
    public = [m for m in methods if "public" in modifier_words(m) and m.child_by_field_name("body")]
    if not public:
        problems.append(Problem(_line(service), f"class '{name}' has no public method with a body"))
    for node in methods:
        if (mapping := mapping_of(node)) is not None:
            message = f"method '{_name(node)}' is annotated @{mapping.annotation}: request "
            problems.append(Problem(_line(node), message + "mappings belong in a controller"))
    for node in walk(service):
        if node.type == "object_creation_expression":
            made = _text(node.child_by_field_name("type")).split("<", 1)[0].rsplit(".", 1)[-1]
            if made.endswith("Repository"):
                message = f"'new {made}(...)': a service gets its repositories injected "
                message += "(a constructor parameter kept in a field)"
                problems.append(Problem(_line(node), message))
    if method and method not in [_name(m) for m in public]:
        names = ", ".join(_name(m) for m in public) or "none"
        message = f"no public method named '{method}' (found: {names})"
        problems.append(Problem("code", message))
    return problems


def test_methods(node: Node) -> list[Node]:
    """The `@Test` (`@ParameterizedTest`, `@RepeatedTest`) methods of a class and its nested
    classes."""
    return [
        child
        for child in walk(node)
        if child.type == "method_declaration" and TEST_ANNOTATIONS & set(annotations(child))
    ]


def uses_mockmvc(node: Node) -> bool:
    """Whether a test class drives MockMvc: a `MockMvc` field or `@WebMvcTest` & co."""
    if MOCKMVC_MARKS & set(annotations(node)):
        return True
    return any(
        child.type == "field_declaration"
        and _text(child.child_by_field_name("type")).rsplit(".", 1)[-1] == "MockMvc"
        for child in walk(node)
    )


def _calls(node: Node, name: str) -> bool:
    return any(c.type == "method_invocation" and _name(c) == name for c in walk(node))


def validate_controller_test(
    output: str, language: str, method: str | None = None
) -> list[Problem]:
    """Problems of a MockMvc test class slice: syntax, one class with `@Test` methods and MockMvc,
    each test performing a request with a request builder and asserting with `andExpect`
    (`method`: a test of that name must be among them)."""
    root, problems = _java(output, language)
    if root is None or problems:
        return problems
    classes = _top_classes(root)
    if not classes:
        return [Problem("code", "no top-level class")]
    if len(classes) > 1:
        names = ", ".join(f"'{_name(node)}'" for node in classes)
        message = f"{len(classes)} top-level classes ({names}); a test slice is one class"
        return [Problem(_line(classes[1]), message)]
    test_class = classes[0]
    tests = test_methods(test_class)
    name = _name(test_class)
    if not tests:
        return [Problem(_line(test_class), f"class '{name}' has no @Test method")]
    if not uses_mockmvc(test_class):
        message = f"class '{name}' has no MockMvc field and no @WebMvcTest or @AutoConfigureMockMvc"
        problems.append(Problem(_line(test_class), message))
    for test in tests:
        requests = performed_requests(test)
        if not requests:
            message = f"test '{_name(test)}' performs no request (mockMvc.perform(...))"
            problems.append(Problem(_line(test), message))
        elif not any(requests):
            message = f"test '{_name(test)}' calls perform(...) without a request builder "
            problems.append(Problem(_line(test), message + f"({_BUILDER_WORDS})"))
        if not _calls(test, "andExpect"):
            message = f"test '{_name(test)}' asserts nothing on the response (no andExpect(...))"
            problems.append(Problem(_line(test), message))
    if method and method not in [_name(test) for test in tests]:
        found = ", ".join(_name(test) for test in tests)
        problems.append(Problem("code", f"no test method named '{method}' (found: {found})"))
    return problems
