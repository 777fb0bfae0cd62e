"""Intervals that respect the metric and both sources of noise, against hand computations.

The score intervals are checked by solving the Wilson quadratic (mean - p)² = c² · p(1-p) / n
with numpy's polynomial roots, not by the closed form the code uses.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from motools.analysis.stats import compute_ci_df
from tests.analysis.synthetic import sample_frame

TOL = 1e-9


def score_roots(mean: float, var_of_mean: float, crit: float) -> tuple[float, float]:
    """Both p with (mean - p)² = crit² · p(1-p) · var / (mean(1-mean)): the score interval."""
    k = crit**2 * var_of_mean / (mean * (1 - mean))
    roots = np.sort(np.roots([1 + k, -(2 * mean + k), mean**2]).real)
    return float(roots[0]), float(roots[1])


def crossed(table: np.ndarray) -> tuple[float, float, float]:
    """Mean, variance of the mean and Cochran–Cox critical value of a runs × samples table."""
    runs, samples = table.shape
    mean = table.mean()
    run_means, sample_means = table.mean(axis=1), table.mean(axis=0)
    residual = table - run_means[:, None] - sample_means[None, :] + mean
    ms_samples = runs * ((sample_means - mean) ** 2).sum() / (samples - 1)
    ms_residual = (residual**2).sum() / ((runs - 1) * (samples - 1))
    var_runs = run_means.var(ddof=1) / runs
    var_samples = max(ms_samples - ms_residual, 0.0) / (runs * samples)
    var = var_runs + var_samples
    crit = (var_runs * stats.t.ppf(0.975, runs - 1) + var_samples * stats.t.ppf(0.975, samples - 1)) / var
    return mean, var, crit


def test_the_issue_example_stays_in_range() -> None:
    """Three seeds at 0.8, 0.9, 1.0: the t interval is [0.6516, 1.148]; ours ends at 1."""
    df = pd.DataFrame({"learning_rate": [5e-5] * 3, "accuracy": [0.8, 0.9, 1.0]})
    t_low, t_high = stats.t.interval(0.95, 2, loc=0.9, scale=stats.sem([0.8, 0.9, 1.0]))
    assert (round(t_low, 4), round(t_high, 3)) == (0.6516, 1.148)
    (row,) = compute_ci_df(df, "accuracy", ["learning_rate"]).itertuples()
    assert row.method == "wilson-t"
    assert row.mean == pytest.approx(0.9)
    assert 0.0 < row.lower_bound < row.mean < row.upper_bound < 1.0
    low, high = score_roots(0.9, np.var([0.8, 0.9, 1.0], ddof=1) / 3, stats.t.ppf(0.975, 2))
    assert (row.lower_bound, row.upper_bound) == pytest.approx((low, high), abs=TOL)


def test_agreeing_and_single_seeds_give_no_interval() -> None:
    df = pd.DataFrame({"lr": [1e-4, 1e-4, 1e-5, 1e-6, 1e-6], "accuracy": [0.9, 0.9, 0.8, 0.5, 0.7]})
    ci = compute_ci_df(df, "accuracy", "lr").set_index("lr")
    assert ci.loc[1e-4, "method"] == "no-spread" and ci.loc[1e-4, "mean"] == 0.9
    assert np.isnan(ci.loc[1e-4, ["lower_bound", "upper_bound"]].astype(float)).all()
    assert ci.loc[1e-5, "method"] == "single" and np.isnan(ci.loc[1e-5, "lower_bound"])
    assert ci.loc[1e-6, "method"] == "wilson-t"


def test_bounds_scale_and_opt_out() -> None:
    rng = np.random.default_rng(3)
    df = pd.DataFrame({"g": np.repeat(["a", "b"], 4), "v": rng.uniform(0.5, 1.0, 8)})
    unit = compute_ci_df(df, "v", "g")
    tens = compute_ci_df(df.assign(v=df["v"] * 10), "v", "g", bounds=(0, 10))
    for col in ("mean", "lower_bound", "upper_bound"):
        np.testing.assert_allclose(tens[col], unit[col] * 10, atol=1e-9)
    plain = compute_ci_df(df, "v", "g", bounds=None)
    assert plain["method"].tolist() == ["t", "t"]
    for row, (_, part) in zip(plain.itertuples(), df.groupby("g"), strict=True):
        low, high = stats.t.interval(0.95, 3, loc=part["v"].mean(), scale=stats.sem(part["v"]))
        assert (row.lower_bound, row.upper_bound) == pytest.approx((low, high), abs=TOL)
    with pytest.raises(ValueError, match="outside its bounds"):
        compute_ci_df(df, "v", "g", bounds=(0, 0.9))


def test_one_run_is_wilson_over_its_samples() -> None:
    samples = sample_frame({"learning_rate": [1e-4, 1e-5]}, seeds=1, n_samples=60, rng=np.random.default_rng(1))
    ci = compute_ci_df(samples, "match", ["learning_rate"], cluster_col="run")
    z = NormalDist().inv_cdf(0.975)
    for row in ci.itertuples():
        hits = samples.loc[samples["learning_rate"] == row.learning_rate, "match"]
        n, p = len(hits), hits.mean()
        centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
        margin = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
        assert row.method == "wilson" and row.n_runs == 1 and row.count == n
        assert (row.lower_bound, row.upper_bound) == pytest.approx((centre - margin, centre + margin), abs=TOL)


def test_epochs_of_a_sample_are_not_independent_evidence() -> None:
    once = sample_frame({"lr": [1e-4]}, seeds=1, n_samples=40, rng=np.random.default_rng(2))
    twice = pd.concat([once, once.assign(epoch=2)], ignore_index=True)  # same answers again
    a = compute_ci_df(once, "match", ["lr"], cluster_col="run")
    b = compute_ci_df(twice, "match", ["lr"], cluster_col="run")
    assert b["count"].item() == 2 * a["count"].item()
    for col in ("mean", "lower_bound", "upper_bound"):
        assert b[col].item() == pytest.approx(a[col].item(), abs=TOL)


@pytest.mark.parametrize("value_col", ["match", "judge/aligned"])
def test_several_runs_on_shared_samples_match_the_crossed_table(value_col: str) -> None:
    samples = sample_frame({"lr": [1e-4, 1e-5]}, seeds=4, n_samples=30, rng=np.random.default_rng(3))
    ci = compute_ci_df(samples, value_col, ["lr"], cluster_col="run")
    for row in ci.itertuples():
        part = samples[samples["lr"] == row.lr]
        table = part.pivot_table(index="run", columns="sample_id", values=value_col).to_numpy()
        mean, var, crit = crossed(table)
        assert row.method == "wilson-t" and row.n_runs == 4 and row.count == 120
        assert row.mean == pytest.approx(mean, abs=TOL)
        assert (row.lower_bound, row.upper_bound) == pytest.approx(score_roots(mean, var, crit), abs=TOL)


def test_unbounded_scores_get_t_over_run_means_when_samples_are_not_shared() -> None:
    rng = np.random.default_rng(4)
    df = pd.DataFrame(
        {
            "cfg": np.repeat(["a", "b"], 30),
            "run": np.repeat(np.arange(6), 10),
            "sample_id": [f"s{i}" for i in range(60)],  # every run has its own samples
            "epoch": 1,
            "loss": rng.gamma(2.0, 1.5, 60),
        }
    )
    ci = compute_ci_df(df, "loss", "cfg")  # clustered by run: a per-sample frame
    for row, (_, part) in zip(ci.itertuples(), df.groupby("cfg"), strict=True):
        run_means = part.groupby("run")["loss"].mean()
        low, high = stats.t.interval(0.95, 2, loc=run_means.mean(), scale=stats.sem(run_means))
        assert row.method == "t" and row.n_runs == 3
        assert (row.lower_bound, row.upper_bound) == pytest.approx((low, high), abs=TOL)


def test_agreeing_runs_on_shared_samples_keep_the_sampling_noise() -> None:
    samples = sample_frame({"lr": [1e-4]}, seeds=1, n_samples=50, rng=np.random.default_rng(5))
    copy = samples.assign(run=1, seed=1)
    copy.loc[copy.index[:2], "match"] = 1 - copy.loc[copy.index[:2], "match"]  # same mean, other samples
    both = pd.concat([samples, copy], ignore_index=True)
    assert both.groupby("run")["match"].mean().nunique() == 1
    (row,) = compute_ci_df(both, "match", ["lr"], cluster_col="run").itertuples()
    assert row.method == "wilson-t"
    assert row.upper_bound - row.lower_bound > 0.1


def test_stacked_sweeps_cluster_on_sweep_and_run() -> None:
    a = sample_frame({"lr": [1e-4]}, seeds=2, n_samples=20, rng=np.random.default_rng(6))
    b = sample_frame({"lr": [1e-4]}, seeds=2, n_samples=20, rng=np.random.default_rng(7))
    stacked = pd.concat([a.assign(sweep="a"), b.assign(sweep="b")], ignore_index=True)
    stacked = stacked[["sweep", *a.columns]]
    ours = compute_ci_df(stacked, "match", ["lr"], cluster_col=["sweep", "run"])
    renumbered = stacked.assign(run=stacked["run"] + np.where(stacked["sweep"] == "b", 100, 0))
    reference = compute_ci_df(renumbered, "match", ["lr"], cluster_col="run")
    assert ours["n_runs"].item() == 4
    pd.testing.assert_frame_equal(ours, reference)
    assert compute_ci_df(stacked, "match", ["lr"])["n_runs"].item() == 4  # the default knows sweeps


def test_sample_frames_cluster_by_default_and_can_opt_out() -> None:
    samples = sample_frame({"lr": [1e-4, 1e-5]}, seeds=3, n_samples=20, rng=np.random.default_rng(8))
    pd.testing.assert_frame_equal(
        compute_ci_df(samples, "match", "lr"), compute_ci_df(samples, "match", "lr", cluster_col="run")
    )
    rows = compute_ci_df(samples, "match", "lr", cluster_col=[])
    assert "n_runs" not in rows.columns and rows["method"].tolist() == ["wilson-t", "wilson-t"]


def test_clustered_data_refuses_methods_that_ignore_runs() -> None:
    samples = sample_frame({"lr": [1e-4]}, seeds=2, n_samples=5)
    with pytest.raises(ValueError, match="cluster"):
        compute_ci_df(samples, "match", "lr", method="bootstrap", cluster_col="run")


def test_several_group_columns_keep_first_seen_order_and_nan_keys() -> None:
    df = pd.DataFrame({"a": [2.0, np.nan, 2.0, 1.0, np.nan], "b": ["x", "y", "x", "y", "y"], "v": [1.0, 2, 3, 4, 5]})
    ci = compute_ci_df(df, "v", ["a", "b"], method="t")
    assert ci["b"].tolist() == ["x", "y", "y"]
    assert ci["count"].tolist() == [2, 2, 1]
    assert np.isnan(ci["a"].iloc[1]) and ci["mean"].tolist() == [2.0, 3.5, 4.0]
