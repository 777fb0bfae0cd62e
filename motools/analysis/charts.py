"""Charts as plain data, computed once and drawn by both renderers.

Keeping the numbers (means, interval bounds, axis and tick decisions, styles, heatmap levels)
out of the renderers means the terminal chart and the PNG cannot disagree, and the numbers are
testable without pixels. ``docs/analysis.md`` lists the rules.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from motools.analysis.chart_style import MISSING_CELL, SHADES
from motools.analysis.frames import as_list, is_seed_column, parameter_columns
from motools.analysis.metrics import Bounds, resolve_bounds
from motools.analysis.stats import compute_ci_df, require_columns
from motools.analysis.ticks import LOG_AXIS_RATIO, axis_ticks, format_tick, nice_ticks, tick_labels, wants_log

__all__ = [
    "LOG_AXIS_RATIO",
    "ChartData",
    "HeatmapData",
    "Series",
    "format_value",
    "heatmap_data",
    "line_chart_data",
]

# Beyond this many points in a series, intervals are drawn as a band rather than as bars.
MAX_ERROR_BARS = 60
# Where a category holds several series, their points spread over this share of a slot.
DODGE_WIDTH = 0.3
# At most this many markers per series; denser series show every k-th point's marker.
MARKER_SLOTS = 50


@dataclass(frozen=True)
class Series:
    """One line: a metric, or a metric for one value of ``series_col``.

    ``x`` holds data values, or positions into ``ChartData.x_categories`` (shifted a little
    per series, so points of one category do not hide each other) when x is not numeric.
    ``y_err_low``/``y_err_high`` are distances below/above the mean to the interval bounds,
    clipped to the metric's range (matplotlib's ``yerr`` convention), NaN where a point has no
    interval; both are None when no point has one. ``style`` indexes ``chart_style``.
    """

    name: str
    x: list[float]
    y: list[float]
    y_err_low: list[float] | None
    y_err_high: list[float] | None
    n: list[int]
    style: int = 0


@dataclass(frozen=True)
class HeatmapData:
    """Cell means of a 2-D sweep; ``matrix[i][j]`` is at ``y_values[i]``, ``x_values[j]``.

    ``levels`` are the edges of the colour scale's bins (equal width over the cell values);
    ``cell_levels[i][j]`` is the bin of a cell (-1 when empty) and ``cell_labels`` its text.
    """

    x_values: list[Any]
    y_values: list[Any]
    x_labels: list[str]
    y_labels: list[str]
    matrix: list[list[float]]
    counts: list[list[int]]
    value_label: str
    levels: list[float] = field(default_factory=list)
    cell_levels: list[list[int]] = field(default_factory=list)
    cell_labels: list[list[str]] = field(default_factory=list)


@dataclass(frozen=True)
class ChartData:
    """Everything a renderer needs; ``series`` for line charts, ``heatmap`` for heatmaps.

    ``x_ticks``/``x_tick_labels`` and ``y_limits``/``y_ticks``/``y_tick_labels`` are where both
    renderers put ticks and limits. ``join_points`` is False for categorical x (categories have
    no order to draw a line along). ``error_style`` is ``"band"`` for dense series.
    ``averaged_over`` names the parameters that vary inside a point (also in the title).
    """

    kind: Literal["line", "heatmap"]
    title: str
    x_label: str
    y_label: str
    x_log: bool = False
    x_categories: list[str] | None = None
    series: list[Series] = field(default_factory=list)
    heatmap: HeatmapData | None = None
    x_ticks: list[float] = field(default_factory=list)
    x_tick_labels: list[str] = field(default_factory=list)
    y_limits: tuple[float, float] | None = None
    y_ticks: list[float] = field(default_factory=list)
    y_tick_labels: list[str] = field(default_factory=list)
    y_bounds: Bounds | None = None
    join_points: bool = True
    error_style: Literal["bars", "band"] = "bars"
    averaged_over: list[str] = field(default_factory=list)


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
    *,
    param_cols: Sequence[str] | None = None,
    cluster_col: str | Sequence[str] | None = None,
) -> ChartData:
    """One series per metric (and per ``series_col`` value): the mean at each x with the
    interval ``compute_ci_df`` picks (per-sample frames are clustered by run).

    Numeric x is sorted and drawn on a log axis when positive and spanning at least 10×, or
    named like a learning rate; integer x gets integer ticks; any other x is categorical, in
    first-seen order, drawn as points without lines. A parameter (``param_cols``, else the
    frame's parameter columns) that is neither x nor the series yet varies within a point is
    averaged over, and the title says so.
    """
    metrics = as_list(y_cols)
    if not metrics:
        raise ValueError("line_chart_data needs at least one y column")
    require_columns(df, [x_col, *metrics, series_col])
    df = df[df[x_col].notna()]
    axes = [x_col] if series_col is None else [series_col, x_col]
    averaged = _averaged_over(df, metrics, axes, param_cols)

    numeric_x = _is_numeric(df[x_col])
    x_order = _ordered_unique(df[x_col])
    x_log = numeric_x and wants_log(x_order, x_col)
    categories = None if numeric_x else [format_value(v) for v in x_order]
    position = {v: float(v) if numeric_x else float(i) for i, v in enumerate(x_order)}

    series: list[Series] = []
    bounds: set[Bounds | None] = set()
    for metric in metrics:
        ci = compute_ci_df(df, metric, axes, confidence=confidence, cluster_col=cluster_col)
        ci = ci[ci["count"] > 0]
        metric_bounds = resolve_bounds(df[metric].to_numpy(dtype=float, na_value=np.nan), "auto", metric)
        bounds.add(metric_bounds)
        parts = _split(ci, series_col)
        labels = _key_labels(df[series_col], [k for k, _ in parts], series_col) if series_col else [""]
        for (_key, part), label in zip(parts, labels, strict=True):
            name = _series_name(metric, series_col, label, several_metrics=len(metrics) > 1)
            series.append(_series(name, part, x_col, position, len(series), metric_bounds))
    if categories is not None and len(series) > 1:
        series = _dodged(series)

    if categories is not None:
        x_ticks, x_labels = [float(i) for i in range(len(categories))], categories
    else:
        x_ticks, x_labels = axis_ticks(x_order, x_log, _is_integer(df[x_col]))
    y_limits, y_ticks, y_labels = _y_axis(series)
    longest = max((len(s.x) for s in series), default=0)
    return ChartData(
        kind="line",
        title=_titled(title or f"{', '.join(metrics)} vs {x_col}", averaged),
        x_label=x_col,
        y_label=metrics[0] if len(metrics) == 1 else "value",
        x_log=x_log,
        x_categories=categories,
        series=series,
        x_ticks=x_ticks,
        x_tick_labels=x_labels,
        y_limits=y_limits,
        y_ticks=y_ticks,
        y_tick_labels=y_labels,
        y_bounds=next(iter(bounds)) if len(bounds) == 1 else None,
        join_points=categories is None,
        error_style="band" if longest > MAX_ERROR_BARS else "bars",
        averaged_over=averaged,
    )


def heatmap_data(
    df: pd.DataFrame,
    x_col: str,
    y_col: str,
    value_col: str,
    title: str | None = None,
    *,
    param_cols: Sequence[str] | None = None,
    cluster_col: str | Sequence[str] | None = None,
) -> ChartData:
    """Mean of ``value_col`` for each (x, y) cell, NaN where the sweep has no run; cells are
    binned into ``len(SHADES)`` equal-width levels that both renderers share as colour scale."""
    require_columns(df, [x_col, y_col, value_col])
    df = df[df[x_col].notna() & df[y_col].notna()]
    averaged = _averaged_over(df, [value_col], [y_col, x_col], param_cols)
    ci = compute_ci_df(df, value_col, [y_col, x_col], cluster_col=cluster_col)
    x_values = _ordered_unique(df[x_col])
    y_values = _ordered_unique(df[y_col])
    column = {v: j for j, v in enumerate(x_values)}
    row = {v: i for i, v in enumerate(y_values)}
    matrix = np.full((len(y_values), len(x_values)), np.nan)
    counts = np.zeros((len(y_values), len(x_values)), dtype=int)
    for y, x, mean, count in ci[[y_col, x_col, "mean", "count"]].itertuples(index=False):
        matrix[row[y], column[x]] = mean
        counts[row[y], column[x]] = count
    levels, cell_levels = _levels(matrix)
    heatmap = HeatmapData(
        x_values=[_plain(v) for v in x_values],
        y_values=[_plain(v) for v in y_values],
        x_labels=_category_labels(df[x_col], x_values, x_col),
        y_labels=_category_labels(df[y_col], y_values, y_col),
        matrix=matrix.tolist(),
        counts=counts.tolist(),
        value_label=value_col,
        levels=levels,
        cell_levels=cell_levels.tolist(),
        cell_labels=[[format_cell(v) for v in r] for r in matrix.tolist()],
    )
    return ChartData(
        kind="heatmap",
        title=_titled(title or f"{value_col} by {x_col} and {y_col}", averaged),
        x_label=x_col,
        y_label=y_col,
        heatmap=heatmap,
        x_ticks=[float(j) for j in range(len(x_values))],
        x_tick_labels=heatmap.x_labels,
        y_ticks=[float(i) for i in range(len(y_values))],
        y_tick_labels=heatmap.y_labels,
        averaged_over=averaged,
    )


def format_cell(value: float) -> str:
    """A heatmap cell's text: two decimals for everyday values, compact otherwise."""
    if np.isnan(value):
        return MISSING_CELL
    if value == 0 or 0.01 <= abs(value) < 1000:
        return f"{value:.2f}"
    return format_tick(value)


def marker_every(n_points: int, slots: int = MARKER_SLOTS) -> int:
    """Stride between drawn markers, so a dense series is a line with a few markers on it."""
    return max(1, -(-n_points // max(slots, 1)))


def _averaged_over(
    df: pd.DataFrame, metrics: list[str], axes: list[str], param_cols: Sequence[str] | None
) -> list[str]:
    """Parameters (and ``sweep``, ``task``) that vary inside one point of the chart; seeds are
    what intervals are taken over, so they do not count."""
    params = parameter_columns(df, metrics) if param_cols is None else list(param_cols)
    candidates = [c for c in ("sweep", *params, "task") if c in df.columns]
    candidates = [c for c in dict.fromkeys(candidates) if c not in axes and c not in metrics and not is_seed_column(c)]
    if not candidates or df.empty:
        return []
    spread = df.groupby(axes, sort=False, dropna=False)[candidates].nunique(dropna=False).max()
    return [c for c in candidates if spread[c] > 1]


def _titled(title: str, averaged: list[str]) -> str:
    return f"{title} (mean over {', '.join(averaged)})" if averaged else title


def _is_numeric(column: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)


def _is_integer(column: pd.Series) -> bool:
    if pd.api.types.is_integer_dtype(column) and not pd.api.types.is_bool_dtype(column):
        return True
    values = column.dropna().to_numpy(dtype=float) if _is_numeric(column) else np.array([0.5])
    return bool(values.size) and bool(np.all(values == np.round(values)))


def _ordered_unique(column: pd.Series) -> list[Any]:
    """Numeric values ascending; anything else in first-seen order (the sweep's own order)."""
    values = list(pd.unique(column.dropna()))
    return sorted(values) if _is_numeric(column) else values


def _category_labels(column: pd.Series, values: list[Any], name: str) -> list[str]:
    if _is_numeric(column):
        return tick_labels([float(v) for v in values], wants_log(values, name))
    return [format_value(v) for v in values]


def _split(ci: pd.DataFrame, series_col: str | None) -> list[tuple[Hashable, pd.DataFrame]]:
    if series_col is None:
        return [(None, ci)]
    parts = list(ci.groupby(series_col, sort=False, dropna=False))
    if _is_numeric(ci[series_col]):
        parts.sort(key=lambda kv: (pd.isna(kv[0]), kv[0] if not pd.isna(kv[0]) else 0))
    return parts


def _key_labels(column: pd.Series, keys: list[Hashable], name: str) -> list[str]:
    """Series labels read like the axis ticks: ``1e-5`` for learning rates, ``16`` for ranks."""
    if _is_numeric(column) and all(not pd.isna(k) for k in keys):
        values = [float(k) for k in keys]  # type: ignore[arg-type]  # numeric keys: pandas types them Hashable
        return tick_labels(values, wants_log(values, name))
    return [format_value(k) for k in keys]


def _series_name(metric: str, series_col: str | None, key_label: str, several_metrics: bool) -> str:
    if series_col is None:
        return metric
    label = f"{series_col}={key_label}"
    return f"{metric} ({label})" if several_metrics else label


def _series(
    name: str, part: pd.DataFrame, x_col: str, position: dict[Any, float], style: int, bounds: Bounds | None
) -> Series:
    part = part.assign(_pos=[position[v] for v in part[x_col]]).sort_values("_pos")
    mean = part["mean"].to_numpy(dtype=float)
    lower = part["lower_bound"].to_numpy(dtype=float)
    upper = part["upper_bound"].to_numpy(dtype=float)
    if bounds is not None:
        lower, upper = np.clip(lower, *bounds), np.clip(upper, *bounds)
    low, high = mean - lower, upper - mean
    has_bars = bool(np.isfinite(low).any())
    return Series(
        name=name,
        x=part["_pos"].tolist(),
        y=mean.tolist(),
        y_err_low=low.tolist() if has_bars else None,
        y_err_high=high.tolist() if has_bars else None,
        n=[int(c) for c in part["count"]],
        style=style,
    )


def _dodged(series: list[Series]) -> list[Series]:
    step = DODGE_WIDTH / len(series)
    out = []
    for k, s in enumerate(series):
        offset = (k - (len(series) - 1) / 2) * step
        out.append(Series(s.name, [x + offset for x in s.x], s.y, s.y_err_low, s.y_err_high, s.n, s.style))
    return out


def _y_axis(series: list[Series]) -> tuple[tuple[float, float] | None, list[float], list[str]]:
    """Limits that keep every point and interval off the frame, and round ticks inside them."""
    values = []
    for s in series:
        y = np.asarray(s.y, dtype=float)
        values.append(y)
        if s.y_err_low is not None and s.y_err_high is not None:
            values.append(y - np.asarray(s.y_err_low, dtype=float))
            values.append(y + np.asarray(s.y_err_high, dtype=float))
    flat = np.concatenate(values) if values else np.array([])
    flat = flat[np.isfinite(flat)]
    if not flat.size:
        return None, [], []
    low, high = float(flat.min()), float(flat.max())
    pad = (high - low) * 0.05 or abs(low) * 0.05 or 0.5
    limits = (low - pad, high + pad)
    ticks = [t for t in nice_ticks(*limits) if limits[0] <= t <= limits[1]]
    return limits, ticks, [format_tick(t) for t in ticks]


def _levels(matrix: np.ndarray) -> tuple[list[float], np.ndarray]:
    present = matrix[np.isfinite(matrix)]
    cell_levels = np.full(matrix.shape, -1, dtype=int)
    if not present.size:
        return [], cell_levels
    low, high = float(present.min()), float(present.max())
    if high == low:
        cell_levels[np.isfinite(matrix)] = 0
        return [low, high], cell_levels
    edges = np.linspace(low, high, len(SHADES) + 1)
    bins = np.clip(np.searchsorted(edges, matrix, side="right") - 1, 0, len(SHADES) - 1)
    cell_levels[np.isfinite(matrix)] = bins[np.isfinite(matrix)]
    return edges.tolist(), cell_levels


def _plain(value: Any) -> Any:
    """numpy scalars to Python ones, so the chart data serialises as-is."""
    return value.item() if isinstance(value, np.generic) else value
