"""Candidate records and rejects: what every builder returns before filtering and splitting.

Every candidate names the assets it draws from; the split keeps those assets together, so no
source file feeds both train and eval. Anything that cannot be rendered becomes a reject with
the reason, never a silent drop.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Candidate:
    task: str
    input: str
    output: str
    language: str  # of the output: java, python, markdown, plantuml, en or zh
    assets: tuple[str, ...]
    kind: str = ""  # instruction kind (instructions.INSTRUCTIONS); the task when empty
    fields: dict[str, str] = field(default_factory=dict)  # placeholders of the instruction
    natural_language: str | None = None  # instruction language forced by the asset (stories)
    instruction: str = ""  # set by instructions.assign, or given (feedback)
    instruction_language: str = ""
    method: str | None = None
    origin: str = "asset"  # asset | teacher | feedback_accept | feedback_edit
    event_ids: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        """What identifies the candidate for deterministic choices: its assets and input."""
        fields = [f"{name}={value}" for name, value in sorted(self.fields.items())]
        return "\0".join([*self.assets, self.task, self.input, *fields])


@dataclass
class Reject:
    asset_id: str
    task: str
    reason: str


@dataclass
class Built:
    candidates: list[Candidate] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)

    def extend(self, other: Built) -> None:
        self.candidates.extend(other.candidates)
        self.rejects.extend(other.rejects)


def chunks(items: list, size: int) -> list[list]:
    """Consecutive chunks of at most `size` items."""
    return [items[i : i + size] for i in range(0, len(items), size)]
