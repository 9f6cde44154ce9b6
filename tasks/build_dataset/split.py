"""Grouped, deterministic train/eval split: records sharing an asset stay on one side."""

from __future__ import annotations

import hashlib
import math
from collections import Counter, defaultdict

import pandas as pd

from tasks.build_dataset.candidates import Reject

# Eval answers are the organisation's own: teacher-written answers only ever train, and
# feedback records always train (eval stays asset-derived and comparable across versions).
SPLIT_BY_GROUP = ("asset", "teacher_input")
STRATIFIED = ("implement_method", "write_test")


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


def split_records(
    frame: pd.DataFrame, eval_fraction: float, seed: int, min_eval: int = 1
) -> tuple[pd.DataFrame, list[Reject]]:
    """Attach group and split; teacher answers in an eval group become rejects."""
    frame = frame.copy()
    frame["group"] = asset_groups(frame["assets"]) if len(frame) else pd.Series(dtype=str)
    by_group = frame["origin"].isin(SPLIT_BY_GROUP)
    frame["split"] = "train"
    if by_group.any():
        frame.loc[by_group, "split"] = assign_splits(frame[by_group], eval_fraction, seed, min_eval)
    eval_groups = set(frame.loc[frame["split"] == "eval", "group"])
    dropped = (frame["origin"] == "teacher_output") & frame["group"].isin(eval_groups)
    rejects = [
        Reject(r.asset_id, r.task, f"teacher_in_eval: group {r.group} is in eval, "
               "where answers must be the organisation's own")
        for r in frame[dropped].itertuples()
    ]  # fmt: skip
    frame = frame[~dropped]
    return frame.sort_values(["split", "task", "record_id"], ignore_index=True), rejects
