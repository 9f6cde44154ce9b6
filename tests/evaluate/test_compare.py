import numpy as np
import pandas as pd

from tasks.evaluate.compare import (
    IMPROVED,
    REGRESSED,
    TIE,
    compare_models,
    compare_overall,
    count_verdicts,
    paired_interval,
)
from tasks.params import BootstrapParams

BOOT = BootstrapParams(samples=2000, confidence=0.95, seed=7)


def test_given_a_known_improvement_when_compared_then_the_interval_excludes_zero():
    before = np.zeros(20)
    after = np.array([1.0] * 12 + [0.0] * 8)  # +0.6 on average

    c = paired_interval(before, after, BOOT)

    assert c.verdict == IMPROVED and c.n == 20
    assert abs(c.delta - 0.6) < 1e-9 and 0 < c.low < 0.6 < c.high <= 1.0


def test_given_a_tie_or_noise_when_compared_then_no_improvement_is_claimed():
    same = np.array([0.0, 1.0] * 5)
    assert paired_interval(same, same, BOOT).verdict == TIE
    # one record better, one worse: the point estimate is 0 and so is nothing else
    noisy = paired_interval(np.array([1.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0]), BOOT)
    assert noisy.verdict == TIE and noisy.low < 0 < noisy.high
    # a single lucky record out of ten is not a result
    lucky = paired_interval(np.zeros(10), np.array([1.0] + [0.0] * 9), BOOT)
    assert lucky.verdict == TIE and lucky.delta > 0


def test_given_a_known_regression_when_compared_then_it_is_called_a_regression():
    c = paired_interval(np.ones(15), np.array([0.0] * 10 + [1.0] * 5), BOOT)
    assert c.verdict == REGRESSED and c.high < 0


def test_given_the_same_seed_when_compared_twice_then_the_interval_is_the_same():
    rng = np.random.default_rng(0)
    before, after = rng.random(30), rng.random(30)
    assert paired_interval(before, after, BOOT) == paired_interval(before, after, BOOT)


def test_given_scored_rows_when_compared_per_task_then_records_are_paired_by_id():
    rows = []
    for i in range(12):
        rows += [
            {"model": "base", "task": "a", "record_id": f"r{i}", "format_valid": 0.0},
            {"model": "tuned", "task": "a", "record_id": f"r{i}", "format_valid": 1.0},
            {"model": "base", "task": "b", "record_id": f"s{i}", "format_valid": 1.0},
            {"model": "tuned", "task": "b", "record_id": f"s{i}", "format_valid": 1.0},
        ]
    rows.append({"model": "tuned", "task": "a", "record_id": "only-tuned", "format_valid": 0.0})
    scored = pd.DataFrame(rows)

    result = compare_models(
        scored, {"a": "format_valid", "b": "format_valid"}, "base", "tuned", BOOT
    )

    assert result["a"].n == 12 and result["a"].verdict == IMPROVED  # unpaired row left out
    assert result["b"].verdict == TIE
    assert count_verdicts(result) == {IMPROVED: 1, REGRESSED: 0, TIE: 1}
    overall = compare_overall(scored, "format_valid", "base", "tuned", BOOT)
    assert overall.n == 24 and abs(overall.delta - 0.5) < 1e-9
