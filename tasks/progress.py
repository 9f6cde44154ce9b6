"""Progress of the long steps (fine-tune, evaluation, conversion): done/total, rate and ETA.

In a terminal it is one updating tqdm line; in a log (the flows read a stage's output line by
line, and `dvc repro` piped into a file is not a terminal) it is a plain line when the first
unit is done, then at most every `every_s` seconds, and at the end, so a 10-minute step writes
about ten lines rather than a bar redrawn thousands of times. tqdm formats both.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from typing import IO, TypeVar

from tqdm import tqdm

T = TypeVar("T")
LOG_FORMAT = "{desc}: {n_fmt}/{total_fmt} {unit}s ({percentage:.0f}%) [{elapsed}<{remaining}, {rate_fmt}]{postfix}"  # noqa: E501


class Progress:
    """`with Progress("fine-tune", total=56, unit="step") as bar: bar.update(1, loss=1.2)`."""

    def __init__(
        self,
        desc: str,
        total: int,
        unit: str = "it",
        every_s: float = 60.0,
        stream: IO[str] | None = None,
        terminal: bool | None = None,
    ) -> None:
        self.desc, self.total, self.unit, self.every_s = desc, total, unit, every_s
        self.stream = stream or sys.stdout
        self.terminal = self.stream.isatty() if terminal is None else terminal
        self.n = 0
        self.postfix = ""
        self.started = time.perf_counter()
        self.printed = -1.0  # when the last log line was written (seconds since start)
        self.bar = (
            tqdm(total=total, desc=desc, unit=unit, file=self.stream, dynamic_ncols=True)
            if self.terminal
            else None
        )

    def update(self, n: int = 1, **postfix: float | str) -> None:
        self.n += n
        self.postfix = ", ".join(f"{k} {_fmt(v)}" for k, v in postfix.items())
        if self.bar is not None:
            self.bar.set_postfix_str(self.postfix, refresh=False)
            self.bar.update(n)
            return
        elapsed = time.perf_counter() - self.started
        if self.printed < 0 or elapsed - self.printed >= self.every_s or self.n >= self.total:
            self.printed = elapsed
            print(self.line(elapsed), file=self.stream, flush=True)

    def line(self, elapsed: float) -> str:
        """The log line for `elapsed` seconds with `n` of `total` done."""
        return tqdm.format_meter(
            self.n, self.total, elapsed, prefix=self.desc, unit=self.unit,
            bar_format=LOG_FORMAT, postfix=self.postfix or None,
        )  # fmt: skip

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def track(iterable: Iterable[T], desc: str, unit: str = "it", **kwargs: object) -> Iterator[T]:
    """The items of a sized `iterable`, with a `Progress` over them (a drop-in for the
    `tqdm(iterable, desc=...)` calls of libraries whose own bars would flood a log)."""
    items = list(iterable)
    with Progress(desc, len(items), unit, **kwargs) as bar:  # type: ignore[arg-type]
        for item in items:
            yield item
            bar.update(1)


def _fmt(value: float | str) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)
