"""What a Spring handler method answers, read from the values its `return` statements build.

Where a handler is declared as `ResponseEntity<?>`, a raw `ResponseEntity` or `Object`, its
body only shows in the code: `ResponseEntity.ok(x)`, `ResponseEntity.status(201).body(x)`,
`new ResponseEntity<>(x, CREATED)`, a private helper building `Map.of("user", data)` or an
anonymous `new HashMap<>() {{ put("user", data); }}`, `optional.map(this::toResponse)`, a
service call whose declared return type is a DTO. Each return becomes an `Outcome`: its status
(None for the handler's default) and its body (a Java type, a `Rendered` notation, or None).
Expressions it cannot type stay None, so that nothing is invented.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from http import HTTPStatus

from tree_sitter import Node

from tasks.dsl.code_model import ClassUnit
from tasks.dsl.spring_types import JavaTypes, Rendered, split_generic

_BUILDERS = {
    "ok": 200, "created": 201, "accepted": 202, "noContent": 204, "badRequest": 400,
    "notFound": 404, "unprocessableEntity": 422, "internalServerError": 500,
}  # fmt: skip
_MAP_TYPES = {"Map", "HashMap", "LinkedHashMap", "TreeMap", "ConcurrentHashMap"}
_OPTIONAL_TAKE = {"get", "orElseThrow", "orElse", "orElseGet", "join", "block"}
_STRING_CALLS = {"getMessage", "getLocalizedMessage", "toString", "name", "getName"}
_MAX_DEPTH = 12


@dataclass(frozen=True)
class Entity:
    """A `ResponseEntity` being built: its status (None: unknown) and body (None: none)."""

    status: int | None
    body: object = None


@dataclass(frozen=True)
class Optional:
    """An `Optional` (or a `Mono`) of a value."""

    inner: object = None


@dataclass
class Outcome:
    status: int | None  # None: the handler's default (its @ResponseStatus, else 200)
    body: str | None  # Java type text or a Rendered notation; None: no body or unknown


def text(node: Node | None) -> str:
    return node.text.decode("utf-8", "replace") if node is not None and node.text else ""


def status_code(node: Node | None) -> int | None:
    """The status an argument names: `201`, `HttpStatus.CREATED`, `CREATED`, `valueOf(201)`."""
    if node is None:
        return None
    value = re.sub(r"\s+", "", text(node))
    value = re.sub(r"^HttpStatus(?:Code)?\.valueOf\((\d{3})\)$", r"\1", value)
    name = value.rsplit(".", 1)[-1]
    if re.fullmatch(r"\d{3}", name):
        return int(name)
    return HTTPStatus[name].value if name in HTTPStatus.__members__ else None


def _arguments(node: Node) -> list[Node]:
    holder = node.child_by_field_name("arguments")
    return [n for n in holder.named_children if n.type != "comment"] if holder else []


def _type_head(type_text: str) -> str:
    return split_generic(type_text)[0].rsplit(".", 1)[-1]


def _own_returns(body: Node) -> list[Node]:
    """Expressions of the `return` statements of a body, not those of nested lambdas/classes."""
    found, stack = [], [body]
    while stack:
        node = stack.pop()
        if node.type == "return_statement" and node.named_children:
            found.append(node.named_children[0])
            continue
        if node is not body and node.type in ("lambda_expression", "class_body"):
            continue
        stack.extend(reversed(node.children))
    return found


class Bodies:
    """Types the values a handler's returns build, among the classes of the assets."""

    def __init__(self, types: JavaTypes, declarations: dict[str, Node]) -> None:
        self.types = types
        self.declarations = declarations  # class name -> class_declaration node (with bodies)
        self._depth = 0

    # -- scopes -----------------------------------------------------------------------------

    def _scope(self, method: Node) -> dict[str, object]:
        scope: dict[str, object] = {}
        holder = method.child_by_field_name("parameters")
        for parameter in holder.named_children if holder is not None else []:
            name = parameter.child_by_field_name("name")
            kind = parameter.child_by_field_name("type")
            if name is not None and kind is not None:
                scope[text(name)] = text(kind)
        body = method.child_by_field_name("body")
        stack = [body] if body is not None else []
        while stack:
            node = stack.pop()
            if node.type == "local_variable_declaration":
                kind = text(node.child_by_field_name("type"))
                for declarator in node.children_by_field_name("declarator"):
                    name = text(declarator.child_by_field_name("name"))
                    value = declarator.child_by_field_name("value")
                    scope.setdefault(name, ("var", value) if kind == "var" else kind)
                    maps = _type_head(kind) in _MAP_TYPES or kind == "var"
                    if maps and (puts := self._puts(body, name)):
                        scope[name] = ("puts", puts)
            stack.extend(node.named_children)
        return scope

    @staticmethod
    def _puts(body: Node, name: str) -> list[tuple[str, Node]]:
        """`name.put("key", value)` calls in a body (`put(...)` when name is "")."""
        found, stack = [], [body]
        while stack:
            node = stack.pop()
            if node.type == "method_invocation" and text(node.child_by_field_name("name")) == "put":
                target, args = node.child_by_field_name("object"), _arguments(node)
                if text(target) == name and len(args) == 2 and args[0].type == "string_literal":
                    found.append((text(args[0])[1:-1], args[1]))
            stack.extend(reversed(node.named_children))
        return found

    # -- values ------------------------------------------------------------------------------

    def value(self, node: Node | None, scope: dict[str, object], owner: ClassUnit) -> object:
        """The value an expression builds: Entity, Optional, a type text, Rendered or None."""
        if node is None or self._depth > _MAX_DEPTH:
            return None
        self._depth += 1
        try:
            return self._value(node, scope, owner)
        finally:
            self._depth -= 1

    def _value(self, node: Node, scope: dict[str, object], owner: ClassUnit) -> object:
        kind = node.type
        if kind in ("parenthesized_expression", "expression_statement") and node.named_children:
            return self.value(node.named_children[-1], scope, owner)
        if kind == "cast_expression":
            return text(node.child_by_field_name("type"))
        if kind == "ternary_expression":
            found = self.value(node.child_by_field_name("consequence"), scope, owner)
            return found or self.value(node.child_by_field_name("alternative"), scope, owner)
        if kind == "string_literal" or kind == "text_block":
            return "String"
        if kind in ("decimal_integer_literal", "hex_integer_literal"):
            return "Integer"
        if kind in ("decimal_floating_point_literal",):
            return "Number"
        if kind in ("true", "false"):
            return "Boolean"
        if kind == "identifier":
            return self._variable(text(node), scope, owner)
        if kind == "field_access" and text(node.child_by_field_name("object")) == "this":
            return dict(owner.fields).get(text(node.child_by_field_name("field")))
        if kind == "object_creation_expression":
            return self._creation(node, scope, owner)
        if kind == "method_invocation":
            return self._call(node, scope, owner)
        if kind == "method_reference":
            return self._apply(node, None, scope, owner)
        return None

    def _variable(self, name: str, scope: dict[str, object], owner: ClassUnit) -> object:
        found = scope.get(name)
        if isinstance(found, tuple) and found[0] == "var":
            scope[name] = None  # `var x = f(x)` must not loop
            found = self.value(found[1], scope, owner)
            scope[name] = found
        elif isinstance(found, tuple) and found[0] == "puts":
            found = self._map(found[1], scope, owner)
        if found is None and name not in scope:
            found = dict(owner.fields).get(name)
        return found

    def _map(self, entries: list[tuple[str, Node]], scope: dict, owner: ClassUnit) -> Rendered:
        fields = {}
        for key, node in entries:
            value = self.value(node, scope, owner)
            fields.setdefault(key, self.notation(value, owner.name))
        items = (f'"{key}": {kind}' for key, kind in fields.items())
        return Rendered("{" + ", ".join(items) + "}")

    def notation(self, value: object, near: str = "") -> str:
        """A value as the table's notation (`Object` when it is not known)."""
        if isinstance(value, Entity):
            return self.notation(value.body, near)
        if isinstance(value, Optional):
            return self.notation(value.inner, near)
        return self.types.render(value, near) if isinstance(value, str) else "Object"

    def _creation(self, node: Node, scope: dict[str, object], owner: ClassUnit) -> object:
        created = text(node.child_by_field_name("type"))
        head = _type_head(created)
        args = _arguments(node)
        if head == "ResponseEntity":
            status = status_code(args[-1]) if args else None
            body_args = args[:-1] if status is not None else args
            body = (self.value(body_args[0], scope, owner) or "Object") if body_args else None
            return Entity(status or 200, body)
        anonymous = next((c for c in node.named_children if c.type == "class_body"), None)
        # `new HashMap<>() {{ put("user", data); }}`: bare `put` calls in the initializer.
        if head in _MAP_TYPES and anonymous is not None and (puts := self._puts(anonymous, "")):
            return self._map(puts, scope, owner)
        return created

    def _call(self, node: Node, scope: dict[str, object], owner: ClassUnit) -> object:
        target = node.child_by_field_name("object")
        name = text(node.child_by_field_name("name"))
        args = _arguments(node)
        target_text = text(target)
        if target_text in ("ResponseEntity", "org.springframework.http.ResponseEntity"):
            if name == "status":
                return Entity(status_code(args[0]) if args else None)
            if name in ("ok", "ofNullable") and args:
                return Entity(200, self.value(args[0], scope, owner) or "Object")
            if name == "of" and args:
                found = self.value(args[0], scope, owner)
                return Entity(200, found.inner if isinstance(found, Optional) else found)
            return Entity(_BUILDERS.get(name))
        if target_text in ("Optional", "Mono") and name in ("of", "ofNullable", "just") and args:
            return Optional(self.value(args[0], scope, owner))
        if target_text in ("Map", "Collections", "ImmutableMap") and name in (
            "of", "singletonMap"
        ):  # fmt: skip
            pairs = [(args[i], args[i + 1]) for i in range(0, len(args) - 1, 2)]
            if pairs and all(key.type == "string_literal" for key, _ in pairs):
                return self._map([(text(k)[1:-1], v) for k, v in pairs], scope, owner)
            return "Map"
        if target_text in ("List", "Set", "Arrays", "Collections") and args:
            return f"List<{self._type_text(self.value(args[0], scope, owner))}>"
        if target is None or target_text == "this":
            if name == "handleExceptionInternal" and len(args) >= 4:
                # ResponseEntityExceptionHandler's (exception, body, headers, status, request)
                return Entity(status_code(args[3]), self.value(args[1], scope, owner))
            return self._helper(owner, name)
        receiver = self.value(target, scope, owner)
        if receiver is None and target.type == "identifier" and target_text not in scope:
            receiver = ("static", target_text)  # `StandingOrderResponse.from(order)`
        return self._on(receiver, name, args, scope, owner)

    def _on(
        self, receiver: object, name: str, args: list[Node], scope: dict, owner: ClassUnit
    ) -> object:
        if isinstance(receiver, Entity):
            if name == "body" and args:  # a body it cannot type is still a body: Object
                return Entity(receiver.status, self.value(args[0], scope, owner) or "Object")
            return receiver  # build(), header(...), location(...), contentType(...)
        if isinstance(receiver, str) and _type_head(receiver) in ("Optional", "Mono"):
            inner = split_generic(receiver)[1]
            receiver = Optional(inner[0] if inner else None)
        if isinstance(receiver, Optional):
            if name in ("map", "flatMap", "then") and args:
                found = self._apply(args[0], receiver.inner, scope, owner)
                return found if name == "flatMap" else Optional(found)
            if name in _OPTIONAL_TAKE:
                return receiver.inner
            return receiver if name == "filter" else None
        if name in _STRING_CALLS:
            return "String"
        if isinstance(receiver, tuple):  # a static call on a class among the assets
            return self._method_of(self.types.lookup(receiver[1], owner.name), name)
        if isinstance(receiver, str):
            head, generics = split_generic(receiver)
            if head in ("List", "Set", "Collection", "Stream", "Page", "Slice", "Flux"):
                element = generics[0] if generics else "Object"
                if name in ("stream", "toList", "collect", "distinct", "sorted", "filter"):
                    return f"List<{element}>"
                if name == "map" and args:
                    mapped = self._type_text(self._apply(args[0], element, scope, owner))
                    return f"{'Page' if head in ('Page', 'Slice') else 'List'}<{mapped}>"
                return None
            unit = self.types.lookup(head, owner.name)
            if unit is None:
                return None
            fields = dict(unit.fields)
            accessor = re.sub(r"^(?:get|is)([A-Z])", lambda m: m[1].lower(), name)
            if not args and (accessor in fields or name in fields):
                return fields.get(accessor) or fields.get(name)
            return self._method_of(unit, name)
        return None

    def _method_of(self, unit: ClassUnit | None, name: str) -> object:
        if unit is None:
            return None
        method = next((m for m in unit.methods if m.name == name), None)
        if method is None:
            return None
        if self.types.informative(method.returns, unit.name):
            return method.returns
        return self._helper(unit, name)

    def _helper(self, owner: ClassUnit, name: str) -> object:
        """The value a method of `owner` returns, from its declaration or its returns."""
        declaration = self._declaration(owner, name)
        if declaration is None:
            return None
        declared = text(declaration.child_by_field_name("type"))
        if self.types.informative(declared, owner.name) and _type_head(declared) not in (
            "ResponseEntity", "Optional"
        ):  # fmt: skip
            return declared
        values = [v for v in self.returns(declaration, owner) if v is not None]
        fallback = values[0] if values else (declared or None)
        return next((v for v in values if self._says_more(v)), fallback)

    def _declaration(self, owner: ClassUnit, name: str) -> Node | None:
        node = self.declarations.get(owner.name)
        body = node.child_by_field_name("body") if node is not None else None
        for member in body.named_children if body is not None else []:
            if (
                member.type == "method_declaration"
                and text(member.child_by_field_name("name")) == name
            ):
                return member
        return None

    def _apply(self, function: Node, argument: object, scope: dict, owner: ClassUnit) -> object:
        """The value a lambda or method reference gives for an argument."""
        if function.type == "method_reference":
            parts = [c for c in function.named_children]
            left, right = text(parts[0]) if parts else "", text(function).rsplit("::", 1)[-1]
            if right == "new":
                return left
            if left == "this":
                return self._helper(owner, right)
            unit = self.types.lookup(left, owner.name)
            if unit is not None:
                found = self._method_of(unit, right)
                if found is None and isinstance(argument, str):
                    found = self._on(argument, right, [], scope, owner)
                return found
            return None
        if function.type != "lambda_expression":
            return None
        parameters = function.child_by_field_name("parameters")
        names = (
            [text(parameters)]
            if parameters is not None and parameters.type == "identifier"
            else [
                text(p.child_by_field_name("name") or p)
                for p in (parameters.named_children if parameters is not None else [])
            ]
        )
        inner = dict(scope)
        if names:
            inner[names[0]] = argument
        body = function.child_by_field_name("body")
        if body is None:
            return None
        if body.type != "block":
            return self.value(body, inner, owner)
        for name, found in self._scope_of_block(body).items():
            inner.setdefault(name, found)
        values = [self.value(node, inner, owner) for node in _own_returns(body)]
        return next((v for v in values if self._says_more(v)), None)

    def _scope_of_block(self, block: Node) -> dict[str, object]:
        scope: dict[str, object] = {}
        for node in block.named_children:
            if node.type == "local_variable_declaration":
                kind = text(node.child_by_field_name("type"))
                for declarator in node.children_by_field_name("declarator"):
                    value = declarator.child_by_field_name("value")
                    name = text(declarator.child_by_field_name("name"))
                    scope[name] = ("var", value) if kind == "var" else kind
        return scope

    def _type_text(self, value: object) -> str:
        if isinstance(value, Entity):
            return self._type_text(value.body)
        if isinstance(value, Optional):
            return self._type_text(value.inner)
        return value if isinstance(value, str) and not isinstance(value, Rendered) else "Object"

    def _says_more(self, value: object) -> bool:
        if isinstance(value, Entity):
            return value.status is not None or self._says_more(value.body)
        if isinstance(value, Optional):
            return self._says_more(value.inner)
        return isinstance(value, str) and self.types.informative(value)

    # -- handlers ----------------------------------------------------------------------------

    def returns(self, method: Node, owner: ClassUnit) -> list[object]:
        """The values a method's `return` statements build (None where unknown)."""
        body = method.child_by_field_name("body")
        if body is None:
            return []
        scope = self._scope(method)
        return [self.value(node, dict(scope), owner) for node in _own_returns(body)]

    def outcomes(self, method: Node, owner: ClassUnit) -> list[Outcome]:
        """One outcome per `return`: its status (None: the default) and its body."""
        found = []
        for value in self.returns(method, owner):
            while isinstance(value, Optional):
                value = value.inner
            if isinstance(value, Entity):
                body = value.body.inner if isinstance(value.body, Optional) else value.body
                found.append(Outcome(value.status, body if isinstance(body, str) else None))
            else:
                found.append(Outcome(None, value if isinstance(value, str) else None))
        return found
