"""Do 95% intervals cover the truth 95% of the time? Simulated sweeps, 2,000 repetitions each.

Runs differ by seed (a seed effect on the logit scale) and by their finite samples (each
config's 100 samples are a draw from the task population, shared by its seeds). The truth is
the run's expected score for one seed, the config's expected score over seeds for several.
"""

from __future__ import annotations

import numpy as np
import pytest

from motools.analysis.stats import compute_ci_df
from tests.analysis.synthetic import simulated_sweep

REPEATS = 2000
LOW, HIGH = 0.92, 0.97


@pytest.mark.parametrize("seeds", [1, 3, 10])
def test_cluster_intervals_hold_coverage(seeds: int) -> None:
    rng = np.random.default_rng(1000 + seeds)
    samples, truth = simulated_sweep([0.5, 0.9], seeds, 100, REPEATS, rng=rng)
    ci = compute_ci_df(samples, "match", ["true_mean", "repeat"], cluster_col="run")
    assert ci["method"].unique().tolist() == (["wilson"] if seeds == 1 else ["wilson-t"])
    assert (ci["n_runs"] == seeds).all()
    assert (ci["lower_bound"] >= 0).all() and (ci["upper_bound"] <= 1).all()
    covered = (ci["lower_bound"] <= truth) & (truth <= ci["upper_bound"])
    for mean in (0.5, 0.9):
        coverage = covered[ci["true_mean"] == mean].mean()
        assert LOW <= coverage <= HIGH, f"{seeds} seeds, true mean {mean}: coverage {coverage:.3f}"


def test_a_plain_cluster_bootstrap_would_fail_this_check() -> None:
    """The check has teeth: resampling 3 runs covers far less than 92%."""
    rng = np.random.default_rng(7)
    samples, truth = simulated_sweep([0.5], 3, 100, 500, rng=rng)
    run_means = samples.groupby(["repeat", "run"])["match"].mean().to_numpy().reshape(500, 3)
    draws = rng.integers(0, 3, size=(1000, 3))
    boot = run_means[:, draws].mean(axis=2)
    low, high = np.percentile(boot, [2.5, 97.5], axis=1)
    assert np.mean((low <= truth) & (truth <= high)) < LOW
