"""Which natural language a text is written in: one definition for steps 2 and 6."""

from __future__ import annotations

import re

_CHINESE = re.compile(r"[\u4e00-\u9fff]")  # CJK Unified Ideographs


def language_of(text: str) -> str:
    """`zh` when the text holds a Chinese character, else `en`."""
    return "zh" if _CHINESE.search(text) else "en"
