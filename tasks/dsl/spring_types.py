"""Java types as the API table's JSON-like notation, looking DTOs and enums up among the assets."""

from __future__ import annotations

import json
import re

from tasks.dsl.code_model import ClassUnit
from tasks.dsl.jsonlike import MAX_DEPTH

_SCALARS = {
    "String": {"String", "char", "Character", "CharSequence", "UUID", "URI", "URL", "Currency"},
    "Integer": {"int", "long", "short", "byte", "Integer", "Long", "Short", "Byte", "BigInteger"},
    "Number": {"double", "float", "Double", "Float", "BigDecimal", "Number"},
    "Boolean": {"boolean", "Boolean"},
    "Date": {"LocalDate"},
    "DateTime": {"LocalDateTime", "Instant", "OffsetDateTime", "ZonedDateTime", "Date"},
    "Binary": {"MultipartFile", "Resource", "InputStreamResource", "byte[]"},
}
SCALAR_TYPES = {java: notation for notation, names in _SCALARS.items() for java in names}
_COLLECTIONS = {"List", "Set", "Collection", "Iterable", "Stream", "Flux", "SortedSet"}
_MAPS = {"Map", "HashMap", "TreeMap", "LinkedHashMap", "MultiValueMap"}
_WRAPPERS = {"Optional", "ResponseEntity", "HttpEntity", "Mono", "CompletableFuture"}
NO_BODY = {"void", "Void"}


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

    def __init__(self, classes: dict[str, ClassUnit]) -> None:
        self.classes = classes  # simple and Outer.Inner names -> unit
        self.used: set[str] = set()  # classes rendered as objects since the caller last cleared

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
        fields = ", ".join(
            f"{json.dumps(name)}: {self.render(kind, unit.name, depth + 1, (*seen, unit.name))}"
            for name, kind in unit.fields
        )
        return "{" + fields + "}" if fields else "Object"
