"""The ``plot_sweep_*`` calls of the user guide: chart data drawn with matplotlib.

matplotlib is imported on first call, so importing ``motools.analysis`` for ``compute_ci_df``
does not pay for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from motools.analysis.charts import ChartData, heatmap_data, line_chart_data

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure


def plot_sweep_metric(
    df: pd.DataFrame,
    x_col: str,
    y_col: str,
    title: str | None = None,
    *,
    series_col: str | None = None,
    confidence: float = 0.95,
    param_cols: Sequence[str] | None = None,
) -> Figure:
    """One metric against one swept parameter: mean over seeds with CI error bars."""
    return plot_sweep_metrics(
        df, x_col, [y_col], title, series_col=series_col, confidence=confidence, param_cols=param_cols
    )


def plot_sweep_metrics(
    df: pd.DataFrame,
    x_col: str,
    y_cols: Sequence[str],
    title: str | None = None,
    *,
    series_col: str | None = None,
    confidence: float = 0.95,
    param_cols: Sequence[str] | None = None,
) -> Figure:
    """Several metrics against one swept parameter, one line each, on shared axes."""
    chart = line_chart_data(
        df, x_col, y_cols, title=title, series_col=series_col, confidence=confidence, param_cols=param_cols
    )
    return _draw(chart)


def plot_sweep_heatmap(
    df: pd.DataFrame,
    x_col: str,
    y_col: str,
    value_col: str,
    title: str | None = None,
    *,
    param_cols: Sequence[str] | None = None,
) -> Figure:
    """A 2-D sweep as annotated cells of the mean, so the exact numbers survive printing."""
    return _draw(heatmap_data(df, x_col, y_col, value_col, title=title, param_cols=param_cols))


def _draw(chart: ChartData) -> Figure:
    from motools.analysis.render_matplotlib import draw_matplotlib

    return draw_matplotlib(chart)
