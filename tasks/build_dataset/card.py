"""The dataset card: what is in this version of the dataset and what was left out, and why."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from tasks.build_dataset.teacher import TeacherStats
from tasks.params import CurationParams

CURATION_REASONS = ("non_restful", "code_smell", "thin_story")  # curation.py


@dataclass
class BuildInfo:
    """How the build ran, beyond what the records and rejects show."""

    real_plantuml: bool
    decontamination_ngram: int
    teacher_url: str | None = None
    teacher: TeacherStats | None = None
    warnings: list[str] = field(default_factory=list)  # tasks short of records (coverage.py)
    standards: CurationParams | None = None  # build_dataset.curation, as the build applied it


def _table(frame: pd.DataFrame) -> str:
    header = "| " + " | ".join(str(c) for c in frame.columns) + " |"
    rule = "|" + " --- |" * len(frame.columns)
    rows = ["| " + " | ".join(str(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([header, rule, *rows])


def _counts(records: pd.DataFrame, by: list[str], across: str) -> pd.DataFrame:
    if records.empty:
        return pd.DataFrame(columns=[*by, across])
    return records.groupby([*by, across]).size().unstack(fill_value=0).reset_index()


def _heads(rejects: pd.DataFrame) -> pd.Series:
    """Each reject's reason up to its first colon (`non_restful`, `duplicate`, ...)."""
    return rejects["reason"].str.split(":").str[0]


def _reasons(rejects: pd.DataFrame) -> pd.DataFrame:
    if rejects.empty:
        return pd.DataFrame(columns=["task", "reason", "rejected"])
    head = _heads(rejects)
    return (
        rejects.assign(reason=head).groupby(["task", "reason"]).size().reset_index(name="rejected")
    )


def _teacher(info: BuildInfo, records: pd.DataFrame) -> str:
    if not info.teacher_url or info.teacher is None:
        return "Off (no `build_dataset.teacher.base_url`): every record comes from the assets."
    stats = info.teacher
    origins = records["origin"].value_counts()
    return (
        f"Teacher at {info.teacher_url}: {stats.requests} requests, {stats.cache_hits} answers "
        f"from the cache, {stats.failures} failed. Kept: "
        f"{int(origins.get('teacher_output', 0))} records with a teacher-written answer "
        f"(train only), {int(origins.get('teacher_input', 0))} with a teacher-written input."
    )


def _curation(rejects: pd.DataFrame, standards: CurationParams | None) -> str:
    if standards is None:
        return "Not applied."
    head = _heads(rejects)
    counts = {reason: int((head == reason).sum()) for reason in CURATION_REASONS}
    return (
        f"Answers held to build_dataset.curation before they became records: "
        f"{counts['non_restful']} rejected as non_restful (RESTful rules "
        f"{', '.join(standards.restful_rules)}), {counts['code_smell']} as code_smell (lizard: "
        f"cyclomatic complexity > {standards.max_ccn}, lines of code > "
        f"{standards.max_function_lines} or parameters > {standards.max_parameters} in a "
        f"function), {counts['thin_story']} as thin_story (fewer than "
        f"{standards.min_acceptance_criteria} acceptance criteria, or one without Then)."
    )


def dataset_card(records: pd.DataFrame, rejects: pd.DataFrame, info: BuildInfo) -> str:
    """Markdown card: counts per task, split and language, token lengths, rejects by reason."""
    tokens = (
        records.groupby("task")["n_tokens"].agg(["min", "median", "max"]).round(0).astype(int)
        .reset_index()
    )  # fmt: skip
    contaminated = rejects[rejects["reason"].str.startswith("contaminated")]
    checker = (
        "PlantUML itself and the structural checker"
        if info.real_plantuml
        else ("the structural checker (PlantUML not used)")
    )
    n_train, n_eval = (records["split"] == "train").sum(), (records["split"] == "eval").sum()
    sections = [
        "# Dataset card",
        f"{len(records)} records ({n_train} train, {n_eval} eval); {len(rejects)} candidates "
        "rejected. Records that share a source asset are always in the same split. Diagrams "
        f"were checked by {checker}.",
        "## Records per task and split\n\n"
        + _table(_counts(records, ["task"], "split"))
        + "".join(f"\n\n- {w.removeprefix('warning: ')}" for w in info.warnings),
        "## Answer languages\n\n" + _table(_counts(records, ["task"], "language")),
        "## Instruction languages per split\n\n"
        + _table(_counts(records, ["task", "split"], "instruction_language")),
        "## Instruction kinds\n\n" + _table(_counts(records, ["instruction_kind"], "split")),
        "## Tokens per record (prompt + answer)\n\n" + _table(tokens),
        "## Where records come from\n\n" + _table(_counts(records, ["origin"], "split")),
        "## Rejected candidates by reason\n\n" + _table(_reasons(rejects)),
        "## Curation by standards\n\n" + _curation(rejects, info.standards),
        f"## Decontamination\n\n{len(contaminated)} train records dropped for sharing a "
        f"{info.decontamination_ngram}-gram of words with an eval answer"
        + ("" if info.decontamination_ngram > 0 else " (turned off)")
        + (
            "."
            if contaminated.empty
            else ":\n\n" + _table(contaminated[["asset_id", "task", "reason"]])
        ),
        "## Teacher distillation\n\n" + _teacher(info, records),
    ]
    return "\n\n".join(sections) + "\n"
