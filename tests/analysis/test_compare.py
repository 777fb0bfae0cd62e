"""Paired comparisons against scipy and hand computations, and their calibration under the null."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.special import expit

from motools.analysis import compare_configs
from motools.analysis.compare import holm
from tests.analysis.synthetic import logit_location, sample_frame

TOL = 1e-9


def test_one_run_each_with_binary_scores_is_mcnemar() -> None:
    samples = sample_frame(
        {"lr": [1e-4, 1e-5]}, seeds=1, n_samples=120, accuracy={1e-4: 0.8, 1e-5: 0.65}, rng=np.random.default_rng(1)
    )
    (row,) = compare_configs(samples, "match", "lr", baseline=1e-5).itertuples()
    a = samples[samples["lr"] == 1e-4].set_index("sample_id")["match"]
    b = samples[samples["lr"] == 1e-5].set_index("sample_id")["match"].loc[a.index]
    n10, n01, n = int(((a == 1) & (b == 0)).sum()), int(((a == 0) & (b == 1)).sum()), len(a)
    assert row.method == "mcnemar" and row.n_pairs == n == 120
    assert row.diff == pytest.approx((n10 - n01) / n, abs=TOL)
    assert row.p_value == pytest.approx(stats.binomtest(n10, n10 + n01, 0.5).pvalue, abs=TOL)
    # Agresti & Min's "Wald+2" interval, as in Agresti's R function diffpropci(b, c, n, conflev).
    z = stats.norm.ppf(0.975)
    centre = (n10 - n01) / (n + 2)
    sd = np.sqrt((n10 + n01 + 1) - (n10 - n01) ** 2 / (n + 2)) / (n + 2)
    assert (row.lower_bound, row.upper_bound) == pytest.approx((centre - z * sd, centre + z * sd), abs=TOL)


def test_one_run_each_with_scores_is_scipys_paired_t() -> None:
    samples = sample_frame({"lr": [1e-4, 1e-5]}, seeds=1, n_samples=80, rng=np.random.default_rng(2))
    (row,) = compare_configs(samples, "judge/aligned", "lr", baseline=1e-5).itertuples()
    a = samples[samples["lr"] == 1e-4].set_index("sample_id")["judge/aligned"]
    b = samples[samples["lr"] == 1e-5].set_index("sample_id")["judge/aligned"].loc[a.index]
    test = stats.ttest_rel(a, b)
    low, high = test.confidence_interval(0.95)
    assert row.method == "paired-t"
    assert row.diff == pytest.approx(a.mean() - b.mean(), abs=TOL)
    assert row.p_value == pytest.approx(test.pvalue, abs=1e-7)
    assert (row.lower_bound, row.upper_bound) == pytest.approx((low, high), abs=TOL)


def _hand_paired(samples: pd.DataFrame, value: str, a: float, b: float) -> tuple[float, float, float]:
    """Difference, its variance and the Cochran–Cox critical value, from runs × samples tables."""
    tables = {
        lr: samples[samples["lr"] == lr].pivot_table(index="run", columns="sample_id", values=value).to_numpy()
        for lr in (a, b)
    }
    d = tables[a].mean(axis=0) - tables[b].mean(axis=0)
    n_samples = len(d)
    parts = [(d.var(ddof=1) / n_samples, n_samples - 1)]
    for table in tables.values():
        runs = table.shape[0]
        residual = table - table.mean(1, keepdims=True) - table.mean(0, keepdims=True) + table.mean()
        ms_residual = (residual**2).sum() / ((runs - 1) * (n_samples - 1))
        seed_var = max(table.mean(axis=1).var(ddof=1) - ms_residual / n_samples, 0.0) / runs
        parts.append((seed_var, runs - 1))
    var = sum(v for v, _ in parts)
    crit = sum(v * stats.t.ppf(0.975, df) for v, df in parts) / var
    return tables[a].mean() - tables[b].mean(), var, crit


@pytest.mark.parametrize("value", ["match", "judge/aligned"])
def test_several_runs_add_seed_variance_to_the_paired_differences(value: str) -> None:
    samples = sample_frame({"lr": [1e-4, 1e-5]}, seeds=4, n_samples=40, seed_sd=0.6, rng=np.random.default_rng(3))
    (row,) = compare_configs(samples, value, "lr", baseline=1e-5).itertuples()
    diff, var, crit = _hand_paired(samples, value, 1e-4, 1e-5)
    assert row.method == "paired-t" and row.n_runs == 4 and row.baseline_n_runs == 4
    assert row.diff == pytest.approx(diff, abs=TOL)
    half = crit * np.sqrt(var)
    assert (row.lower_bound, row.upper_bound) == pytest.approx((diff - half, diff + half), abs=TOL)
    # The p-value is the level at which the interval reaches 0.
    (edge,) = compare_configs(samples, value, "lr", baseline=1e-5, confidence=1 - row.p_value).itertuples()
    nearest = edge.lower_bound if diff > 0 else edge.upper_bound
    assert nearest == pytest.approx(0.0, abs=1e-6)


def test_pairing_uses_only_shared_samples_whatever_the_row_order() -> None:
    samples = sample_frame({"lr": [1e-4, 1e-5]}, seeds=2, n_samples=30, rng=np.random.default_rng(4))
    dropped = samples[~((samples["lr"] == 1e-5) & samples["sample_id"].isin(["s1", "s2", "s3"]))]
    shuffled = dropped.sample(frac=1.0, random_state=0)
    result = compare_configs(shuffled, "match", "lr", baseline=1e-5)
    shared = samples[~samples["sample_id"].isin(["s1", "s2", "s3"])]
    reference = compare_configs(shared, "match", "lr", baseline=1e-5)
    assert result["n_pairs"].item() == 27
    pd.testing.assert_frame_equal(result, reference)


def test_two_sweeps_compare_by_sweep_with_runs_clustered_per_sweep() -> None:
    a = sample_frame({"lr": [1e-4]}, seeds=2, n_samples=25, accuracy={1e-4: 0.6}, rng=np.random.default_rng(5))
    b = sample_frame({"lr": [1e-4]}, seeds=2, n_samples=25, accuracy={1e-4: 0.8}, rng=np.random.default_rng(6))
    stacked = pd.concat([a.assign(sweep="base"), b.assign(sweep="tuned")], ignore_index=True)
    (row,) = compare_configs(stacked, "match", "sweep", baseline="base").itertuples()
    assert (row.sweep, row.baseline_sweep, row.n_runs, row.baseline_n_runs) == ("tuned", "base", 2, 2)
    assert row.n_pairs == 25


def test_all_pairs_within_tasks_are_holm_adjusted_together() -> None:
    samples = sample_frame(
        {"lr": [1e-4, 1e-5, 1e-6]}, seeds=2, n_samples=30, tasks=("qa", "math"), rng=np.random.default_rng(7)
    )
    out = compare_configs(samples, "match", "lr", within="task")
    assert list(out.columns[:3]) == ["task", "lr", "baseline_lr"]
    assert len(out) == 6 and set(out["task"]) == {"qa", "math"}
    assert list(zip(out["lr"], out["baseline_lr"], strict=True))[:3] == [(1e-5, 1e-4), (1e-6, 1e-4), (1e-6, 1e-5)]
    np.testing.assert_allclose(out["p_holm"], holm(out["p_value"].to_numpy()))


def test_holm_by_hand() -> None:
    np.testing.assert_allclose(holm(np.array([0.01, 0.04, 0.03])), [0.03, 0.06, 0.06])
    np.testing.assert_allclose(holm(np.array([0.5, np.nan, 0.01])), [0.5, np.nan, 0.02])
    assert holm(np.array([0.6, 0.7])).tolist() == [1.0, 1.0]


def test_baseline_must_name_exactly_one_config() -> None:
    samples = sample_frame({"lr": [1e-4, 1e-5], "rank": [8]}, seeds=1, n_samples=5)
    with pytest.raises(ValueError, match=r"matches no config; configs: lr=0.0001"):
        compare_configs(samples, "match", "lr", baseline=3e-4)
    with pytest.raises(ValueError, match="not among the `by` columns"):
        compare_configs(samples, "match", "lr", baseline={"rank": 8})
    with pytest.raises(ValueError, match="mapping"):
        compare_configs(samples, "match", ["lr", "rank"], baseline=1e-4)
    with pytest.raises(ValueError, match="sample_id"):
        compare_configs(samples.drop(columns="sample_id"), "match", "lr")


def test_false_positive_rate_under_the_null_is_nominal() -> None:
    """Two identical configs, 3 seeds each, same 100 samples, 1,000 repetitions."""
    rng = np.random.default_rng(11)
    reps, seeds, n = 1000, 3, 100
    location = logit_location(0.7, float(np.hypot(1.0, 0.3)))
    difficulty = rng.normal(0.0, 1.0, (reps, 1, n))
    blocks = []
    for config in range(2):
        effect = rng.normal(0.0, 0.3, (reps, seeds, 1))
        scores = (rng.random((reps, seeds, n)) < expit(location + effect + difficulty)).astype(float)
        blocks.append(
            pd.DataFrame(
                {
                    "cfg": config,
                    "repeat": np.repeat(np.arange(reps), seeds * n),
                    "run": np.repeat(np.arange(reps * seeds), n) + config * reps * seeds,
                    "task": "qa",
                    "sample_id": np.tile(np.arange(n), reps * seeds),
                    "epoch": 1,
                    "match": scores.ravel(),
                }
            )
        )
    out = compare_configs(pd.concat(blocks, ignore_index=True), "match", "cfg", baseline=0, within="repeat")
    rejected = (out["p_value"] < 0.05).mean()
    assert 0.03 <= rejected <= 0.07
    excludes_zero = (out["lower_bound"] > 0) | (out["upper_bound"] < 0)
    assert ((out["p_value"] < 0.05) == excludes_zero).all()
