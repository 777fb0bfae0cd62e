"""Draw a ChartData as plain text with plotext, for the terminal app and the CLI.

plotext keeps one global figure, so drawing is serialised by a lock and always starts from
``clear_figure()``; the result is a string, so it is testable without a terminal or an app.
"""

from __future__ import annotations

import math
import threading
from typing import Any

from motools.analysis.charts import ChartData, HeatmapData, format_value

MARKERS = ("o", "x", "+", "*", "#", "@", "%", "&")
COLORS = ("blue+", "red+", "green+", "orange+", "magenta+", "cyan+", "yellow+", "gray+")
# Light to dark: the cell's share of the value range picks the fill; the lightest is blank.
SHADES = (" ", "░", "▒", "▓")
ERROR_MARKER = "│"
CELL_FORMAT = " {:.2f} "

_LOCK = threading.Lock()


def render_plotext(chart: ChartData, width: int, height: int, *, color: bool = False) -> str:
    """Return exactly ``height`` lines, none wider than ``width``, with ANSI colours only if
    ``color``. Series are told apart by marker as well as colour, so plain text stays legible.
    """
    import plotext as plt

    if width < 1 or height < 1:
        raise ValueError(f"width and height must be positive, got {width}x{height}")
    with _LOCK:
        plt.clear_figure()
        try:
            plt.plotsize(width, height)
            plt.theme("clear")  # no canvas background, which would fight the terminal's
            plt.title(chart.title)
            plt.xlabel(chart.x_label)
            plt.ylabel(chart.y_label)
            if chart.kind == "heatmap":
                if chart.heatmap is None:
                    raise ValueError("a heatmap chart needs heatmap data")
                _draw_heatmap(plt, chart.heatmap, color)
            else:
                _draw_lines(plt, chart, color)
            text = plt.build()
        finally:
            plt.clear_figure()
    if not color:
        text = plt.uncolorize(text)
    return _fit(text, width, height, color)


def _draw_lines(plt: Any, chart: ChartData, color: bool) -> None:
    for k, series in enumerate(chart.series):
        colour = COLORS[k % len(COLORS)] if color else None
        plt.plot(series.x, series.y, marker="braille", color=colour)
    # Error bars after the lines and markers after the bars, so points stay on top.
    for k, series in enumerate(chart.series):
        colour = COLORS[k % len(COLORS)] if color else None
        for x, y, low, high in zip(
            series.x, series.y, series.y_err_low or [], series.y_err_high or [], strict=False
        ):
            if math.isfinite(low) and math.isfinite(high):
                plt.plot([x, x], [y - low, y + high], marker=ERROR_MARKER, color=colour)
    for k, series in enumerate(chart.series):
        colour = COLORS[k % len(COLORS)] if color else None
        label = series.name if len(chart.series) > 1 else None
        plt.scatter(series.x, series.y, marker=MARKERS[k % len(MARKERS)], color=colour, label=label)
    xs = sorted({x for series in chart.series for x in series.x})
    if not xs:
        return
    if chart.x_log:
        plt.xscale("log")
    if chart.x_categories is not None:
        plt.xticks(list(range(len(chart.x_categories))), chart.x_categories)
        plt.xlim(-0.5, len(chart.x_categories) - 0.5)
    else:
        if len(xs) <= 12:
            # Label the swept values themselves rather than plotext's round numbers.
            plt.xticks(xs, [format_value(x) for x in xs])
        # plotext takes limits in log10 units on a log axis.
        ends = [math.log10(xs[0]), math.log10(xs[-1])] if chart.x_log else [xs[0], xs[-1]]
        plt.xlim(*_padded(*ends))
    ys = [
        bound
        for series in chart.series
        for bound in _y_extent(series.y, series.y_err_low, series.y_err_high)
    ]
    if ys:
        plt.ylim(*_padded(min(ys), max(ys)))


def _draw_heatmap(plt: Any, data: HeatmapData, color: bool) -> None:
    cells = [
        (i, j, value)
        for i, row in enumerate(data.matrix)
        for j, value in enumerate(row)
        if not math.isnan(value)
    ]
    if cells:
        low = min(v for _, _, v in cells)
        span = max(v for _, _, v in cells) - low
        for i, j, value in cells:
            share = (value - low) / span if span > 0 else 0.0
            shade = SHADES[min(len(SHADES) - 1, int(share * len(SHADES)))]
            if shade != " ":
                plt.rectangle(
                    [j - 0.5, j + 0.5],
                    [i - 0.5, i + 0.5],
                    marker=shade,
                    fill=True,
                    color="cyan" if color else None,
                )
        for i, j, value in cells:
            plt.text(CELL_FORMAT.format(value), j, i, alignment="center")
    if data.x_labels and data.y_labels:
        plt.xticks(list(range(len(data.x_labels))), data.x_labels)
        plt.yticks(list(range(len(data.y_labels))), data.y_labels)
        plt.xlim(-0.5, len(data.x_labels) - 0.5)
        plt.ylim(-0.5, len(data.y_labels) - 0.5)


def _y_extent(
    y: list[float], low: list[float] | None, high: list[float] | None
) -> list[float]:
    values = list(y)
    if low is not None and high is not None:
        values += [m - d for m, d in zip(y, low, strict=True)]
        values += [m + d for m, d in zip(y, high, strict=True)]
    return [v for v in values if math.isfinite(v)]


def _padded(low: float, high: float, share: float = 0.05) -> tuple[float, float]:
    """Keep end points and error bars off the frame, where plotext would hide them."""
    pad = (high - low) * share or abs(low) * share or 0.5
    return low - pad, high + pad


def _fit(text: str, width: int, height: int, color: bool) -> str:
    """plotext ends with a newline and can miss the size on tiny canvases; make it exact."""
    lines = text.rstrip("\n").split("\n")[:height]
    if not color:
        lines = [line[:width] for line in lines]
    lines += [" " * width] * (height - len(lines))
    return "\n".join(lines)
