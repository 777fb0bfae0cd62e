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

from motools.analysis.charts import line_chart_data  # noqa: E402
from motools.analysis.render_plotext import render_plotext  # noqa: E402
from motools.analysis.stats import compute_ci_df  # noqa: E402

REPEATS = 5


def best_of(fn: Callable[[], object], repeats: int = REPEATS) -> float:
    fn()  # warm-up: lazy imports (scipy, plotext) are not what we measure
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    rng = np.random.default_rng(0)
    rows, groups = 100_000, 1_000
    big = pd.DataFrame(
        {"group": rng.integers(0, groups, size=rows), "value": rng.normal(0.7, 0.1, size=rows)}
    )
    flips = big.assign(value=rng.random(rows) < 0.7)

    n_points = 50
    sweep = pd.DataFrame(
        {
            "learning_rate": np.repeat(np.logspace(-6, -3, n_points), 3),
            "accuracy": rng.uniform(0.5, 1.0, size=n_points * 3),
        }
    )
    chart = line_chart_data(sweep, "learning_rate", ["accuracy"], title="bench")

    cases: list[tuple[str, Callable[[], object], float]] = [
        (
            f"compute_ci_df bootstrap, {rows:,} rows / {groups:,} groups",
            lambda: compute_ci_df(big, "value", "group", method="bootstrap"),
            1.0,
        ),
        (
            f"compute_ci_df t, {rows:,} rows / {groups:,} groups",
            lambda: compute_ci_df(big, "value", "group", method="t"),
            1.0,
        ),
        (
            f"compute_ci_df wilson, {rows:,} rows / {groups:,} groups",
            lambda: compute_ci_df(flips, "value", "group"),
            1.0,
        ),
        (
            f"line_chart_data, {n_points} points x 3 seeds",
            lambda: line_chart_data(sweep, "learning_rate", ["accuracy"]),
            0.05,
        ),
        (f"render_plotext 100x30, {n_points} points", lambda: render_plotext(chart, 100, 30), 0.05),
    ]
    print(f"{'case':<56} {'best (ms)':>10} {'target (ms)':>12}  ok")
    for name, fn, target in cases:
        seconds = best_of(fn)
        ok = "yes" if seconds < target else "NO"
        print(f"{name:<56} {seconds * 1e3:>10.1f} {target * 1e3:>12.0f}  {ok}")


if __name__ == "__main__":
    main()
