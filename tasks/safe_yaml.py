"""YAML from untrusted files (assets, API specs), loaded only within bounds.

A few hundred bytes of YAML can stand for billions of nodes: aliases (`*a`) repeat an anchored
node, and one that repeats nine others nine levels deep is a "billion laughs". PyYAML builds
such a document quickly as a graph of shared objects, but whatever then walks it as a tree
(copying keys to strings, resolving `$ref`s, rendering) runs for minutes and takes gigabytes.
Deep nesting is the other bomb: libyaml's composer recurses in C and crashes the process at
about 100,000 levels. So the event stream is measured first (libyaml's parser, no recursion):
depth, and how many nodes the aliases add once expanded; only a document inside the bounds is
composed and constructed. The bounds are far above any real spec.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.events import (
    AliasEvent,
    CollectionStartEvent,
    MappingEndEvent,
    NodeEvent,
    SequenceEndEvent,
)

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when PyYAML has it
MAX_BYTES = 16 << 20  # a spec larger than this is not a hand-written API description
MAX_DEPTH = 200  # nested mappings / sequences
MAX_ALIAS_NODES = 100_000  # nodes the aliases add to the document once expanded


class YamlLimitError(ValueError):
    """A YAML document over a bound: too large, too deep, or aliases expanding too far."""


def _measure(loader: Any, max_depth: int, max_alias_nodes: int) -> None:
    sizes: dict[str, int] = {}  # anchor -> expanded node count of the node it names
    open_anchors: set[str] = set()
    stack: list[list] = []  # per open collection: [anchor, expanded node count so far]
    added = 0
    while loader.check_event():
        event = loader.get_event()
        if isinstance(event, CollectionStartEvent):
            if len(stack) >= max_depth:
                raise YamlLimitError(f"nested deeper than {max_depth} levels")
            stack.append([event.anchor, 1])
            if event.anchor:
                open_anchors.add(event.anchor)
            continue
        if isinstance(event, (SequenceEndEvent, MappingEndEvent)):
            anchor, size = stack.pop()
            if anchor:
                open_anchors.discard(anchor)
                sizes[anchor] = size
        elif isinstance(event, AliasEvent):
            if event.anchor in open_anchors:
                raise YamlLimitError(f"alias *{event.anchor} refers to a node that contains it")
            size = sizes.get(event.anchor, 1)
            added += size - 1
            if added > max_alias_nodes:
                raise YamlLimitError(f"aliases expand to more than {max_alias_nodes} extra nodes")
        elif isinstance(event, NodeEvent):  # a scalar
            size = 1
            if event.anchor:
                sizes[event.anchor] = 1
        else:  # stream / document start and end
            continue
        if stack:
            stack[-1][1] += size


def check(
    text: str,
    max_bytes: int = MAX_BYTES,
    max_depth: int = MAX_DEPTH,
    max_alias_nodes: int = MAX_ALIAS_NODES,
) -> None:
    """Raise YamlLimitError when `text` is over a bound (yaml.YAMLError when it is not YAML)."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise YamlLimitError(f"document of {size} bytes is larger than {max_bytes}")
    probe = _LOADER(text)
    try:
        _measure(probe, max_depth, max_alias_nodes)
    finally:
        probe.dispose()


def load(text: str) -> Any:
    """The one YAML document in `text` (safe types only); YamlLimitError when over a bound."""
    check(text)
    loader = _LOADER(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def problem(text: str) -> str | None:
    """Why `load` would refuse `text` for its size, depth or aliases; None otherwise."""
    try:
        check(text)
    except YamlLimitError as exc:
        return str(exc)
    except yaml.YAMLError:
        return None  # not YAML at all: what to do about that is the caller's business
    return None
