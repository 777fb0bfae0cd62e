"""Draw a ChartData with matplotlib for PNG/SVG/PDF files.

Figures are built with ``matplotlib.figure.Figure`` rather than pyplot: no display, no backend
switch and no global figure registry, so this is safe on headless machines, in threads and
inside the terminal app, and it leaves a notebook's own backend alone.
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from motools.analysis.charts import ChartData, HeatmapData

FIGSIZE = (7.0, 4.5)
CELL_FORMAT = "{:.2f}"


def draw_matplotlib(chart: ChartData) -> Figure:
    """Return a new figure; ``fig.savefig(path)`` picks the file format from the suffix."""
    fig = Figure(figsize=FIGSIZE, layout="constrained")
    ax = fig.add_subplot()
    if chart.kind == "heatmap":
        if chart.heatmap is None:
            raise ValueError("a heatmap chart needs heatmap data")
        _draw_heatmap(fig, ax, chart.heatmap)
    else:
        _draw_lines(ax, chart)
    ax.set_title(chart.title)
    ax.set_xlabel(chart.x_label)
    ax.set_ylabel(chart.y_label)
    return fig


def _draw_lines(ax: Axes, chart: ChartData) -> None:
    for series in chart.series:
        yerr = None
        if series.y_err_low is not None and series.y_err_high is not None:
            yerr = np.array([series.y_err_low, series.y_err_high])  # NaN draws no bar
        ax.errorbar(series.x, series.y, yerr=yerr, marker="o", capsize=3, label=series.name)
    if chart.x_log:
        ax.set_xscale("log")
    if chart.x_categories is not None:
        ax.set_xticks(range(len(chart.x_categories)), chart.x_categories)
    if len(chart.series) > 1:
        ax.legend()
    ax.grid(True, alpha=0.3)


def _draw_heatmap(fig: Figure, ax: Axes, data: HeatmapData) -> None:
    shape = (len(data.y_values), len(data.x_values))
    matrix = np.ma.masked_invalid(np.array(data.matrix, dtype=float).reshape(shape))
    image = ax.imshow(matrix, origin="lower", aspect="auto", cmap="viridis")
    ax.set_xticks(range(len(data.x_labels)), data.x_labels)
    ax.set_yticks(range(len(data.y_labels)), data.y_labels)
    fig.colorbar(image, ax=ax, label=data.value_label)
    for (i, j), value in np.ndenumerate(matrix.filled(np.nan)):
        if np.isnan(value):
            continue
        # Dark text on the light (high) end of viridis, light text on the dark end.
        colour = "black" if image.norm(value) > 0.6 else "white"
        ax.text(j, i, CELL_FORMAT.format(value), ha="center", va="center", color=colour)
