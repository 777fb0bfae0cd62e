"""Draw a ChartData with matplotlib for PNG/SVG/PDF files.

Figures are built with ``matplotlib.figure.Figure`` rather than pyplot: no display, no backend
switch and no global figure registry, so this is safe on headless machines, in threads and
inside the terminal app, and it leaves a notebook's own backend alone. Ticks, limits, styles
and heatmap levels come from the ChartData, so the file matches the terminal chart.
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.figure import Figure
from matplotlib.ticker import NullLocator

from motools.analysis.chart_style import HEATMAP_CMAP, SHADES, series_style
from motools.analysis.charts import ChartData, HeatmapData, format_cell, marker_every

FIGSIZE = (7.0, 4.5)


def draw_matplotlib(chart: ChartData) -> Figure:
    """Return a new figure; ``fig.savefig(path)`` picks the file format from the suffix."""
    fig = Figure(figsize=FIGSIZE, layout="constrained")
    ax = fig.add_subplot()
    if chart.kind == "heatmap":
        if chart.heatmap is None:
            raise ValueError("a heatmap chart needs heatmap data")
        _draw_heatmap(fig, ax, chart, chart.heatmap)
    else:
        _draw_lines(ax, chart)
    ax.set_title(chart.title)
    ax.set_xlabel(chart.x_label)
    ax.set_ylabel(chart.y_label)
    return fig


def _draw_lines(ax: Axes, chart: ChartData) -> None:
    for series in chart.series:
        style = series_style(series.style)
        every = marker_every(len(series.x))  # thinned like the terminal's markers
        linestyle = "-" if chart.join_points else "none"
        has_err = series.y_err_low is not None and series.y_err_high is not None
        if has_err and chart.error_style == "bars":
            yerr = np.array([series.y_err_low, series.y_err_high])  # NaN draws no bar
            ax.errorbar(
                series.x,
                series.y,
                yerr=yerr,
                color=style.mpl_color,
                marker=style.mpl_marker,
                linestyle=linestyle,
                capsize=3,
                label=series.name,
            )
            continue
        ax.plot(
            series.x,
            series.y,
            color=style.mpl_color,
            marker=style.mpl_marker,
            linestyle=linestyle,
            markevery=every,
            label=series.name,
        )
        if has_err:
            y = np.asarray(series.y, dtype=float)
            low = y - np.asarray(series.y_err_low, dtype=float)
            high = y + np.asarray(series.y_err_high, dtype=float)
            ax.fill_between(series.x, low, high, color=style.mpl_color, alpha=0.2, linewidth=0)
    if chart.x_log:
        ax.set_xscale("log")
    if chart.x_ticks:
        ax.set_xticks(chart.x_ticks, chart.x_tick_labels)
        ax.xaxis.set_minor_locator(NullLocator())  # no unlabelled 2e-5, 3e-5... on log axes
    if chart.x_categories is not None and chart.x_categories:
        ax.set_xlim(-0.5, len(chart.x_categories) - 0.5)
    if chart.y_limits is not None:
        ax.set_ylim(*chart.y_limits)
    if chart.y_ticks:
        ax.set_yticks(chart.y_ticks, chart.y_tick_labels)
    if len(chart.series) > 1:
        ax.legend()
    ax.grid(True, alpha=0.3)


def _draw_heatmap(fig: Figure, ax: Axes, chart: ChartData, data: HeatmapData) -> None:
    import matplotlib

    shape = (len(data.y_values), len(data.x_values))
    matrix = np.ma.masked_invalid(np.array(data.matrix, dtype=float).reshape(shape))
    shades = matplotlib.colormaps[HEATMAP_CMAP](np.linspace(0.2, 0.9, len(SHADES)))
    levels = data.levels if len(data.levels) > 2 or (data.levels and data.levels[0] != data.levels[-1]) else None
    if levels is not None:
        cmap = ListedColormap(shades[: len(levels) - 1])
        norm = BoundaryNorm(levels, cmap.N)
    else:  # every cell equal: one shade
        cmap = ListedColormap(shades[:1])
        norm = None
    image = ax.imshow(matrix, origin="lower", aspect="auto", cmap=cmap, norm=norm)
    ax.set_xticks(chart.x_ticks, chart.x_tick_labels)
    ax.set_yticks(chart.y_ticks, chart.y_tick_labels)
    bar = fig.colorbar(image, ax=ax, label=data.value_label)
    if levels is not None:
        bar.set_ticks(levels)
        bar.set_ticklabels([format_cell(v) for v in levels])
    for i, row in enumerate(data.cell_labels):
        for j, label in enumerate(row):
            level = data.cell_levels[i][j]
            # Dark text on the light levels, light text on the dark ones.
            colour = "white" if level >= len(SHADES) // 2 else "black"
            ax.text(j, i, label, ha="center", va="center", color=colour)
