"""Draw a ChartData as plain text with plotext, for the terminal app and the CLI.

plotext keeps one global figure, so drawing is serialised by a lock and always starts from
``clear_figure()``; the result is a string, so it is testable without a terminal or an app.
Everything the chart says (ticks, limits, styles, levels) comes from the ChartData; this module
only decides what a character grid can show: dense series are thinned to what the canvas can
resolve, which keeps 10,000 points well under 100 ms.
"""

from __future__ import annotations

import math
import re
import threading
from typing import Any

import numpy as np

from motools.analysis.chart_style import HEATMAP_TERM_COLOR, SHADES, series_style
from motools.analysis.charts import MARKER_SLOTS, ChartData, HeatmapData, Series, format_cell, marker_every
from motools.analysis.ticks import format_tick

ERROR_MARKER = "│"
BAND_MARKER = "·"
CELL_FORMAT = " {} "
# plotext writes palette colours as 256-colour escapes (38;5;N); for N < 16 the plain 16-colour
# codes mean the same and work on every terminal.
_PALETTE_ESCAPE = re.compile(r"\x1b\[(38|48);5;(\d+)m")

_LOCK = threading.Lock()


def render_plotext(chart: ChartData, width: int, height: int, *, color: bool = False) -> str:
    """Return exactly ``height`` lines, none wider than ``width``, with ANSI colours (16-colour
    codes only) if ``color``. Series differ by marker as well as colour, with a legend, so plain
    text stays legible; a heatmap's last line is its colour scale."""
    import plotext as plt

    if width < 1 or height < 1:
        raise ValueError(f"width and height must be positive, got {width}x{height}")
    scale = _scale_line(chart.heatmap) if chart.kind == "heatmap" and chart.heatmap is not None else None
    plot_height = height - 1 if scale and height > 3 else height
    with _LOCK:
        plt.clear_figure()
        try:
            plt.limitsize(False, False)  # not clamped to the size of whatever terminal runs this
            plt.plotsize(width, plot_height)
            plt.theme("clear")  # no canvas background, which would fight the terminal's
            plt.title(chart.title)
            plt.xlabel(chart.x_label)
            plt.ylabel(chart.y_label)
            if chart.kind == "heatmap":
                if chart.heatmap is None:
                    raise ValueError("a heatmap chart needs heatmap data")
                _draw_heatmap(plt, chart, chart.heatmap, color)
            else:
                _draw_lines(plt, chart, color, width)
            text = plt.build()
        finally:
            plt.clear_figure()
    text = _PALETTE_ESCAPE.sub(_sixteen_colours, text) if color else plt.uncolorize(text)
    lines = text.rstrip("\n").split("\n")[:plot_height]
    if plot_height < height and scale is not None:
        lines += [" " * width] * (plot_height - len(lines))
        lines = [*lines[:plot_height], scale[:width]]
    return _fit(lines, width, height, color)


def _draw_lines(plt: Any, chart: ChartData, color: bool, width: int) -> None:
    columns = max(width * 2, 2)  # braille dots per row
    x_ends = _x_ends(chart)
    for series in chart.series:
        style = series_style(series.style)
        colour = style.term_color if color else None
        x, y = np.asarray(series.x, dtype=float), np.asarray(series.y, dtype=float)
        if chart.join_points and len(x) > 1:
            if len(x) <= width:
                plt.plot(series.x, series.y, marker="braille", color=colour)
            else:  # denser than the canvas: the points themselves trace the line
                dx, dy = _envelope(x, y, x_ends, chart.x_log, columns)
                plt.scatter(dx, dy, marker="braille", color=colour)
        low, high = _bounds(series)
        if low is not None and high is not None:
            if chart.error_style == "bars":
                for xi, lo, hi in zip(series.x, low, high, strict=True):
                    if math.isfinite(lo) and math.isfinite(hi):
                        plt.plot([xi, xi], [lo, hi], marker=ERROR_MARKER, color=colour)
            else:
                for edge in (low, high):
                    ok = np.isfinite(edge)
                    ex, ey = _envelope(x[ok], edge[ok], x_ends, chart.x_log, columns // 2)
                    plt.scatter(ex, ey, marker=BAND_MARKER, color=colour)
    # Markers last, so points stay on top of lines and bars; one per few columns at most.
    for series in chart.series:
        style = series_style(series.style)
        colour = style.term_color if color else None
        label = series.name if len(chart.series) > 1 else None
        every = marker_every(len(series.x), min(MARKER_SLOTS, width // 2))
        plt.scatter(series.x[::every], series.y[::every], marker=style.term_marker, color=colour, label=label)
    if not any(s.x for s in chart.series):
        return
    if chart.x_log:
        plt.xscale("log")
    if chart.x_ticks:
        plt.xticks(chart.x_ticks, chart.x_tick_labels)
    if x_ends is not None:
        # plotext takes limits in log10 units on a log axis.
        ends = (math.log10(x_ends[0]), math.log10(x_ends[1])) if chart.x_log else x_ends
        plt.xlim(*_padded(*ends, categorical=chart.x_categories is not None))
    if chart.y_limits is not None:
        plt.ylim(*chart.y_limits)
    if chart.y_ticks:
        plt.yticks(chart.y_ticks, chart.y_tick_labels)


def _draw_heatmap(plt: Any, chart: ChartData, data: HeatmapData, color: bool) -> None:
    for i, row in enumerate(data.cell_levels):
        for j, level in enumerate(row):
            if level < 0:
                continue
            plt.rectangle(
                [j - 0.5, j + 0.5],
                [i - 0.5, i + 0.5],
                marker=SHADES[level],
                fill=True,
                color=HEATMAP_TERM_COLOR if color else None,
            )
    for i, row in enumerate(data.cell_labels):
        for j, label in enumerate(row):
            plt.text(CELL_FORMAT.format(label), j, i, alignment="center")
    if data.x_labels and data.y_labels:
        plt.xticks(chart.x_ticks, chart.x_tick_labels)
        plt.yticks(chart.y_ticks, chart.y_tick_labels)
        plt.xlim(-0.5, len(data.x_labels) - 0.5)
        plt.ylim(-0.5, len(data.y_labels) - 0.5)


def _scale_line(data: HeatmapData) -> str | None:
    """``accuracy: ░ 0.52 ▒ 0.61 ▓ 0.70 █ 0.79–0.88``: each shade from its lower edge up."""
    if not data.levels:
        return None
    if len(data.levels) == 2 and data.levels[0] == data.levels[1]:
        return f"{data.value_label}: {SHADES[0]} {format_tick(data.levels[0])}"
    edges = [format_cell(v) for v in data.levels]
    steps = " ".join(f"{shade} {edge}" for shade, edge in zip(SHADES, edges, strict=False))
    return f"{data.value_label}: {steps}–{edges[-1]}"


def _bounds(series: Series) -> tuple[np.ndarray | None, np.ndarray | None]:
    if series.y_err_low is None or series.y_err_high is None:
        return None, None
    y = np.asarray(series.y, dtype=float)
    return y - np.asarray(series.y_err_low, dtype=float), y + np.asarray(series.y_err_high, dtype=float)


def _x_ends(chart: ChartData) -> tuple[float, float] | None:
    xs = [x for s in chart.series for x in s.x]
    if chart.x_categories is not None:
        return (0.0, float(len(chart.x_categories) - 1)) if chart.x_categories else None
    return (min(xs), max(xs)) if xs else None


def _envelope(
    x: np.ndarray, y: np.ndarray, ends: tuple[float, float] | None, log: bool, columns: int
) -> tuple[list[float], list[float]]:
    """The lowest and highest point in each canvas column: what a column can show anyway."""
    if len(x) <= 2 * columns or ends is None:
        return x.tolist(), y.tolist()
    position = np.log10(x) if log else x
    lo, hi = (math.log10(ends[0]), math.log10(ends[1])) if log else ends
    column = np.clip(((position - lo) / ((hi - lo) or 1.0) * (columns - 1)).astype(int), 0, columns - 1)
    order = np.lexsort((y, column))
    column, xs, ys = column[order], x[order], y[order]
    starts = np.flatnonzero(np.r_[True, column[1:] != column[:-1]])
    ends_ = np.r_[starts[1:], len(column)] - 1
    keep = np.unique(np.r_[starts, ends_])
    return xs[keep].tolist(), ys[keep].tolist()


def _padded(low: float, high: float, share: float = 0.05, categorical: bool = False) -> tuple[float, float]:
    """Keep end points and error bars off the frame, where plotext would hide them."""
    if categorical:
        return low - 0.5, high + 0.5
    pad = (high - low) * share or abs(low) * share or 0.5
    return low - pad, high + pad


def _sixteen_colours(match: re.Match[str]) -> str:
    layer, index = match.group(1), int(match.group(2))
    if index >= 16:
        return match.group(0)
    base = 30 if layer == "38" else 40
    return f"\x1b[{base + index if index < 8 else base + 60 + index - 8}m"


def _fit(lines: list[str], width: int, height: int, color: bool) -> str:
    """plotext can miss the size on tiny canvases; make it exact."""
    lines = lines[:height]
    if not color:
        lines = [line[:width] for line in lines]
    lines += [" " * width] * (height - len(lines))
    return "\n".join(lines)
