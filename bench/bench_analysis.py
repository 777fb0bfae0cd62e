"""Time the analysis hot paths: ``.venv/bin/python bench/bench_analysis.py``.

Prints the best of a few runs, since the minimum is the least noisy estimate of the cost.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from motools.analysis.best import best_setting
from motools.analysis.charts import line_chart_data
from motools.analysis.compare import compare_configs
from motools.analysis.render_plotext import render_plotext
from motools.analysis.stats import compute_ci_df

REPEATS = 5


def best_of(fn: Callable[[], object], repeats: int = REPEATS) -> float:
    fn()  # warm-up: lazy imports (scipy, plotext) are not what we measure
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def sample_sweep(configs: int, seeds: int, samples: int, rng: np.random.Generator) -> pd.DataFrame:
    """A per-sample frame in collate_sweep's layout: configs × seeds runs, each on the same samples."""
    runs = configs * seeds
    p = np.clip(rng.normal(0.7, 0.1, runs), 0.01, 0.99)
    config = np.repeat(np.arange(configs), seeds * samples)
    return pd.DataFrame(
        {
            "learning_rate": 10.0 ** (-6 + 3 * config / configs),
            "seed": np.tile(np.repeat(np.arange(seeds), samples), configs),
            "run": np.repeat(np.arange(runs), samples),
            "status": "finished",
            "task": "qa",
            "sample_id": np.tile(np.arange(samples), runs).astype(str),
            "epoch": 1,
            "match": (rng.random(runs * samples) < np.repeat(p, samples)).astype(float),
        }
    )


def main() -> None:
    rng = np.random.default_rng(0)
    rows, groups = 100_000, 1_000
    big = pd.DataFrame({"group": rng.integers(0, groups, size=rows), "value": rng.normal(0.7, 0.1, size=rows)})
    flips = big.assign(value=rng.random(rows) < 0.7)
    million = sample_sweep(1_000, 10, 100, rng)
    pairs = sample_sweep(20, 5, 1_000, rng)

    n_points = 50
    sweep = pd.DataFrame(
        {
            "learning_rate": np.repeat(np.logspace(-6, -3, n_points), 3),
            "accuracy": rng.uniform(0.5, 1.0, size=n_points * 3),
        }
    )
    chart = line_chart_data(sweep, "learning_rate", ["accuracy"], title="bench")
    dense = pd.DataFrame(
        {
            "step": np.tile(np.arange(2_500), 4 * 2),
            "arm": np.repeat(["a", "b", "c", "d"], 2_500 * 2),
            "accuracy": np.clip(0.6 + 0.1 * rng.standard_normal(20_000), 0, 1),
        }
    )
    dense_chart = line_chart_data(dense, "step", "accuracy", series_col="arm")
    assert sum(len(s.x) for s in dense_chart.series) == 10_000

    cases: list[tuple[str, Callable[[], object], float | None]] = [
        (
            "compute_ci_df clustered, 1,000,000 sample rows (1,000 configs x 10 seeds x 100)",
            lambda: compute_ci_df(million, "match", "learning_rate", cluster_col="run"),
            2.0,
        ),
        (
            f"compute_ci_df bootstrap, {rows:,} rows / {groups:,} groups",
            lambda: compute_ci_df(big, "value", "group", method="bootstrap"),
            1.0,
        ),
        (f"compute_ci_df t, {rows:,} rows / {groups:,} groups", lambda: compute_ci_df(big, "value", "group"), None),
        (
            f"compute_ci_df wilson, {rows:,} rows / {groups:,} groups",
            lambda: compute_ci_df(flips, "value", "group"),
            None,
        ),
        (
            "compare_configs, 19 configs vs baseline, 5 seeds x 1,000 samples (100,000 rows)",
            lambda: compare_configs(pairs, "match", "learning_rate", baseline=pairs["learning_rate"].iloc[0]),
            None,
        ),
        ("best_setting, same frame", lambda: best_setting(pairs, "match"), None),
        (
            f"line_chart_data, {n_points} points x 3 seeds",
            lambda: line_chart_data(sweep, "learning_rate", ["accuracy"]),
            0.05,
        ),
        (f"render_plotext 100x30, {n_points} points with error bars", lambda: render_plotext(chart, 100, 30), 0.05),
        ("render_plotext 100x30, 10,000 points (4 series, bands)", lambda: render_plotext(dense_chart, 100, 30), 0.1),
    ]
    print(f"{'case':<84} {'best (ms)':>10} {'target (ms)':>12}  ok")
    for name, fn, target in cases:
        seconds = best_of(fn, 3 if "1,000,000" in name else REPEATS)
        ok = "-" if target is None else "yes" if seconds < target else "NO"
        goal = "-" if target is None else f"{target * 1e3:.0f}"
        print(f"{name:<84} {seconds * 1e3:>10.1f} {goal:>12}  {ok}")


if __name__ == "__main__":
    main()
