"""Confidence intervals over sweep results, one row per group of runs.

Every interval is computed for all groups at once with numpy (no Python loop per group, run or
resample): a million sample rows take a fraction of a second. The choice of interval per group
is the decision table in ``compute_ci_df``'s docstring and in ``docs/analysis.md``, which also
records the coverage simulation that chose it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from motools.analysis.frames import as_list, is_sample_frame, run_columns, sample_columns
from motools.analysis.intervals import (
    bootstrap_bounds,
    normal_quantile,
    score_bounds,
    t_bounds,
    t_quantile,
)
from motools.analysis.metrics import BoundsArg, resolve_bounds

CIMethod = Literal["auto", "t", "wilson", "bootstrap"]

METHODS: tuple[str, ...] = ("auto", "t", "wilson", "bootstrap")
RESULT_COLUMNS: tuple[str, ...] = ("mean", "lower_bound", "upper_bound", "count", "confidence", "method")
# What the ``method`` column can say, beyond the requested methods.
NO_SPREAD, SINGLE, EMPTY, WILSON_T = "no-spread", "single", "empty", "wilson-t"


def require_columns(df: pd.DataFrame, columns: Sequence[str | None]) -> None:
    """Fail early with the available columns, since a KeyError deep in pandas names neither."""
    available = [str(c) for c in df.columns]
    for col in columns:
        if col is not None and col not in df.columns:
            raise ValueError(f"column {col!r} not found; available columns: {', '.join(available) or '(none)'}")


def compute_ci_df(
    df: pd.DataFrame,
    value_col: str,
    group_cols: str | Sequence[str],
    confidence: float = 0.95,
    method: CIMethod = "auto",
    *,
    cluster_col: str | Sequence[str] | None = None,
    bounds: BoundsArg = "auto",
    seed: int = 0,
    n_resamples: int = 2000,
) -> pd.DataFrame:
    """Mean and confidence interval of ``value_col`` for each group of rows.

    Returns the group columns (groups in order of first appearance), then ``mean, lower_bound,
    upper_bound, count, confidence, method`` and, when rows are clustered into runs, ``n_runs``.
    ``group_cols=[]`` gives one overall row. NaN values are dropped; ``count`` counts the rest.

    **Runs as rows** (a run-level frame; ``cluster_col`` None). ``method="auto"`` picks:

    ======================================  =============  ==============================================
    values                                  method         interval
    ======================================  =============  ==============================================
    bool, or integers all 0/1               ``wilson``     Wilson score, z = Φ⁻¹((1+c)/2), rows as trials
    inside ``bounds`` (default: [0, 1])     ``wilson-t``   Wilson score form around the mean with
                                                           variance s²/n and critical t_{n-1}: never
                                                           leaves the range
    anything else                           ``t``          mean ± t_{n-1} · s/√n
    ======================================  =============  ==============================================

    **Samples clustered by run** (``cluster_col``, e.g. ``"run"`` or ``["sweep", "run"]``; a
    frame with ``sample_id`` and ``run`` columns is clustered by its run columns unless
    ``cluster_col=[]``). Epochs of one sample are averaged first. Per group:

    - one run: ``wilson`` over its samples (0/1 scores: textbook; other scores in range: the
      same score interval with the effective sample size p(1-p)/var, critical t_{n-1}); ``t``
      over samples for an unbounded metric.
    - several runs: the mean of run means (the config's expected score over seeds), variance
      s²_runs / R (seed noise and each run's sampling noise) plus, when the runs were scored on
      the same samples, the eval set's own sampling noise σ̂²_samples / S from the crossed
      run × sample table; critical value the Cochran–Cox blend of t_{R-1} and t_{S-1} by each
      part's share. ``wilson-t`` in range, ``t`` otherwise. Coverage stays near 95% from 3
      seeds, where a cluster bootstrap gives ~80% (docs/analysis.md).

    Either way: a group with one value gets its value as mean, NaN bounds and ``single``; all
    NaN gives count 0 and ``empty``; runs whose values are all equal give ``no-spread`` and NaN
    bounds (two agreeing seeds say nothing about seed noise), except with per-sample data, where
    the spread that the runs' sampling noise alone would give (variance within runs, or the
    residual of the run × sample table) stands in for it.

    Explicit methods do exactly what they name, on the raw values: ``"t"`` (over run means when
    clustered), ``"wilson"`` (0/1 values only, else ValueError) and ``"bootstrap"`` (percentile
    bootstrap of rows, seeded by ``(seed, group size)``; not for clustered data, where it
    under-covers with few runs). ``bounds`` (``"auto"``, None or ``(low, high)``) only steers
    ``"auto"``.
    """
    groups = as_list(group_cols)
    clusters = _resolve_clusters(df, cluster_col)
    require_columns(df, [value_col, *groups, *clusters])
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be between 0 and 1 (exclusive), got {confidence!r}")
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}; got {method!r}")
    if n_resamples < 1:
        raise ValueError(f"n_resamples must be at least 1, got {n_resamples!r}")
    if clusters and method not in ("auto", "t"):
        raise ValueError(
            f"method {method!r} does not handle runs as clusters; use 'auto' or 't' with cluster_col "
            "(a cluster bootstrap under-covers with few runs; see docs/analysis.md)"
        )

    raw, is_binary = _numeric_values(df[value_col], value_col)
    if method == "wilson":
        bad = raw[~np.isnan(raw) & (raw != 0.0) & (raw != 1.0)]
        if bad.size:
            raise ValueError(f"method 'wilson' needs 0/1 outcomes in {value_col!r}; found {bad[0]!r}")
    rng = resolve_bounds(raw, bounds, value_col)
    if method != "auto":
        rng = None
    values = raw if rng is None else (raw - rng[0]) / (rng[1] - rng[0])

    codes, n_groups, first_rows = group_codes(df, groups)
    keys = df[groups].iloc[first_rows].reset_index(drop=True) if groups else pd.DataFrame(index=pd.RangeIndex(1))
    if clusters:
        out = _clustered(df, codes, n_groups, clusters, values, rng is not None, confidence)
    else:
        out = _rows(codes, n_groups, values, method, is_binary, rng is not None, confidence, seed, n_resamples)
    mean, lower, upper = out["mean"], out["lower"], out["upper"]
    if rng is not None:
        low, span = rng[0], rng[1] - rng[0]
        mean, lower, upper = low + span * mean, low + span * lower, low + span * upper
    result = keys.assign(
        mean=mean,
        lower_bound=lower,
        upper_bound=upper,
        count=out["count"].astype(np.int64),
        confidence=float(confidence),
        method=out["method"],
    )
    if clusters:
        result["n_runs"] = out["n_runs"].astype(np.int64)
    return result


def _resolve_clusters(df: pd.DataFrame, cluster_col: str | Sequence[str] | None) -> list[str]:
    if cluster_col is None:
        return run_columns(df) if is_sample_frame(df) else []
    return as_list(cluster_col)


def _numeric_values(column: pd.Series, name: str) -> tuple[np.ndarray, bool]:
    """Return float values (NaN for missing) and whether the column is a 0/1 outcome."""
    dtype = column.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return column.to_numpy(dtype=float, na_value=np.nan), True
    if not pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_complex_dtype(dtype):
        raise ValueError(f"value column {name!r} must be numeric or boolean, got dtype {dtype}")
    values = column.to_numpy(dtype=float, na_value=np.nan)
    if not pd.api.types.is_integer_dtype(dtype):
        return values, False
    present = values[~np.isnan(values)]
    return values, bool(np.isin(present, (0.0, 1.0)).all())


def group_codes(df: pd.DataFrame, cols: Sequence[str]) -> tuple[np.ndarray, int, np.ndarray]:
    """Each row's group number in first-seen order (NaN keys kept), the number of groups, and
    the first row of each group. Factorising column by column is several times faster than
    ``groupby().ngroup()`` on a million rows."""
    n = len(df)
    if not cols:
        return np.zeros(n, dtype=np.intp), 1, np.zeros(1, dtype=np.intp)
    combined = np.zeros(n, dtype=np.int64)
    size = 1
    for col in cols:
        codes, uniques = pd.factorize(df[col], use_na_sentinel=False)
        if size * max(len(uniques), 1) >= 2**62:  # too many combinations for one int64 key
            combined, _ = pd.factorize(combined)
            size = int(combined.max()) + 1 if n else 1
        combined = combined * max(len(uniques), 1) + codes
        size *= max(len(uniques), 1)
    codes, uniques = pd.factorize(combined)
    codes = codes.astype(np.intp, copy=False)
    # factorize numbers values in order of appearance, so a code first appears where the running
    # maximum of the codes steps up.
    first_rows = np.flatnonzero(np.diff(np.maximum.accumulate(codes), prepend=-1) > 0)
    return codes, len(uniques), first_rows


def _rows(
    codes: np.ndarray,
    n_groups: int,
    values: np.ndarray,
    method: str,
    is_binary: bool,
    bounded: bool,
    confidence: float,
    seed: int,
    n_resamples: int,
) -> dict[str, np.ndarray]:
    if method == "auto":
        method = "wilson" if is_binary else WILSON_T if bounded else "t"
    keep = ~np.isnan(values)
    codes, values = codes[keep], values[keep]
    count = np.bincount(codes, minlength=n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.bincount(codes, weights=values, minlength=n_groups) / count
    lower = np.full(n_groups, np.nan)
    upper = np.full(n_groups, np.nan)
    labels = np.full(n_groups, method, dtype=object)
    multi = count >= 2
    if method == "bootstrap":
        bootstrap_bounds(codes, values, count, confidence, seed, n_resamples, lower, upper)
    elif method == "wilson":
        p, n = mean[multi], count[multi]
        lower[multi], upper[multi] = score_bounds(p, p * (1 - p) / n, np.full(n.shape, normal_quantile(confidence)), n)
    else:
        # Two passes (deviations from the group mean) keep the variance exact for large means.
        squares = np.bincount(codes, weights=(values - mean[codes]) ** 2, minlength=n_groups)
        with np.errstate(invalid="ignore", divide="ignore"):
            var_of_mean = squares / (count - 1) / count
        spread = multi & (var_of_mean > 0)
        labels[multi & ~spread] = NO_SPREAD
        n = count[spread]
        crit = t_quantile(confidence, n - 1)
        if method == WILSON_T:
            lower[spread], upper[spread] = score_bounds(mean[spread], var_of_mean[spread], crit, n)
        else:
            lower[spread], upper[spread] = t_bounds(mean[spread], var_of_mean[spread], crit)
    labels[count == 1] = SINGLE
    labels[count == 0] = EMPTY
    return {"mean": mean, "lower": lower, "upper": upper, "count": count, "method": labels.astype(str)}


def _clustered(
    df: pd.DataFrame,
    codes: np.ndarray,
    n_groups: int,
    clusters: list[str],
    values: np.ndarray,
    bounded: bool,
    confidence: float,
) -> dict[str, np.ndarray]:
    """Rows → cells (one run's score on one sample, its epochs averaged) → runs → groups.

    With several runs the variance of the mean of run means has two parts (see
    docs/analysis.md): the spread of run means over R (seeds, and each run's sampling noise)
    and, when runs share their samples, the eval set's own sampling noise, σ²_samples / S,
    estimated from the crossed run × sample table. Each part brings its own t quantile
    (t_{R-1}, t_{S-1}), weighted by its share of the variance (Cochran & Cox).
    """
    keep = ~np.isnan(values)
    v = values[keep]
    group_of_row = codes[keep]
    count = np.bincount(group_of_row, minlength=n_groups)
    run_codes, n_run_keys, _ = group_codes(df, clusters)
    run_of_row = _dense(group_of_row.astype(np.int64) * n_run_keys + run_codes[keep])
    n_runs_total = _size(run_of_row)

    sample_cols = sample_columns(df)
    if sample_cols:
        sample_codes, n_sample_keys, _ = group_codes(df, sample_cols)
        sample_of_row = _dense(group_of_row.astype(np.int64) * n_sample_keys + sample_codes[keep])
        cell_of_row = _dense(run_of_row.astype(np.int64) * n_sample_keys + sample_codes[keep])
        n_cells = _size(cell_of_row)
        cell_value = np.bincount(cell_of_row, weights=v, minlength=n_cells) / np.bincount(
            cell_of_row, minlength=n_cells
        )
        run_of_cell = np.zeros(n_cells, dtype=np.intp)
        run_of_cell[cell_of_row] = run_of_row
        sample_of_cell = np.zeros(n_cells, dtype=np.intp)
        sample_of_cell[cell_of_row] = sample_of_row
    else:
        cell_value, run_of_cell, sample_of_cell = v, run_of_row, None

    group_of_run = np.zeros(n_runs_total, dtype=np.intp)
    group_of_run[run_of_row] = group_of_row
    group_of_cell = group_of_run[run_of_cell]
    cells = np.bincount(run_of_cell, minlength=n_runs_total)
    run_mean = np.bincount(run_of_cell, weights=cell_value, minlength=n_runs_total) / cells
    within_ss = np.bincount(run_of_cell, weights=(cell_value - run_mean[run_of_cell]) ** 2, minlength=n_runs_total)
    non_binary = (cell_value != 0.0) & (cell_value != 1.0)
    binary = np.bincount(group_of_cell, weights=non_binary, minlength=n_groups) == 0

    n_runs = np.bincount(group_of_run, minlength=n_groups)
    n_cells_group = np.bincount(group_of_cell, minlength=n_groups).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.bincount(group_of_run, weights=run_mean, minlength=n_groups) / n_runs
        between_ss = np.bincount(group_of_run, weights=(run_mean - mean[group_of_run]) ** 2, minlength=n_groups)
        var_runs = between_ss / (n_runs - 1) / n_runs
        # What the spread of run means would be from each run's sampling noise alone: it stands
        # in for the spread when runs agree exactly.
        floor = np.bincount(group_of_run, weights=within_ss / cells / cells, minlength=n_groups) / n_runs**2
        var_samples = np.zeros(n_groups)
        n_samples = n_cells_group.copy()
        if sample_of_cell is not None:
            var_samples, floor, n_samples = _sample_variance(
                cell_value, run_of_cell, sample_of_cell, group_of_cell, run_mean, mean, n_runs, n_cells_group, floor
            )
        var_runs = np.where(var_runs > 0, var_runs, floor)
        one_run_ss = np.bincount(group_of_run, weights=within_ss, minlength=n_groups)
        one_run_var = one_run_ss / n_cells_group / (n_cells_group if bounded else n_cells_group - 1)
        several = n_runs >= 2
        var_of_mean = np.where(several, var_runs + var_samples, one_run_var)
        t_runs = t_quantile(confidence, np.maximum(n_runs - 1, 1))
        t_cells = t_quantile(confidence, np.maximum(n_samples - 1, 1))
        share = np.where(var_of_mean > 0, var_samples / var_of_mean, 0.0)
        crit = np.where(several, (1 - share) * t_runs + share * t_cells, t_cells)
        crit = np.where(~several & binary, normal_quantile(confidence), crit)

    lower = np.full(n_groups, np.nan)
    upper = np.full(n_groups, np.nan)
    interval = several | ((n_runs == 1) & (n_cells_group >= 2))
    if bounded:
        labels = np.where(several, WILSON_T, "wilson").astype(object)
    else:
        labels = np.full(n_groups, "t", dtype=object)
        no_spread = interval & ~(var_of_mean > 0)
        labels[no_spread] = NO_SPREAD
        interval &= ~no_spread
    idx = np.flatnonzero(interval)
    if bounded:
        lower[idx], upper[idx] = score_bounds(mean[idx], var_of_mean[idx], crit[idx], n_cells_group[idx])
    else:
        lower[idx], upper[idx] = t_bounds(mean[idx], var_of_mean[idx], crit[idx])
    labels[(n_runs == 1) & (n_cells_group == 1)] = SINGLE
    labels[n_runs == 0] = EMPTY
    return {
        "mean": mean,
        "lower": lower,
        "upper": upper,
        "count": count,
        "method": labels.astype(str),
        "n_runs": n_runs,
    }


def _sample_variance(
    cell_value: np.ndarray,
    run_of_cell: np.ndarray,
    sample_of_cell: np.ndarray,
    group_of_cell: np.ndarray,
    run_mean: np.ndarray,
    mean: np.ndarray,
    n_runs: np.ndarray,
    n_cells: np.ndarray,
    floor: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Two-way (run × sample) mean squares: the eval set's share of the variance of the mean,
    σ̂²_samples / S = max(0, MS_samples - MS_residual) / cells, the residual floor for run means
    that agree exactly (MS_residual / cells), and the number of samples S per group.

    A group whose samples each appear in one run only (nothing shared) gets no sample part:
    there the spread of run means already holds the samples' noise.
    """
    n_groups = len(mean)
    n_sample_total = _size(sample_of_cell)
    runs_per_sample = np.bincount(sample_of_cell, minlength=n_sample_total)
    sample_mean = np.bincount(sample_of_cell, weights=cell_value, minlength=n_sample_total) / runs_per_sample
    group_of_sample = np.zeros(n_sample_total, dtype=np.intp)
    group_of_sample[sample_of_cell] = group_of_cell
    n_samples = np.bincount(group_of_sample, minlength=n_groups).astype(float)
    sample_ss = np.bincount(
        group_of_sample, weights=runs_per_sample * (sample_mean - mean[group_of_sample]) ** 2, minlength=n_groups
    )
    residual = cell_value - run_mean[run_of_cell] - sample_mean[sample_of_cell] + mean[group_of_cell]
    residual_ss = np.bincount(group_of_cell, weights=residual**2, minlength=n_groups)
    residual_df = n_cells - n_runs - n_samples + 1
    crossed = (n_runs >= 2) & (n_cells > n_samples) & (residual_df >= 1) & (n_samples >= 2)
    ms_samples = sample_ss / (n_samples - 1)
    ms_residual = residual_ss / residual_df
    var_samples = np.where(crossed, np.maximum(ms_samples - ms_residual, 0.0) / n_cells, 0.0)
    floor = np.where(crossed, ms_residual / n_cells, floor)
    return var_samples, floor, n_samples


def _dense(keys: np.ndarray) -> np.ndarray:
    """Renumber integer keys 0..k-1 in order of appearance."""
    return pd.factorize(keys)[0].astype(np.intp, copy=False)


def _size(codes: np.ndarray) -> int:
    return int(codes.max()) + 1 if codes.size else 0


def metric_intervals(
    runs: pd.DataFrame,
    metric: str,
    group_cols: str | Sequence[str],
    *,
    samples: pd.DataFrame | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Intervals of a run-level ``metric`` by group, from per-sample data when it can be.

    When ``metric`` is the mean of a per-sample score (``accuracy`` of ``match``: see
    :func:`~motools.analysis.frames.score_column_for`) and ``samples`` holds it, the interval
    counts both seeds and the finite eval set (clustered by run) over the runs in ``runs``;
    otherwise it is :func:`compute_ci_df` over the runs. A ``metric`` column says which metric.
    """
    from motools.analysis.frames import run_columns, score_column_for, score_columns

    groups = [group_cols] if isinstance(group_cols, str) else list(group_cols)
    column = None
    if samples is not None and len(samples):
        column = score_column_for(metric, score_columns(samples))
    if column is not None and all(c in samples.columns for c in groups):
        keys = run_columns(samples)
        kept = samples.merge(runs[keys].drop_duplicates(), on=keys, how="inner")
        ci = compute_ci_df(kept, column, groups, confidence=confidence, cluster_col=keys)
    else:
        ci = compute_ci_df(runs, metric, groups, confidence=confidence)
    ci.insert(len(groups), "metric", metric)
    return ci
