"""Paired comparisons of two models on the same eval records: difference and bootstrap interval.

Both models answer the same records, so the per-record differences are resampled (a paired
bootstrap, seeded): the interval says how far the mean difference could move with other records
of the same kind. A task counts as improved only when its whole interval is above zero and as
regressed only when it is below; anything else is a tie, whatever the point estimates say.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from tasks.params import BootstrapParams

IMPROVED, REGRESSED, TIE = "improved", "regressed", "tie"


@dataclass(frozen=True)
class Comparison:
    n: int  # records scored for both models
    before: float  # mean of the first model (e.g. base)
    after: float  # mean of the second model (e.g. tuned)
    delta: float  # after - before
    low: float  # bootstrap interval of delta
    high: float
    verdict: str  # improved | regressed | tie

    def as_dict(self) -> dict:
        """Rounded, JSON-ready."""
        return {k: round(v, 4) if isinstance(v, float) else v for k, v in asdict(self).items()}


def paired_interval(
    before: np.ndarray, after: np.ndarray, bootstrap: BootstrapParams
) -> Comparison:
    """Mean difference after - before over paired values and its percentile bootstrap interval."""
    n = len(before)
    if n == 0:
        return Comparison(0, 0.0, 0.0, 0.0, 0.0, 0.0, TIE)
    diff = np.asarray(after, dtype=float) - np.asarray(before, dtype=float)
    rng = np.random.default_rng(bootstrap.seed)
    means = diff[rng.integers(0, n, size=(bootstrap.samples, n))].mean(axis=1)
    tail = (1 - bootstrap.confidence) / 2
    low, high = (float(q) for q in np.quantile(means, [tail, 1 - tail]))
    verdict = IMPROVED if low > 0 else REGRESSED if high < 0 else TIE
    return Comparison(
        n, float(np.mean(before)), float(np.mean(after)), float(diff.mean()), low, high, verdict
    )


def paired_values(
    scored: pd.DataFrame, task: str, metric: str, first: str, second: str
) -> tuple[np.ndarray, np.ndarray]:
    """`metric` of one task for the records both models have a value for, in record order."""
    rows = scored[(scored["task"] == task) & scored["model"].isin([first, second])]
    if metric not in rows:
        return np.array([]), np.array([])
    table = rows.pivot_table(index="record_id", columns="model", values=metric, aggfunc="first")
    if first not in table or second not in table:
        return np.array([]), np.array([])
    table = table[[first, second]].astype(float).dropna().sort_index()
    return table[first].to_numpy(), table[second].to_numpy()


def compare_models(
    scored: pd.DataFrame,
    primary: dict[str, str],
    first: str,
    second: str,
    bootstrap: BootstrapParams,
    metric: str | None = None,
) -> dict[str, Comparison]:
    """Per task, `second` against `first` on the task's primary metric (or on `metric`)."""
    return {
        task: paired_interval(
            *paired_values(scored, task, metric or primary[task], first, second), bootstrap
        )
        for task in sorted(primary)
    }


def count_verdicts(comparisons: dict[str, Comparison]) -> dict[str, int]:
    """How many tasks improved, regressed and tied."""
    counts = {IMPROVED: 0, REGRESSED: 0, TIE: 0}
    for comparison in comparisons.values():
        counts[comparison.verdict] += 1
    return counts


def compare_overall(
    scored: pd.DataFrame, metric: str, first: str, second: str, bootstrap: BootstrapParams
) -> Comparison:
    """`second` against `first` on `metric` over every record both have, all tasks together."""
    rows = scored[scored["model"].isin([first, second])].assign(task="all")
    return paired_interval(*paired_values(rows, "all", metric, first, second), bootstrap)


def describe(comparison: Comparison, metric: str, confidence: float) -> str:
    """`metric 0.10 -> 0.60 (+0.50, 95% CI +0.30..+0.70, n=10)`."""
    c = comparison
    return (
        f"{metric} {c.before:.2f} -> {c.after:.2f} ({c.delta:+.2f}, {confidence:.0%} CI "
        f"{c.low:+.2f}..{c.high:+.2f}, n={c.n})"
    )
