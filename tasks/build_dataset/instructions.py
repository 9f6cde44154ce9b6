"""Instruction wordings per task and input kind, in English and Chinese, chosen deterministically.

The wordings live in each task's spec (tasks/task_specs).

The first English wording of each kind is the canonical one (the seeds' own where they have one:
`create Agile user story for following topic`, `Implement the method <name>`, `Write test for
follow code`). Which wording and which language a record gets is a hash of the seed, the kind
and the record's key (its assets and input), never a random draw at run time, so a rebuild
yields the same dataset and different records of one file get different wordings.
"""

from __future__ import annotations

import hashlib

from tasks.build_dataset.candidates import Candidate
from tasks.task_specs import instruction_wordings
from tasks.text import language_of

# Every task's wordings, from its spec (tasks/task_specs): {kind: {language: wordings}}.
INSTRUCTIONS = instruction_wordings()


def _fraction(*parts: object) -> float:
    digest = hashlib.sha256("\0".join(str(part) for part in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def instruction_language(key: str, seed: int, zh_share: float) -> str:
    """'zh' for a `zh_share` fraction of keys, else 'en' (deterministic by seed and key)."""
    return "zh" if _fraction(seed, "language", key) < zh_share else "en"


def instruction(kind: str, language: str, key: str, seed: int, **fields: str) -> str:
    """One wording of the kind's instruction in `language`, chosen by a hash of seed and key."""
    wordings = INSTRUCTIONS[kind].get(language) or INSTRUCTIONS[kind]["en"]
    index = int(_fraction(seed, kind, key) * len(wordings))
    return wordings[index].format(**fields)


def assign(candidates: list[Candidate], seed: int, zh_share: float) -> None:
    """Give each candidate its instruction wording and language, in place (given ones stay)."""
    for c in candidates:
        if c.instruction:
            c.instruction_language = c.instruction_language or language_of(c.instruction)
            continue
        language = c.natural_language or instruction_language(c.key, seed, zh_share)
        c.instruction = instruction(c.kind or c.task, language, c.key, seed, **c.fields)
        c.instruction_language = language
