"""Grouped, deterministic train/eval split: records sharing an asset stay on one side."""

from __future__ import annotations

import hashlib
import math
from collections import Counter, defaultdict
from dataclasses import dataclass

import pandas as pd

from tasks.build_dataset.candidates import Reject
from tasks.build_dataset.decontaminate import ngrams
from tasks.task_specs import specs

# Eval answers are the organisation's own: teacher-written answers only ever train, and
# feedback records always train (eval stays asset-derived and comparable across versions).
SPLIT_BY_GROUP = ("asset", "teacher_input")
STRATIFIED = tuple(name for name, task in specs().items() if task.multi_language)


def asset_groups(assets: pd.Series) -> pd.Series:
    """Group id per record: connected components of records linked by a shared asset."""
    parent: dict[str, str] = {}

    def find(node: str) -> str:
        while parent.setdefault(node, node) != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for linked in assets:
        first = find(linked[0])
        for other in linked[1:]:
            parent[find(other)] = first
    return assets.map(lambda linked: find(linked[0]))


def _rank(seed: int, group: str) -> str:
    return hashlib.sha256(f"{seed}:{group}".encode()).hexdigest()


def assign_splits(
    records: pd.DataFrame, eval_fraction: float, seed: int, min_eval: int = 1
) -> pd.Series:
    """'train' or 'eval' per record; whole groups move, and each task gets its eval share.

    Groups are visited in a seed-determined order and a group goes to eval while one of its
    tasks is still short of `eval_fraction` of that task's records, and of at least `min_eval`
    records (never more than half of the task), for a task with two or more groups, so small
    tasks are still evaluated on enough records to tell. A group that would
    more than double a task's share is passed over; a task left with no eval record at all then
    gets its smallest group.
    """
    # Code tasks are split per language too, so every language (Python, which runs against its
    # tests, and Java) has eval records; min_eval is shared out by the languages' sizes.
    strata = records["task"]
    if "language" in records:
        strata = strata.where(~strata.isin(STRATIFIED), strata + ":" + records["language"])
    sizes = records.assign(stratum=strata).groupby(["group", "stratum"]).size()
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for (group, stratum), n in sizes.items():
        counts[group][stratum] = int(n)
    totals = Counter(strata)
    task_totals = Counter(records["task"])
    groups_per_stratum = records.assign(stratum=strata).groupby("stratum")["group"].nunique()

    def wanted(stratum: str, total: int) -> int:
        share = total / task_totals[stratum.split(":")[0]]
        floor = max(math.floor(total * eval_fraction), math.ceil(min_eval * share))
        return max(1, min(floor, total // 2))

    target = {
        stratum: wanted(stratum, total) if groups_per_stratum[stratum] > 1 else 0
        for stratum, total in totals.items()
    }
    in_eval: Counter[str] = Counter()
    eval_groups = set()
    for group in sorted(counts, key=lambda g: _rank(seed, g)):
        task_counts = counts[group]
        short = any(in_eval[t] < target[t] for t in task_counts)
        overshoot = any(in_eval[t] + n > 2 * max(target[t], 1) for t, n in task_counts.items())
        if short and not overshoot:
            eval_groups.add(group)
            in_eval.update(task_counts)
    for task in sorted(t for t in target if target[t] and not in_eval[t]):
        candidates = [g for g in counts if task in counts[g] and len(counts[g]) == 1]
        candidates = candidates or [g for g in counts if task in counts[g]]
        smallest = min(candidates, key=lambda g: (sum(counts[g].values()), _rank(seed, g)))
        eval_groups.add(smallest)
        in_eval.update(counts[smallest])
    return records["group"].map(lambda g: "eval" if g in eval_groups else "train")


def _eval_target(total: int, eval_fraction: float, min_eval: int) -> int:
    """Eval records a task asks for: its share, at least `min_eval`, never more than half."""
    return max(1, min(max(math.floor(total * eval_fraction), min_eval), total // 2))


@dataclass
class _Cut:
    """Units (groups or sub-assets) moved to eval, and the records that linked them to the rest."""

    units: list[str]
    eval_rows: set[int]
    bridging: set[int]


def _plan_cut(
    members: pd.DataFrame,
    units: dict[str, set[int]],
    task: str,
    counts: pd.DataFrame,
    targets: dict[str, int],
    seed: int,
    ngram: int = 0,
) -> _Cut | None:
    """Units of `members` to move to eval so that `task` gets about its target of records.

    A unit's records (`units`: its rows, records split by group only) go to eval together;
    every other record of `members` that shares an asset with them is dropped (bridging), so
    no asset feeds both splits, and with `ngram`, so are the train records decontamination will
    drop for sharing an n-gram with their answers. `counts` holds each task's train and eval
    records so far. Units are added cheapest first: fewest records pushed past another task's
    eval target, then fewest dropped, then most eval records of the task. No task may end with
    more eval than train records, so units whose answers share an n-gram with every train
    record of the task (a boilerplate row) are not moved.
    """
    holding = sorted(
        u for u, rows in units.items() if (members.loc[sorted(rows), "task"] == task).any()
    )
    users: dict[str, set[int]] = defaultdict(set)  # asset -> rows of members that use it
    for row, assets in members["assets"].items():
        for asset in assets:
            users[asset].add(row)
    assets_of = {
        unit: {asset for assets in members.loc[sorted(rows), "assets"] for asset in assets}
        for unit, rows in units.items()
    }
    movable = members["origin"].isin(SPLIT_BY_GROUP)
    task_of = dict(zip(members.index[movable], members.loc[movable, "task"], strict=True))

    def per_task(rows: set[int]) -> Counter[str]:
        return Counter(task_of[row] for row in rows if row in task_of)

    unit_grams: dict[str, set] = defaultdict(set)  # n-grams of a unit's answers (eval side)
    gram_rows: dict[tuple, set[int]] = defaultdict(set)  # n-gram -> rows with it (train side)
    if ngram > 0:
        unit_of = {row: unit for unit, rows in units.items() for row in rows}
        for row in members[movable].itertuples():
            answer = set(ngrams(row.output, ngram))
            if row.Index in unit_of:
                unit_grams[unit_of[row.Index]] |= answer
            for gram in answer | set(ngrams(row.input, ngram)):
                gram_rows[gram].add(row.Index)

    # The eval part so far: its rows, the rows touching its assets (its own included), the rows
    # sharing an n-gram with its answers, and per task the rows moved, dropped as bridging and
    # dropped by decontamination (contaminated rows not already touching).
    eval_rows: set[int] = set()
    linked: set[int] = set()
    contaminated: set[int] = set()
    moved: Counter[str] = Counter()
    dropped: Counter[str] = Counter()
    decontaminated: Counter[str] = Counter()
    train = {t: int(counts.at[t, "train"]) for t in counts.index}
    evaluated = {t: int(counts.at[t, "eval"]) for t in counts.index}

    def option(unit: str) -> tuple | None:
        """The cost of adding `unit`, and its deltas; None when it breaks the rules."""
        rows = units[unit]
        new_links = set().union(*(users[asset] for asset in assets_of[unit])) - linked
        new_hits = set().union(*(gram_rows[gram] for gram in unit_grams[unit])) - contaminated
        add_moved = per_task(rows)
        # bridging: linked rows outside eval; rows the unit takes in are no longer bridging
        add_dropped = per_task(new_links - rows)
        add_dropped.subtract(per_task(rows & linked))
        add_decont = per_task({r for r in new_hits if r not in linked and r not in new_links})
        add_decont.subtract(per_task({r for r in new_links if r in contaminated}))
        after = {t: (moved[t] + add_moved[t], dropped[t] + add_dropped[t],
                     decontaminated[t] + add_decont[t])
                 for t in set(moved) | set(dropped) | set(decontaminated) | set(add_moved)
                 | set(add_dropped) | set(add_decont)}  # fmt: skip
        evals = {t: evaluated[t] + m for t, (m, _, _) in after.items()}
        trains = {t: train[t] - m - d - c for t, (m, d, c) in after.items()}
        if any(evals[t] > trains[t] for t in after) or add_moved[task] <= 0:
            return None
        past = sum(max(0, evals[t] - max(targets[t], evaluated[t])) for t in after)
        lost = sum(d + c for _, d, c in after.values())
        cost = (past, lost, -add_moved[task], _rank(seed, unit))
        return (*cost, unit, new_links, new_hits, add_moved, add_dropped, add_decont)

    chosen: list[str] = []
    while moved[task] < targets[task]:
        options = [found for unit in holding if unit not in chosen if (found := option(unit))]
        if not options:
            break
        *_, unit, new_links, new_hits, add_moved, add_dropped, add_decont = min(options)
        chosen.append(unit)
        eval_rows |= units[unit]
        linked |= new_links
        contaminated |= new_hits
        moved.update(add_moved)
        dropped.update(add_dropped)
        decontaminated.update(add_decont)
    return _Cut(chosen, eval_rows, linked - eval_rows) if chosen else None


def _units(members: pd.DataFrame, by: str) -> dict[str, set[int]]:
    """Rows split by group only, per value of column `by` (a group, or a record's own asset)."""
    movable = members[members["origin"].isin(SPLIT_BY_GROUP)]
    return {unit: set(rows.index) for unit, rows in movable.groupby(by)}


def split_off_for_eval(
    frame: pd.DataFrame, eval_fraction: float, seed: int, min_eval: int = 1, ngram: int = 0
) -> tuple[pd.DataFrame, list[Reject]]:
    """Give eval records to every task that has train records but none in eval.

    A task with records in several groups gets some of them whole (`assign_splits` can leave
    it none when each of its languages has one group). A task whose records lie in one group
    (e.g. Spring controllers link an API spec's resources, their DTOs and the shared error
    handler into one component) has that group cut by sub-asset, a record's own asset (a file,
    or an API resource `<spec>#<resource>`): the chosen sub-assets' records become an eval
    group of their own, the records that linked them to the rest are rejected (`split_cut`),
    and the rest stays in train (`_plan_cut`). Tasks that already have eval records are left
    exactly as `assign_splits` put them.
    """
    rejects: list[Reject] = []
    for task in sorted(frame.loc[frame["origin"].isin(SPLIT_BY_GROUP), "task"].unique()):
        movable = frame[frame["origin"].isin(SPLIT_BY_GROUP)]
        counts = pd.crosstab(movable["task"], movable["split"])
        counts = counts.reindex(columns=["train", "eval"], fill_value=0)
        if task not in counts.index or counts.at[task, "eval"]:
            continue  # an earlier cut dropped all its records (a coverage warning), or it has eval
        targets = {
            t: _eval_target(int(n), eval_fraction, min_eval) for t, n in counts.sum(axis=1).items()
        }
        sizes = movable[movable["task"] == task].groupby("group").size()
        cut = None
        if len(sizes) > 1:  # whole groups: nothing links them to the rest
            members = frame[frame["group"].isin(sizes.index)]
            cut = _plan_cut(members, _units(members, "group"), task, counts, targets, seed, ngram)
            if cut is not None:
                frame.loc[sorted(cut.eval_rows), "split"] = "eval"
                continue
        group = min(sizes.index, key=lambda g: (-sizes[g], _rank(seed, g)))
        members = frame[frame["group"] == group]
        cut = _plan_cut(members, _units(members, "asset_id"), task, counts, targets, seed, ngram)
        if cut is None:
            continue
        eval_rows = sorted(cut.eval_rows)
        frame.loc[eval_rows, "group"] = f"{group}>{'+'.join(cut.units)}"
        frame.loc[eval_rows, "split"] = "eval"
        eval_assets = {a for assets in frame.loc[eval_rows, "assets"] for a in assets}
        for row in sorted(cut.bridging):
            record = frame.loc[row]
            shared = sorted(set(record["assets"]) & eval_assets)[0]
            rejects.append(Reject(
                record["asset_id"], record["task"],
                f"split_cut: shares {shared} with the eval records of {', '.join(cut.units)}, "
                f"cut from group {group} so that {task} has eval records",
            ))  # fmt: skip
        frame = frame.drop(index=sorted(cut.bridging))
    return frame, rejects


def pin_frozen(frame: pd.DataFrame, frozen_assets: set[str]) -> tuple[pd.DataFrame, list[Reject]]:
    """Records of an asset the frozen eval set holds go to eval, whatever the cut said.

    The frozen set's assets stay in eval across dataset versions: a train record built from one
    would be dropped by decontamination anyway, so a cut that sends it to train (other records
    changed the counts, e.g. feedback superseding a task's train records) only loses the task's
    eval records. Train records that share an asset with the pinned ones are rejects, so no
    asset feeds both splits."""
    pinned = frame["origin"].isin(SPLIT_BY_GROUP) & (frame["split"] == "train")
    pinned &= frame["asset_id"].isin(frozen_assets)
    if not pinned.any():
        return frame, []
    frame.loc[pinned, "split"] = "eval"
    frame.loc[pinned, "group"] = frame.loc[pinned, "group"] + ">frozen"
    eval_assets = {a for assets in frame.loc[pinned, "assets"] for a in assets}
    rejects, bridging = [], []
    for row, record in frame[frame["split"] == "train"].iterrows():
        if shared := sorted(set(record["assets"]) & eval_assets):
            bridging.append(row)
            rejects.append(Reject(record["asset_id"], record["task"],
                                  f"in the frozen eval set: shares {shared[0]} with its records, "
                                  "which stay in eval"))  # fmt: skip
    return frame.drop(index=bridging), rejects


def split_records(
    frame: pd.DataFrame,
    eval_fraction: float,
    seed: int,
    min_eval: int = 1,
    ngram: int = 0,
    frozen_assets: set[str] | None = None,
) -> tuple[pd.DataFrame, list[Reject]]:
    """Attach group and split; teacher answers in an eval group become rejects.

    A task whose records all lie in one group gets eval records by cutting that group
    (`split_off_for_eval`, mindful of decontamination by `ngram`-grams); the records the cut
    drops are rejects too. Records of the frozen eval set's assets (`frozen_assets`) are
    eval (`pin_frozen`).
    """
    frame = frame.reset_index(drop=True)
    frame["group"] = asset_groups(frame["assets"]) if len(frame) else pd.Series(dtype=str)
    by_group = frame["origin"].isin(SPLIT_BY_GROUP)
    frame["split"] = "train"
    cut: list[Reject] = []
    if by_group.any():
        frame.loc[by_group, "split"] = assign_splits(frame[by_group], eval_fraction, seed, min_eval)
        frame, cut = split_off_for_eval(frame, eval_fraction, seed, min_eval, ngram)
        frame, pinned = pin_frozen(frame, frozen_assets or set())
        cut += pinned
    eval_groups = set(frame.loc[frame["split"] == "eval", "group"])
    dropped = (frame["origin"] == "teacher_output") & frame["group"].isin(eval_groups)
    rejects = [
        Reject(r.asset_id, r.task, f"teacher_in_eval: group {r.group} is in eval, "
               "where answers must be the organisation's own")
        for r in frame[dropped].itertuples()
    ]  # fmt: skip
    frame = frame[~dropped]
    return frame.sort_values(["split", "task", "record_id"], ignore_index=True), cut + rejects
