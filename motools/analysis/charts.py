"""Charts as plain data, computed once and drawn by both renderers.

Keeping the numbers (means, interval bounds, axis decisions) out of the renderers means the
terminal chart and the PNG can never disagree, and the numbers are testable without pixels.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from motools.analysis.stats import compute_ci_df, require_columns

# A positive numeric axis wider than this ratio (two decades) is drawn on a log scale.
LOG_AXIS_RATIO = 100.0


@dataclass(frozen=True)
class Series:
    """One line: a metric, or a metric for one value of ``series_col``.

    ``x`` holds data values, or positions into ``ChartData.x_categories`` when the x column is
    not numeric. ``y_err_low``/``y_err_high`` are distances below/above the mean to the CI
    bounds (matplotlib's ``yerr`` convention), NaN where a point has one run; both are None
    when no point has an interval.
    """

    name: str
    x: list[float]
    y: list[float]
    y_err_low: list[float] | None
    y_err_high: list[float] | None
    n: list[int]


@dataclass(frozen=True)
class HeatmapData:
    """Cell means of a 2-D sweep; ``matrix[i][j]`` is at ``y_values[i]``, ``x_values[j]``."""

    x_values: list[Any]
    y_values: list[Any]
    x_labels: list[str]
    y_labels: list[str]
    matrix: list[list[float]]
    counts: list[list[int]]
    value_label: str


@dataclass(frozen=True)
class ChartData:
    """Everything a renderer needs; ``series`` for line charts, ``heatmap`` for heatmaps."""

    kind: Literal["line", "heatmap"]
    title: str
    x_label: str
    y_label: str
    x_log: bool = False
    x_categories: list[str] | None = None
    series: list[Series] = field(default_factory=list)
    heatmap: HeatmapData | None = None


def format_value(value: Any) -> str:
    """Short label for a parameter value: ``5e-05``, ``0.0001``, ``8``, ``gpt-4o``."""
    if isinstance(value, float | np.floating):
        return f"{float(value):g}"
    return str(value)


def line_chart_data(
    df: pd.DataFrame,
    x_col: str,
    y_cols: str | Sequence[str],
    title: str | None = None,
    series_col: str | None = None,
    confidence: float = 0.95,
) -> ChartData:
    """One series per metric (and per ``series_col`` value): the mean over repeated runs at each
    x, with a t-interval error bar where there are at least two runs.

    Numeric x is sorted ascending and drawn on a log axis when all positive and spanning more
    than two decades (learning rates); other x values become categories in first-seen order.
    """
    metrics = [y_cols] if isinstance(y_cols, str) else list(y_cols)
    if not metrics:
        raise ValueError("line_chart_data needs at least one y column")
    require_columns(df, [x_col, *metrics, series_col])
    df = df[df[x_col].notna()]
    numeric_x = _is_numeric(df[x_col])
    x_order = _ordered_unique(df[x_col])
    categories = None if numeric_x else [format_value(v) for v in x_order]
    position = {v: float(v) if numeric_x else float(i) for i, v in enumerate(x_order)}

    group_cols = [x_col] if series_col is None else [series_col, x_col]
    series: list[Series] = []
    for metric in metrics:
        ci = compute_ci_df(df, metric, group_cols, confidence=confidence, method="t")
        ci = ci[ci["count"] > 0]
        for key, part in _split(ci, series_col):
            name = _series_name(metric, series_col, key, several_metrics=len(metrics) > 1)
            series.append(_series(name, part, x_col, position))

    return ChartData(
        kind="line",
        title=title or f"{', '.join(metrics)} vs {x_col}",
        x_label=x_col,
        y_label=metrics[0] if len(metrics) == 1 else "value",
        x_log=numeric_x and _wants_log(x_order),
        x_categories=categories,
        series=series,
    )


def heatmap_data(
    df: pd.DataFrame,
    x_col: str,
    y_col: str,
    value_col: str,
    title: str | None = None,
) -> ChartData:
    """Mean of ``value_col`` for each (x, y) cell, NaN where the sweep has no run."""
    require_columns(df, [x_col, y_col, value_col])
    df = df[df[x_col].notna() & df[y_col].notna()]
    ci = compute_ci_df(df, value_col, [y_col, x_col], method="t")
    x_values = _ordered_unique(df[x_col])
    y_values = _ordered_unique(df[y_col])
    column = {v: j for j, v in enumerate(x_values)}
    row = {v: i for i, v in enumerate(y_values)}
    matrix = np.full((len(y_values), len(x_values)), np.nan)
    counts = np.zeros((len(y_values), len(x_values)), dtype=int)
    for y, x, mean, count in ci[[y_col, x_col, "mean", "count"]].itertuples(index=False):
        matrix[row[y], column[x]] = mean
        counts[row[y], column[x]] = count
    heatmap = HeatmapData(
        x_values=[_plain(v) for v in x_values],
        y_values=[_plain(v) for v in y_values],
        x_labels=[format_value(v) for v in x_values],
        y_labels=[format_value(v) for v in y_values],
        matrix=matrix.tolist(),
        counts=counts.tolist(),
        value_label=value_col,
    )
    return ChartData(
        kind="heatmap",
        title=title or f"{value_col} by {x_col} and {y_col}",
        x_label=x_col,
        y_label=y_col,
        heatmap=heatmap,
    )


def _is_numeric(column: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)


def _ordered_unique(column: pd.Series) -> list[Any]:
    """Numeric values ascending; anything else in first-seen order (the sweep's own order)."""
    values = list(pd.unique(column.dropna()))
    return sorted(values) if _is_numeric(column) else values


def _wants_log(values: list[Any]) -> bool:
    floats = np.asarray(values, dtype=float)
    if not floats.size or not (floats > 0).all():
        return False
    # The tolerance keeps float noise (1e-4 / 1e-6 == 100.00000000000001) from deciding.
    return bool(floats.max() / floats.min() > LOG_AXIS_RATIO * (1 + 1e-9))


def _split(ci: pd.DataFrame, series_col: str | None) -> list[tuple[Hashable, pd.DataFrame]]:
    if series_col is None:
        return [(None, ci)]
    parts = list(ci.groupby(series_col, sort=False, dropna=False))
    if _is_numeric(ci[series_col]):
        parts.sort(key=lambda kv: (pd.isna(kv[0]), kv[0] if not pd.isna(kv[0]) else 0))
    return parts


def _series_name(metric: str, series_col: str | None, key: Hashable, several_metrics: bool) -> str:
    if series_col is None:
        return metric
    label = f"{series_col}={format_value(key)}"
    return f"{metric} ({label})" if several_metrics else label


def _series(name: str, part: pd.DataFrame, x_col: str, position: dict[Any, float]) -> Series:
    part = part.assign(_pos=[position[v] for v in part[x_col]]).sort_values("_pos")
    mean = part["mean"].to_numpy(dtype=float)
    low = mean - part["lower_bound"].to_numpy(dtype=float)
    high = part["upper_bound"].to_numpy(dtype=float) - mean
    has_bars = bool(np.isfinite(low).any())
    return Series(
        name=name,
        x=part["_pos"].tolist(),
        y=mean.tolist(),
        y_err_low=low.tolist() if has_bars else None,
        y_err_high=high.tolist() if has_bars else None,
        n=[int(c) for c in part["count"]],
    )


def _plain(value: Any) -> Any:
    """numpy scalars to Python ones, so the chart data serialises as-is."""
    return value.item() if isinstance(value, np.generic) else value
