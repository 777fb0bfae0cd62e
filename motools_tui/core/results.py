"""Results of a sweep: the collated table, CIs, charts, exports. pandas lives only here.

Everything in this module runs in worker threads; pandas and the analysis modules are
imported inside the functions so that importing this module stays free.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from motools.analysis.filters import filter_frame
from motools.status import Status
from motools.text import format_value

__all__ = ["filter_frame"]  # one filter syntax for the CLI (--where) and the app (/)

if TYPE_CHECKING:
    pass

LEAD_COLS = ("run", "status", "task")
LOWER_IS_BETTER = re.compile(r"(loss|error|perplexity|ppl|latency|time|cost|regret)", re.I)


def higher_is_better(metric: str) -> bool:
    return not LOWER_IS_BETTER.search(metric)


@dataclass
class Results:
    """The collated table and what the screen needs to know about its columns."""

    sweep_name: str
    df: Any  # pandas.DataFrame
    param_cols: list[str]
    metric_cols: list[str]
    tasks: list[str]
    n_runs: int
    n_finished: int
    sweep_status: str = ""

    @property
    def finished(self) -> Any:
        return self.df[self.df["status"] == Status.FINISHED]


def load(store: Any, name: str) -> Results:
    from motools.analysis.collate import collate_sweep

    sweep = store.get_sweep(name)
    df = collate_sweep(name, store=store)
    cols = list(df.columns)
    lead_at = cols.index("run") if "run" in cols else 0
    param_cols = cols[:lead_at]
    metric_cols = [c for c in cols[lead_at:] if c not in LEAD_COLS]
    tasks = sorted({str(t) for t in df["task"].dropna().unique()}) if "task" in df else []
    n_finished = int((df.drop_duplicates("run")["status"] == Status.FINISHED).sum()) if len(df) else 0
    return Results(
        name,
        df,
        param_cols,
        metric_cols,
        tasks,
        int(sweep.get("n_runs") or 0),
        n_finished,
        str(sweep.get("status") or ""),
    )


def default_group_cols(results: Results) -> list[str]:
    """Every swept parameter except seeds: seeds are what a CI is taken over."""
    cols = [c for c in results.param_cols if "seed" not in c.lower()]
    if len(results.tasks) > 1:
        cols.append("task")
    return cols


def ci_table(results: Results, metric: str, group_cols: list[str], confidence: float = 0.95) -> Any:
    from motools.analysis.stats import compute_ci_df

    df = results.finished
    if df.empty:
        import pandas as pd

        return pd.DataFrame(
            columns=[*group_cols, "mean", "lower_bound", "upper_bound", "count", "confidence", "method"]
        )
    return compute_ci_df(df, metric, group_cols, confidence=confidence, method="auto")


def best_index(df: Any, column: str) -> Any:
    """Index label of the best row by ``column`` (max, or min for losses); None if no value."""
    if column not in df or df.empty:
        return None
    values = df[column]
    try:
        values = values.astype(float)
    except (TypeError, ValueError):
        return None
    if values.notna().sum() == 0:
        return None
    return values.idxmax() if higher_is_better(column) else values.idxmin()


def best_text(results: Results, metric: str) -> str:
    df = results.finished
    idx = best_index(df, metric)
    if idx is None:
        return "best: - (no finished run yet)"
    row = df.loc[idx]
    params = " ".join(f"{c}={format_value(row[c])}" for c in results.param_cols)
    task = f" [{row['task']}]" if len(results.tasks) > 1 else ""
    arrow = "max" if higher_is_better(metric) else "min"
    return f"best ({arrow} {metric}): run #{int(row['run'])} {params}{task} → {format_value(row[metric])}"


def sort_frame(df: Any, column: str, descending: bool) -> Any:
    if column not in df.columns:
        return df
    return df.sort_values(column, ascending=not descending, na_position="last", kind="stable")


def chart(
    results: Results, metric: str, x_col: str, series_col: str | None = None, heatmap_y: str | None = None
) -> Any:
    """The ChartData for the results screen: a line chart or, with ``heatmap_y``, a heatmap."""
    from motools.analysis.charts import heatmap_data, line_chart_data

    df = results.finished
    if df.empty:
        raise ValueError("no finished run yet")
    if heatmap_y:
        return heatmap_data(df, x_col, heatmap_y, metric)
    if series_col is None and len(results.tasks) > 1:
        series_col = "task"
    return line_chart_data(df, x_col, metric, series_col=series_col)


def chart_text(chart_data: Any, width: int, height: int) -> str:
    from motools.analysis.render_plotext import render_plotext

    return render_plotext(chart_data, max(20, width), max(6, height))


def export_csv(df: Any, path: str | Path) -> Path:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(p, index=False)
    return p.resolve()


def export_png(chart_data: Any, path: str | Path) -> Path:
    from motools.analysis.render_matplotlib import draw_matplotlib

    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fig = draw_matplotlib(chart_data)
    fig.savefig(p)
    return p.resolve()
