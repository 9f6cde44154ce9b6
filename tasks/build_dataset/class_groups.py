"""design_plantuml_datastructure from code: a package's classes, grouped by their relations.

The classes of one package are linked by what their summaries state (plantuml.relations):
inheritance, field types (generic arguments included), type arguments of supertypes and
nesting. A connected set of classes becomes one diagram when it has at most `max_classes`
classes and its record fits the token budget; a bigger one is cut along its links (`_cut`:
a class with one link joins its neighbour first, then the strongest links hold), so that an
aggregate stays together as far as the limits allow and few classes are left alone. A class no
link joins (or the cut leaves alone) is a diagram of its own. Every class ends in a candidate or
a reject with its reason: a diagram whose classes have no fields or public methods draws
nothing worth learning, and a second class of the same name in the package cannot be drawn.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from tasks.build_dataset.candidates import Built, Candidate, Reject
from tasks.dsl import plantuml
from tasks.dsl.code_model import ClassUnit

TASK = "design_plantuml_datastructure"
# The token budget is checked before any tokenizer is at hand, so records are measured in
# characters: SmolLM2's tokenizer takes 2.8 to 4.8 characters per token on summaries and
# diagrams (3.6 on average over the samples), and the prompt around input and answer (system
# turn, chat template, the longest instruction) takes about 110 tokens. The estimate errs long;
# the build's filter counts the real tokens and rejects what is still too long.
CHARS_PER_TOKEN = 3.5
PROMPT_TOKENS = 110


def candidate(package: str, members: list[tuple[str, ClassUnit]]) -> Candidate:
    """The record of one group of classes: their summaries -> their diagram."""
    units = sorted((unit for _, unit in members), key=lambda unit: unit.name)
    return Candidate(
        task=TASK,
        input="\n\n".join(plantuml.class_summary(unit, units) for unit in units),
        output=plantuml.render_class_diagram(units, title=package or None),
        language="plantuml",
        assets=tuple(sorted({asset for asset, _ in members})),
    )


def estimated_tokens(found: Candidate) -> int:
    """An estimate of the record's tokens, prompt included, that errs long."""
    return PROMPT_TOKENS + round((len(found.input) + len(found.output)) / CHARS_PER_TOKEN)


def _cut(
    names: list[str],
    links: list[plantuml.Relation],
    fits: Callable[[list[str]], bool],
    empty: set[str],
) -> list[list[str]]:
    """Groups of linked classes, each one that `fits`, merged along the links in a fixed order.

    Links to a class with no members come first (alone it is no diagram), then those of a class
    with one neighbour (it has no other chance), then the strongest, then those between classes
    with fewer neighbours.
    """
    weight: dict[tuple[str, str], int] = {}
    neighbours: dict[str, set[str]] = defaultdict(set)
    for link in links:
        if link.source != link.target:
            pair = (min(link.source, link.target), max(link.source, link.target))
            weight[pair] = max(weight.get(pair, 0), link.weight)
            neighbours[pair[0]].add(pair[1])
            neighbours[pair[1]].add(pair[0])
    groups = {name: [name] for name in names}
    owner = {name: name for name in names}

    def order(pair: tuple[str, str]) -> tuple:
        rescues = not empty.isdisjoint(pair)
        degrees = sorted(len(neighbours[name]) for name in pair)
        return (not rescues, degrees[0] > 1, -weight[pair], *degrees, pair)

    for first, second in sorted(weight, key=order):
        kept, merged = owner[first], owner[second]
        if kept == merged:
            continue
        together = sorted(groups[kept] + groups[merged])
        if not fits(together):
            continue
        groups[kept] = together
        for name in groups.pop(merged):
            owner[name] = kept
    return sorted(groups.values())


def _empty_reason(
    unit: ClassUnit, group: list[str], neighbours: set[str], package: str, max_classes: int
) -> str:
    qualified = f"{package}.{unit.name}" if package else unit.name
    if len(group) > 1:
        others = ", ".join(f"'{name}'" for name in group if name != unit.name)
        return f"empty_class: '{qualified}' and {others} have no fields or public methods"
    if neighbours:
        related = ", ".join(f"'{name}'" for name in sorted(neighbours))
        return (
            f"empty_class: '{qualified}' has no fields or public methods, and its related "
            f"classes ({related}) fill diagrams of at most {max_classes} classes without it"
        )
    where = f"package '{package}'" if package else "its package"
    return (
        f"empty_class: '{qualified}' has no fields or public methods and no relation to "
        f"another class of {where}"
    )


def package_diagrams(
    package: str,
    members: list[tuple[str, ClassUnit]],
    max_classes: int,
    max_tokens: int | None = None,
) -> Built:
    """Candidates (and rejects) for the classes of one package, `(asset id, unit)` each."""
    built = Built()
    by_name: dict[str, tuple[str, ClassUnit]] = {}
    for asset_id, unit in sorted(members, key=lambda member: (member[1].name, member[0])):
        if unit.name in by_name:
            reason = (
                f"duplicate_class: '{unit.name}' of package '{package}' is also declared in "
                f"{by_name[unit.name][0]}; a diagram cannot draw both"
            )
            built.rejects.append(Reject(asset_id, TASK, reason))
            continue
        by_name[unit.name] = (asset_id, unit)
    links = plantuml.relations([unit for _, unit in by_name.values()])

    def fits(names: list[str]) -> bool:
        if len(names) > max_classes:
            return False
        found = candidate(package, [by_name[name] for name in names])
        return max_tokens is None or estimated_tokens(found) <= max_tokens

    neighbours: dict[str, set[str]] = defaultdict(set)
    for link in links:
        if link.source != link.target:
            neighbours[link.source].add(link.target)
            neighbours[link.target].add(link.source)
    empty = {name for name, (_, unit) in by_name.items() if not plantuml.has_members(unit)}
    for group in _cut(sorted(by_name), links, fits, empty):
        chosen = [by_name[name] for name in group]
        if any(plantuml.has_members(unit) for _, unit in chosen):
            built.candidates.append(candidate(package, chosen))
            continue
        for asset_id, unit in chosen:
            reason = _empty_reason(unit, group, neighbours[unit.name], package, max_classes)
            built.rejects.append(Reject(asset_id, TASK, reason))
    return built
