"""The dataset card: what is in this version of the dataset and what was left out, and why."""

from __future__ import annotations

import pandas as pd


def _table(frame: pd.DataFrame) -> str:
    header = "| " + " | ".join(str(c) for c in frame.columns) + " |"
    rule = "|" + " --- |" * len(frame.columns)
    rows = ["| " + " | ".join(str(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([header, rule, *rows])


def dataset_card(records: pd.DataFrame, rejects: pd.DataFrame) -> str:
    """Markdown card: counts per task and split, languages, token lengths, rejects by reason."""
    by_task = records.groupby(["task", "split"]).size().unstack(fill_value=0).reset_index()
    languages = records.groupby(["task", "language"]).size().reset_index(name="records")
    tokens = (
        records.groupby("task")["n_tokens"]
        .agg(["min", "median", "max"])
        .round(0)
        .astype(int)
        .reset_index()
    )
    reasons = (
        rejects.assign(reason=rejects["reason"].str.split(":").str[0])
        .groupby(["task", "reason"])
        .size()
        .reset_index(name="rejected")
        if len(rejects)
        else pd.DataFrame(columns=["task", "reason", "rejected"])
    )
    origins = records.groupby("origin").size().reset_index(name="records")
    return (
        "\n\n".join(
            [
                "# Dataset card",
                f"{len(records)} records ({(records['split'] == 'train').sum()} train, "
                f"{(records['split'] == 'eval').sum()} eval); {len(rejects)} candidates rejected. "
                "Records that share a source asset are always in the same split.",
                "## Records per task and split\n\n" + _table(by_task),
                "## Languages\n\n" + _table(languages),
                "## Tokens per record (prompt + answer)\n\n" + _table(tokens),
                "## Where records come from\n\n" + _table(origins),
                "## Rejected candidates by reason\n\n" + _table(reasons),
            ]
        )
        + "\n"
    )
