"""compute_ci_df against independent computations of each interval."""

from __future__ import annotations

import subprocess
import sys
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from motools.analysis.stats import compute_ci_df

TOL = 1e-9
LEARNING_RATES = [1e-4, 5e-5, 1e-5]


@pytest.fixture
def sweep_df() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    rows = [
        {"learning_rate": lr, "seed": seed, "accuracy": float(rng.uniform(0.8, 1.0))}
        for lr in LEARNING_RATES
        for seed in range(3)
    ]
    return pd.DataFrame(rows)


def _groups(df: pd.DataFrame, by: str) -> list[np.ndarray]:
    """Each group's non-NaN values in row order, groups in first-appearance order."""
    keys = list(dict.fromkeys(df[by]))
    return [df.loc[df[by] == k, "v"].dropna().to_numpy(dtype=float) for k in keys]


def test_seed_example_shape(sweep_df: pd.DataFrame) -> None:
    ci = compute_ci_df(df=sweep_df, value_col="accuracy", group_cols=["learning_rate"], confidence=0.95)
    assert list(ci.columns) == [
        "learning_rate",
        "mean",
        "lower_bound",
        "upper_bound",
        "count",
        "confidence",
        "method",
    ]
    assert ci["learning_rate"].tolist() == LEARNING_RATES  # input order, not sorted
    assert ci["count"].tolist() == [3, 3, 3]
    assert ci["confidence"].tolist() == [0.95] * 3
    assert ci["method"].tolist() == ["wilson-t"] * 3  # accuracies live in [0, 1]
    assert (ci["lower_bound"] < ci["mean"]).all() and (ci["mean"] < ci["upper_bound"]).all()
    assert (ci["lower_bound"] >= 0).all() and (ci["upper_bound"] <= 1).all()


@pytest.mark.parametrize("confidence", [0.8, 0.95, 0.99])
def test_t_interval_matches_scipy(confidence: float) -> None:
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"g": rng.choice(["a", "b", "c"], size=40), "v": rng.normal(1000.0, 3.0, size=40)})
    ci = compute_ci_df(df, "v", "g", confidence=confidence, method="t")
    for row, values in zip(ci.itertuples(), _groups(df, "g"), strict=True):
        n = len(values)
        low, high = stats.t.interval(confidence, n - 1, loc=values.mean(), scale=stats.sem(values))
        assert row.count == n
        assert row.method == "t"
        assert row.mean == pytest.approx(values.mean(), abs=TOL)
        assert row.lower_bound == pytest.approx(low, abs=TOL)
        assert row.upper_bound == pytest.approx(high, abs=TOL)


@pytest.mark.parametrize("confidence", [0.9, 0.95])
def test_wilson_matches_textbook_formula(confidence: float) -> None:
    rng = np.random.default_rng(2)
    df = pd.DataFrame({"g": rng.choice([1, 2, 3], size=60), "v": rng.random(60) < 0.3})
    df.loc[df["g"] == 3, "v"] = True  # p = 1 is the edge case of the formula
    z = NormalDist().inv_cdf((1 + confidence) / 2)
    ci = compute_ci_df(df, "v", ["g"], confidence=confidence, method="wilson")
    for row, values in zip(ci.itertuples(), _groups(df, "g"), strict=True):
        n, p = len(values), values.mean()
        centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
        margin = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
        assert row.method == "wilson"
        assert row.mean == pytest.approx(p, abs=TOL)
        assert row.lower_bound == pytest.approx(centre - margin, abs=TOL)
        assert row.upper_bound == pytest.approx(centre + margin, abs=TOL)


def test_bootstrap_matches_documented_draws() -> None:
    rng = np.random.default_rng(3)
    sizes = {"a": 5, "b": 8, "c": 5, "d": 12}  # two groups share a size, hence one draw
    df = pd.DataFrame(
        {
            "g": [k for k, n in sizes.items() for _ in range(n)],
            "v": rng.exponential(2.0, size=sum(sizes.values())),
        }
    ).sample(frac=1.0, random_state=0)  # groups interleaved: order of rows must not matter
    df.iloc[0, df.columns.get_loc("v")] = np.nan
    confidence, seed, n_resamples = 0.9, 11, 500
    ci = compute_ci_df(
        df,
        "v",
        "g",
        confidence=confidence,
        method="bootstrap",
        seed=seed,
        n_resamples=n_resamples,
    )
    for row, values in zip(ci.itertuples(), _groups(df, "g"), strict=True):
        n = len(values)
        draw = np.random.default_rng([seed, n])
        idx = draw.integers(0, n, size=(n_resamples, n))
        means = values[idx].mean(axis=1)
        low, high = np.percentile(means, [50 * (1 - confidence), 50 * (1 + confidence)])
        assert row.method == "bootstrap"
        assert row.count == n
        assert row.mean == pytest.approx(values.mean(), abs=TOL)
        assert row.lower_bound == pytest.approx(low, abs=TOL)
        assert row.upper_bound == pytest.approx(high, abs=TOL)


def test_bootstrap_group_does_not_depend_on_other_groups() -> None:
    rng = np.random.default_rng(4)
    df = pd.DataFrame({"g": np.repeat(["a", "b", "c"], 6), "v": rng.random(18)})
    full = compute_ci_df(df, "v", "g", method="bootstrap").set_index("g")
    alone = compute_ci_df(df[df["g"] == "c"], "v", "g", method="bootstrap").set_index("g")
    for bound in ("lower_bound", "upper_bound"):  # equal up to BLAS summation order
        assert full.loc["c", bound] == pytest.approx(alone.loc["c", bound], abs=1e-12)
    other_seed = compute_ci_df(df, "v", "g", method="bootstrap", seed=1).set_index("g")
    assert other_seed.loc["c", "lower_bound"] != full.loc["c", "lower_bound"]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (pd.Series([True, False, True, True]), "wilson"),
        (pd.Series([True, False, None, True], dtype="boolean"), "wilson"),
        (pd.Series([1, 0, 1, 1]), "wilson"),
        (pd.Series([1, 0, None, 1], dtype="Int64"), "wilson"),
        (pd.Series([1, 0, 2, 1]), "t"),
        (pd.Series([1.0, 0.0, 1.0, 1.0]), "wilson-t"),  # floats are run-level scores, bounded in [0, 1]
        (pd.Series([0.5, 0.25, 0.75, 1.0]), "wilson-t"),
        (pd.Series([0.5, 0.25, 0.75, 1.5]), "t"),  # not all inside [0, 1]: unbounded
    ],
)
def test_auto_method_selection(values: pd.Series, expected: str) -> None:
    df = pd.DataFrame({"g": ["x"] * len(values), "v": values})
    ci = compute_ci_df(df, "v", "g")
    assert ci["method"].tolist() == [expected]
    assert ci["count"].tolist() == [int(values.notna().sum())]


def test_group_of_one_and_all_nan_group() -> None:
    df = pd.DataFrame({"g": ["one", "many", "many", "none"], "v": [0.7, 0.2, 0.4, np.nan]})
    for method in ("t", "bootstrap"):
        ci = compute_ci_df(df, "v", "g", method=method).set_index("g")
        assert ci.loc["one", "mean"] == 0.7
        assert ci.loc["one", "method"] == "single"
        assert np.isnan(ci.loc["one", ["lower_bound", "upper_bound"]].astype(float)).all()
        assert ci.loc["none", "count"] == 0
        assert ci.loc["none", "method"] == "empty"
        assert ci.loc["many", "method"] == method


def test_nan_values_dropped_per_group() -> None:
    df = pd.DataFrame({"g": ["a"] * 4, "v": [1.0, np.nan, 3.0, 5.0]})
    ci = compute_ci_df(df, "v", "g")
    assert ci["count"].tolist() == [3]
    assert ci["mean"].tolist() == [3.0]


def test_group_cols_forms() -> None:
    df = pd.DataFrame({"a": [2, 1, 2, 1], "b": ["y", "x", "y", "z"], "v": [1.0, 2.0, 3.0, 4.0]})
    as_str = compute_ci_df(df, "v", "a")
    as_list = compute_ci_df(df, "v", ["a"])
    pd.testing.assert_frame_equal(as_str, as_list)
    assert as_str["a"].tolist() == [2, 1]

    two = compute_ci_df(df, "v", ["a", "b"])
    assert list(two.columns[:2]) == ["a", "b"]
    assert list(zip(two["a"], two["b"], strict=True)) == [(2, "y"), (1, "x"), (1, "z")]

    overall = compute_ci_df(df, "v", [])
    assert list(overall.columns) == [
        "mean",
        "lower_bound",
        "upper_bound",
        "count",
        "confidence",
        "method",
    ]
    assert overall["count"].tolist() == [4]
    assert overall["mean"].tolist() == [2.5]


def test_nan_group_keys_are_kept() -> None:
    df = pd.DataFrame({"g": [1.0, np.nan, 1.0, np.nan], "v": [1.0, 2.0, 3.0, 4.0]})
    ci = compute_ci_df(df, "v", "g")
    assert len(ci) == 2
    assert ci["mean"].tolist() == [2.0, 3.0]


def test_non_numeric_value_column_is_rejected() -> None:
    df = pd.DataFrame({"g": ["a", "b"], "v": ["high", "low"]})
    with pytest.raises(ValueError, match=r"'v'.*numeric or boolean.*dtype"):
        compute_ci_df(df, "v", "g")


def test_missing_column_lists_available_columns() -> None:
    df = pd.DataFrame({"learning_rate": [1e-4], "accuracy": [0.9]})
    with pytest.raises(ValueError, match=r"'acc'.*available columns: learning_rate, accuracy"):
        compute_ci_df(df, "acc", "learning_rate")
    with pytest.raises(ValueError, match=r"'lr'.*available columns"):
        compute_ci_df(df, "accuracy", ["lr"])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"confidence": 1.0}, "confidence"),
        ({"confidence": 0.0}, "confidence"),
        ({"method": "normal"}, "method must be one of"),
        ({"method": "bootstrap", "n_resamples": 0}, "n_resamples"),
    ],
)
def test_bad_arguments(kwargs: dict, message: str) -> None:
    df = pd.DataFrame({"g": ["a", "a"], "v": [0.0, 1.0]})
    with pytest.raises(ValueError, match=message):
        compute_ci_df(df, "v", "g", **kwargs)


def test_wilson_rejects_non_binary_values() -> None:
    df = pd.DataFrame({"g": ["a", "a"], "v": [0.5, 1.0]})
    with pytest.raises(ValueError, match="0/1"):
        compute_ci_df(df, "v", "g", method="wilson")


def test_importing_analysis_modules_defers_heavy_libraries() -> None:
    code = (
        "import sys, motools.analysis.stats, motools.analysis.plots\n"
        "heavy = {'scipy', 'matplotlib', 'plotext'} & {m.split('.')[0] for m in sys.modules}\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
