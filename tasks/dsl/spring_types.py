"""Java types as the API table's JSON-like notation, looking DTOs and enums up among the assets.

Jackson's annotations among the assets shape the wire form: `@JsonProperty("x")` renames a
field, `@JsonIgnore` drops it, `@JsonSerialize(using = ...)` makes the class's form unknown
(`Object`), and `@JsonRootName("user")` wraps a body in `{"user": ...}` where the application
enables UNWRAP_ROOT_VALUE (requests) or WRAP_ROOT_VALUE (responses).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from tasks.dsl.code_model import ClassUnit
from tasks.dsl.jsonlike import MAX_DEPTH

_SCALARS = {
    "String": {"String", "char", "Character", "CharSequence", "UUID", "URI", "URL", "Currency"},
    "Integer": {"int", "long", "short", "byte", "Integer", "Long", "Short", "Byte", "BigInteger"},
    "Number": {"double", "float", "Double", "Float", "BigDecimal", "Number"},
    "Boolean": {"boolean", "Boolean"},
    "Date": {"LocalDate"},
    "DateTime": {"LocalDateTime", "Instant", "OffsetDateTime", "ZonedDateTime", "Date", "DateTime"},
    "Binary": {"MultipartFile", "Resource", "InputStreamResource", "byte[]"},
}
SCALAR_TYPES = {java: notation for notation, names in _SCALARS.items() for java in names}
_COLLECTIONS = {"List", "Set", "Collection", "Iterable", "Stream", "Flux", "SortedSet"}
_MAPS = {"Map", "HashMap", "TreeMap", "LinkedHashMap", "MultiValueMap"}
_WRAPPERS = {"Optional", "ResponseEntity", "HttpEntity", "Mono", "CompletableFuture"}
NO_BODY = {"void", "Void"}


class Rendered(str):
    """A body already in the table's notation (a map built in code), passed through by render."""


@dataclass
class JsonShape:
    """What Jackson annotations among the assets do to the wire form of the classes."""

    root_names: dict[str, str] = field(default_factory=dict)  # class -> @JsonRootName
    opaque: set[str] = field(default_factory=set)  # classes with a custom serializer
    renamed: dict[str, dict[str, str]] = field(default_factory=dict)  # class -> field -> name
    ignored: dict[str, set[str]] = field(default_factory=dict)  # class -> @JsonIgnore fields


def split_generic(type_text: str) -> tuple[str, list[str]]:
    """`Map<String, List<X>>` -> ("Map", ["String", "List<X>"]); the head's package is dropped."""
    text = type_text.strip()
    match = re.fullmatch(r"([\w.$]+)\s*<(.*)>", text, re.DOTALL)
    if not match:
        return text.rsplit(".", 1)[-1] if "." in text and text[:1].islower() else text, []
    args, depth, start = [], 0, 0
    inner = match.group(2)
    for index, char in enumerate(inner):
        depth += {"<": 1, ">": -1}.get(char, 0)
        if char == "," and depth == 0:
            args.append(inner[start:index].strip())
            start = index + 1
    args.append(inner[start:].strip())
    head = match.group(1)
    return (head.rsplit(".", 1)[-1] if head[:1].islower() else head), args


class JavaTypes:
    """Renders Java types of DTO fields, parameters and return values in the table's notation."""

    def __init__(self, classes: dict[str, ClassUnit], shape: JsonShape | None = None) -> None:
        self.classes = classes  # simple and Outer.Inner names -> unit
        self.shape = shape or JsonShape()
        self.used: set[str] = set()  # classes rendered as objects since the caller last cleared
        self.wrapped = False  # whether a body got its root name since the caller last cleared

    def informative(self, type_text: str, near: str = "") -> bool:
        """Whether a type says more than `Object` (`ResponseEntity<?>`, raw maps do not)."""
        if isinstance(type_text, Rendered):
            return type_text != "Object"
        used = set(self.used)
        rendered = self.render(self.unwrap(type_text), near)
        self.used = used
        return rendered != "Object"

    def render_body(self, type_text: str, near: str = "", wrap: bool = False) -> str:
        """A request or response body; `{"<root>": ...}` for a root-named class when wrapping."""
        rendered = self.render(type_text, near)
        unit = None if isinstance(type_text, Rendered) else self.lookup(
            split_generic(self.unwrap(type_text))[0], near
        )  # fmt: skip
        root = self.shape.root_names.get(unit.name) if wrap and unit is not None else None
        if root is None:
            return rendered
        self.wrapped = True
        return "{" + json.dumps(root) + ": " + rendered + "}"

    def lookup(self, name: str, near: str = "") -> ClassUnit | None:
        """The class a type name means, preferring a class nested in `near` (`Outer.Inner`)."""
        if near and (nested := self.classes.get(f"{near.split('.')[0]}.{name}")):
            return nested
        return self.classes.get(name) or self.classes.get(name.rsplit(".", 1)[-1])

    def unwrap(self, type_text: str) -> str:
        """The type a response carries: `ResponseEntity<Optional<X>>` -> `X`."""
        head, args = split_generic(type_text)
        return self.unwrap(args[0]) if head in _WRAPPERS and args else type_text.strip()

    def render(self, type_text: str, near: str = "", depth: int = 0, seen: tuple = ()) -> str:
        """The notation of a Java type: scalars, `[X]` for collections, DTO fields as objects."""
        if isinstance(type_text, Rendered):
            return str(type_text)
        text = re.sub(r"@\w+(\([^)]*\))?\s*", "", type_text).strip()  # type-use annotations
        if text in SCALAR_TYPES:
            return SCALAR_TYPES[text]
        if text.endswith("[]") or text.endswith("..."):
            return f"[{self.render(text.rstrip('.').removesuffix('[]'), near, depth, seen)}]"
        head, args = split_generic(text)
        if not args and head in SCALAR_TYPES:
            return SCALAR_TYPES[head]
        if head in _WRAPPERS:
            return self.render(args[0], near, depth, seen) if args else "Object"
        if head in _COLLECTIONS:
            return f"[{self.render(args[0], near, depth, seen)}]" if args else "[Any]"
        if head in ("Page", "Slice"):
            # Spring Data serialises a page as its content plus the paging numbers.
            content = self.render(args[0], near, depth, seen) if args else "Any"
            return (
                f'{{"content": [{content}], "number": Integer, "size": Integer, '
                '"totalElements": Integer, "totalPages": Integer}'
            )
        if head in _MAPS or head in ("Object", "JsonNode"):
            return "Object"
        unit = self.lookup(head, near)
        if unit is None:
            return "Object"
        if unit.kind == "enum":
            return "String"
        if depth >= MAX_DEPTH or unit.name in seen:
            return "Object"
        self.used.add(unit.name)
        if unit.name in self.shape.opaque:
            return "Object"  # a custom serializer decides the form
        renamed = self.shape.renamed.get(unit.name, {})
        ignored = self.shape.ignored.get(unit.name, set())
        fields = ", ".join(
            f"{json.dumps(renamed.get(name, name))}: "
            f"{self.render(kind, unit.name, depth + 1, (*seen, unit.name))}"
            for name, kind in unit.fields
            if name not in ignored
        )
        return "{" + fields + "}" if fields else "Object"
