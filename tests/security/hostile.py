"""Hostile payloads, built at test time (none is committed as a file), and a deadline helper."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager

SPEC_HEAD = 'openapi: "3.0.0"\ninfo: {title: t, version: "1"}\n'


def alias_bomb(levels: int = 9, width: int = 9) -> str:
    """A billion laughs: `width` ** `levels` strings from a few hundred bytes of YAML."""
    names = [chr(ord("a") + n) for n in range(levels)]
    lines = [f"{names[0]}: &{names[0]} [" + ",".join(['"x"'] * width) + "]"]
    for parent, child in zip(names, names[1:], strict=False):
        lines.append(f"{child}: &{child} [" + ",".join([f"*{parent}"] * width) + "]")
    return SPEC_HEAD + "\n".join(lines) + "\n"


def deep_yaml(depth: int = 100_000) -> str:
    """An OpenAPI-looking document nested `depth` flow sequences deep."""
    return SPEC_HEAD + "x: " + "[" * depth + "]" * depth + "\n"


def spec_with_ref(ref: str) -> str:
    """A valid OpenAPI 3 spec whose one response schema is `$ref: ref`."""
    return SPEC_HEAD + (
        "paths:\n  /orders:\n    get:\n      summary: List orders\n      responses:\n"
        "        '200':\n          description: ok\n          content:\n"
        f"            application/json:\n              schema: {{$ref: '{ref}'}}\n"
    )


@contextmanager
def deadline(seconds: float) -> Iterator[dict]:
    """Abort the block with TimeoutError after `seconds` (main thread); yields its timing."""

    def expired(signum: int, frame: object) -> None:
        raise TimeoutError(f"still running after {seconds} s")

    timing = {"seconds": 0.0}
    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    started = time.perf_counter()
    try:
        yield timing
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        timing["seconds"] = time.perf_counter() - started
