"""Which assets feed which task, and why a task got no records, no eval or no train records.

Step 2 prints these as warnings and the dataset gate quotes them in its failures, so a corpus
without user stories, or whose API records all share one asset group, is told which task is
short, by how much, and what would feed it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import pandas as pd

from tasks.build_dataset.decontaminate import ngrams
from tasks.build_dataset.split import SPLIT_BY_GROUP
from tasks.task_specs import specs

# Kinds of step 1 (tasks.identify_assets.classify) a task's records are built from, and what
# else feeds it: from its spec (tasks/task_specs).
TASK_KINDS: dict[str, tuple[str, ...]] = {name: task.asset_kinds for name, task in specs().items()}
_ALSO = {name: task.also_fed_by for name, task in specs().items() if task.also_fed_by}
# Reject reasons (their head, before ':') that drop train records once the split is made.
_TRAIN_DROPS = {
    "contaminated": "shared an n-gram with an eval answer (decontamination)",
    "split_cut": "linked an asset to the eval records the split cut off",
    "in the frozen eval set": "came from an asset of the frozen eval set",
}


@dataclass(frozen=True)
class TaskCoverage:
    task: str
    train: int
    eval: int
    problem: str = ""  # why the task has no records, no eval or no train records ("" when fine)

    def line(self) -> str:
        return f"task {self.task}: {self.train} train, {self.eval} eval records: {self.problem}"


def _kinds_text(kinds: tuple[str, ...]) -> str:
    return " or ".join(kinds) if len(kinds) < 3 else ", ".join(kinds[:-1]) + " or " + kinds[-1]


def _reason_counts(rejects: pd.DataFrame) -> Counter[str]:
    return Counter(rejects["reason"].str.split(":").str[0]) if len(rejects) else Counter()


def _no_records(task: str, kinds: Counter[str] | None, rejects: pd.DataFrame) -> str:
    wanted = TASK_KINDS.get(task, ())
    reasons = _reason_counts(rejects)
    if reasons:
        shown = ", ".join(f"{reason} {n}" for reason, n in sorted(reasons.items()))
        return f"no records: all {sum(reasons.values())} candidates were rejected ({shown})"
    if kinds is not None and wanted and not any(kinds[kind] for kind in wanted):
        kept = ", ".join(f"{k}={n}" for k, n in sorted(kinds.items())) or "none"
        also = f", and no {_ALSO[task]}" if task in _ALSO else ""
        return f"no records: no assets of kind {_kinds_text(wanted)}{also} (kept assets: {kept})"
    if kinds is not None and wanted:
        found = ", ".join(f"{kind}={kinds[kind]}" for kind in wanted if kinds[kind])
        return f"no records: its assets ({found}) gave no candidate for it"
    return "no records"


def _shared_ngram(answers: pd.Series, ngram: int) -> str:
    """'k of the n answers share the <n>-gram ...' when at least half share one, else ''."""
    if ngram <= 0 or answers.empty:
        return ""
    found = Counter(gram for answer in answers for gram in set(ngrams(answer, ngram)))
    if not found:
        return ""
    gram, count = found.most_common(1)[0]
    if count * 2 < len(answers):
        return ""
    shown = " ".join(gram)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    return (
        f"; {count} of its {len(answers)} answers share the {ngram}-gram '{shown}', so "
        "decontamination would drop every train record an eval part left "
        "(build_dataset.decontamination_ngram)"
    )


def _no_eval(records: pd.DataFrame, ngram: int) -> str:
    movable = records[records["origin"].isin(SPLIT_BY_GROUP)]
    if movable.empty:
        return "no eval records: all its records are feedback or teacher answers, which only train"
    groups = movable["group"].nunique()
    where = (
        f"all {len(movable)} of its asset records share one asset group "
        f"({movable['group'].iloc[0]})"
        if groups == 1
        else f"its asset records lie in {groups} asset groups"
    )
    return (
        f"no eval records: {where}, and no part of them could move to eval leaving every task "
        f"at least as many train as eval records{_shared_ngram(movable['output'], ngram)}"
    )


def _no_train(rejects: pd.DataFrame) -> str:
    reasons = _reason_counts(rejects)
    dropped = [f"{reasons[r]} {why}" for r, why in _TRAIN_DROPS.items() if reasons[r]]
    if dropped:
        return "no train records: " + "; ".join(dropped)
    return "no train records"


def task_coverage(
    tasks: list[str],
    records: pd.DataFrame,
    rejects: pd.DataFrame | None = None,
    kinds: Counter[str] | None = None,
    ngram: int = 0,
) -> list[TaskCoverage]:
    """Train / eval records per listed task and, where one side is empty, why.

    `rejects`: the build's rejects (asset_id, task, reason); `kinds`: kept assets per kind;
    `ngram`: build_dataset.decontamination_ngram.
    """
    rejects = rejects if rejects is not None else pd.DataFrame(columns=["task", "reason"])
    found = []
    for task in tasks:
        mine = records[records["task"] == task]
        train = int((mine["split"] == "train").sum())
        evaluated = int((mine["split"] == "eval").sum())
        dropped = rejects[rejects["task"] == task]
        problem = ""
        if mine.empty:
            problem = _no_records(task, kinds, dropped)
        elif not evaluated:
            problem = _no_eval(mine, ngram)
        elif not train:
            problem = _no_train(dropped)
        found.append(TaskCoverage(task, train, evaluated, problem))
    return found


def coverage_warnings(coverage: list[TaskCoverage]) -> list[str]:
    """One warning per task with no records, no eval or no train records."""
    return [f"warning: {c.line()}" for c in coverage if c.problem]
