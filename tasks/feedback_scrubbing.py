"""Step 1's secret and personal-data scrubber, applied to feedback text before it is stored.

`scrub` costs a few hundred microseconds per text; most feedback holds nothing it could act
on. `may_hold_secret` (and `secret_flags`, the same test over a whole batch in Arrow) is a
fast superset test built from the scrubber's own triggers (its
rules' needles, detect-secrets' needles, `@`, digit runs, long tokens): a text without any of
them comes out of `scrub` unchanged, so it is not scrubbed at all. Repeated texts (the same
prompt shown many times) are scrubbed once.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from functools import lru_cache

import msgspec
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tasks.detectors import PLUGIN_NEEDLES
from tasks.feedback_events import Event
from tasks.scrub import CONFIG_RULES, LINE_RULES, TEXT_RULES, scrub

# Feedback may paste a config file into a prompt: scrub in the config-aware mode.
SCRUB_LANGUAGE = "unknown"
_NEEDLES = tuple(
    sorted({n for rule in TEXT_RULES + LINE_RULES + CONFIG_RULES for n in rule.needles}
           | set(PLUGIN_NEEDLES) | {"@"})
)  # fmt: skip
# Digit runs (phones, IPv4) and long tokens (keys, high-entropy strings), as the scrubber sees them.
_TRIGGERS = re.compile(r"[+(\d][\d .()-]{6}|[A-Za-z0-9+/=_-]{20}")
# Needles and triggers as one case-insensitive RE2 pattern: a single DFA pass per text instead
# of a lower-casing pass plus one substring pass per needle (RE2's case folding also matches
# the few non-ASCII letters that fold onto ASCII ones, so it flags a superset: still safe).
_PREFILTER = "|".join([*map(re.escape, _NEEDLES), _TRIGGERS.pattern])


def may_hold_secret(text: str) -> bool:
    """False only when `scrub` would certainly leave the text unchanged."""
    lower = text.lower()
    return any(needle in lower for needle in _NEEDLES) or _TRIGGERS.search(text) is not None


def secret_flags(texts: list[str]) -> np.ndarray:
    """`may_hold_secret` (or a superset) for many texts at once: one RE2 pass in Arrow."""
    if not texts:
        return np.zeros(0, dtype=bool)
    column = pa.array(texts, type=pa.large_string())
    flags = pc.match_substring_regex(column, _PREFILTER, ignore_case=True)
    return flags.to_numpy(zero_copy_only=False)


def _scrub(text: str) -> tuple[str, tuple[tuple[str, int], ...]]:
    clean, counts = scrub(text, SCRUB_LANGUAGE)
    return clean, tuple(counts.items())


# Prompts repeat (the same context offered many times): scrub each distinct one once.
_scrub_cached = lru_cache(maxsize=65536)(_scrub)


def scrub_text(text: str | None, counts: Counter[str]) -> str | None:
    """The text with secrets and personal data replaced; adds what was found to `counts`."""
    if not text or not may_hold_secret(text):
        return text
    clean, found = _scrub_cached(text)
    counts.update(dict(found))
    return clean


def _any_per_event(flags: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    # Per event, whether any of its `sizes[i]` consecutive flags is set (every size >= 1).
    return np.logical_or.reduceat(flags, np.cumsum(sizes) - sizes) if len(sizes) else flags


def scrub_events(events: list[Event]) -> tuple[list[Event], list[str]]:
    """The events with secrets and personal data replaced in their prompt, completion and edit,
    and per event its redaction counts (JSON). Events the pre-filter clears come back as they
    are (the same objects)."""
    prompts = [event.prompt for event in events]
    completions = [event.completion for event in events]
    edits = [event.edited_completion or "" for event in events]
    sizes = np.fromiter(map(len, prompts), np.int64, len(prompts))
    flagged = _any_per_event(secret_flags([m.content for p in prompts for m in p]), sizes)
    flagged |= secret_flags(completions) | secret_flags(edits)
    scrubbed, redactions = list(events), ["{}"] * len(events)
    for i in np.flatnonzero(flagged).tolist():  # the rare events that may hold a secret
        counts: Counter[str] = Counter()
        scrubbed[i] = msgspec.structs.replace(
            events[i],
            prompt=[msgspec.structs.replace(m, content=scrub_text(m.content, counts))
                    for m in prompts[i]],
            completion=scrub_text(completions[i], counts),
            edited_completion=scrub_text(events[i].edited_completion, counts),
        )  # fmt: skip
        redactions[i] = json.dumps(dict(sorted(counts.items())))
    return scrubbed, redactions
