"""Results of a sweep for the results screen: the table, intervals, best, charts, comparisons.

The table is read straight from the read model without pandas (one row per run and task, the
layout of :func:`motools.analysis.collate.collate_sweep`: swept parameters under their column
names, ``run, status, task``, then the primary metrics), so a 10,000-run sweep shows in a
fraction of a second and every row stays reachable. The analysis (intervals, best setting,
charts, paired comparisons) runs on a pandas frame of the same rows, in worker threads, and
follows the table's filter. Everything here runs in worker threads.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from motools.evals.metrics import primary_metrics
from motools.params import param_labels
from motools.status import Status
from motools.text import format_value
from motools_tui.core.table import TableData, is_missing, sort_rows

LEAD_COLS = ("run", "status", "task")
SAMPLE_META = ("sample_id", "epoch", "answer", "target", "explanation")


@dataclass
class ResultsData:
    """The results table of one sweep and what the screen needs to know about its columns."""

    sweep_name: str
    table: TableData
    param_cols: list[str]
    metric_cols: list[str]
    tasks: list[str]
    n_runs: int
    n_finished: int
    sweep_status: str = ""
    _frame: Any = field(default=None, repr=False)

    def frame(self) -> Any:
        """The table as a pandas DataFrame (built once; call from a worker thread)."""
        if self._frame is None:
            import pandas as pd

            self._frame = pd.DataFrame.from_records(self.table.rows, columns=self.table.columns)
        return self._frame


def load(read: Any, name: str) -> ResultsData:
    """The results table of sweep ``name`` from a :class:`~motools.store.read.ReadModel`."""
    sweep = read.sweep(name)
    if sweep is None:
        raise ValueError(f"no sweep named {name!r}")
    runs = read.run_rows(sweep["id"])
    params = [json.loads(r["params"] or "{}") for r in runs]
    paths: list[str] = []
    for p in params:
        paths.extend(k for k in p if k not in paths)
    names = param_labels(paths)
    found = read.result_metric_rows(sweep["id"])
    outputs = {(f["step"], f["key"]) for f in found}
    if len(outputs) > 1:
        declared = _declared(sweep)
        if declared:
            found = [f for f in found if (f["step"], f["key"]) in declared]
    found.sort(key=lambda f: (f["run_id"], f["step_idx"]))
    per_run: dict[int, dict[str, dict[str, float]]] = {}
    available: set[str] = set()
    for f in found:
        per_run.setdefault(f["run_id"], {}).setdefault(f["task"], {})[f["metric"]] = f["value"]
        available.add(f["metric"])
    metrics = primary_metrics(sorted(available))
    nan = float("nan")
    rows: list[tuple[Any, ...]] = []
    tasks: set[str] = set()
    n_finished = 0
    for r, p in zip(runs, params, strict=True):
        base = (*(p.get(k) for k in paths), r["idx"], r["status"])
        n_finished += r["status"] == Status.FINISHED
        per_task = per_run.get(r["id"])
        if not per_task:
            rows.append((*base, None, *(nan for _ in metrics)))
            continue
        for task, values in per_task.items():
            tasks.add(task)
            rows.append((*base, task, *(values.get(m, nan) for m in metrics)))
    param_cols = [names[p] for p in paths]
    table = TableData([*param_cols, *LEAD_COLS, *metrics], rows)
    return ResultsData(
        name,
        table,
        param_cols,
        list(metrics),
        sorted(tasks),
        int(sweep.get("n_runs") or len(runs)),
        n_finished,
        str(sweep.get("status") or ""),
    )


def _declared(sweep: dict[str, Any]) -> set[tuple[str, str]] | None:
    """The ``(step, output)`` pairs the sweep's workflow declares as results, when it says."""
    from motools.specs import parse_spec_text
    from motools.workflow.registry import resolve_workflow

    try:
        spec = parse_spec_text(sweep["spec_yaml"], resolve=False)
        return set(resolve_workflow(spec.workflow).result_outputs) or None
    except Exception:  # the workflow cannot be imported here: every output with metrics counts
        return None


# -- the screen's state --------------------------------------------------------------------------
@dataclass(frozen=True)
class View:
    """The user's choices: everything the derived tables and the chart depend on."""

    metric: str | None = None
    x_col: str | None = None
    series_col: str | None = None
    heatmap: bool = False
    group_cols: tuple[str, ...] | None = None  # CI groups, and the settings Compare compares
    sort: tuple[str, bool] | None = None
    ci_sort: tuple[str, bool] | None = None
    filter: str = ""
    chart_size: tuple[int, int] = (70, 16)
    baseline: tuple[tuple[str, Any], ...] | None = None  # Compare's baseline setting (None: the best)


@dataclass
class ResultsState:
    """What the results screen shows; each part remembers the choices it was computed for, so
    a late result for settings since changed is dropped."""

    data: ResultsData | None = None
    view: View = field(default_factory=View)
    order: list[int] | None = None  # the table's rows, filtered and sorted (positions)
    filter_error: str | None = None
    best: Best | None = None
    best_error: str | None = None
    ci: TableData | None = None
    ci_frame: Any = None
    ci_method: str = ""
    ci_error: str | None = None
    chart: Any = None
    chart_text: str = ""
    chart_error: str | None = None
    compare: TableData | None = None
    compare_frame: Any = None
    compare_baseline: dict[str, Any] | None = None
    compare_value: str | None = None
    compare_error: str | None = None

    @property
    def shown_rows(self) -> int:
        return len(self.order) if self.order is not None else (len(self.data.table) if self.data else 0)


def select(data: ResultsData, expr: str = "", sort: tuple[str, bool] | None = None) -> list[int]:
    """Positions of the rows matching ``expr`` (the CLI's ``--where`` syntax,
    :func:`motools.analysis.filters.filter_frame`), sorted by ``sort``. ``ValueError`` for a
    bad expression. Without a filter, no pandas is needed."""
    positions: list[int] | range = range(len(data.table))
    if (expr or "").strip():
        from motools.analysis.filters import filter_frame

        positions = [int(i) for i in filter_frame(data.frame(), expr).index]
    return sort_rows(data.table, positions, sort)


# -- the analysis, on the rows the table shows ---------------------------------------------------
def shown_frame(data: ResultsData, positions: list[int] | None) -> Any:
    """The frame's rows at ``positions`` (the table's filter), finished runs only."""
    df = data.frame()
    if positions is not None and len(positions) != len(df):
        df = df.iloc[sorted(positions)]
    return df[df["status"] == Status.FINISHED]


def default_group_cols(data: ResultsData) -> list[str]:
    """Every swept parameter except seeds: seeds are what a CI is taken over."""
    cols = [c for c in data.param_cols if "seed" not in c.lower()]
    if len(data.tasks) > 1:
        cols.append("task")
    return cols


def ci_table(df: Any, metric: str, group_cols: list[str], confidence: float = 0.95) -> Any:
    from motools.analysis.stats import compute_ci_df

    if df.empty:
        import pandas as pd

        return pd.DataFrame(
            columns=[*group_cols, "mean", "lower_bound", "upper_bound", "count", "confidence", "method"]
        )
    return compute_ci_df(df, metric, group_cols, confidence=confidence, method="auto")


@dataclass(frozen=True)
class Best:
    """The best setting (``best_setting``), as the screen shows and marks it."""

    text: str
    group_cols: tuple[str, ...]
    setting: dict[str, Any]
    contenders: tuple[dict[str, Any], ...]  # the best first
    higher_is_better: bool

    def rows(self, table: TableData) -> tuple[set[int], set[int]]:
        """Positions of the rows (finished runs, in a table with a status column) of the best
        setting, and of the other contenders."""
        if any(c not in table.columns for c in self.group_cols):
            return set(), set()
        cols = [table.index(c) for c in self.group_cols]
        finished = table.index("status") if "status" in table.columns else None

        def key(row: tuple[Any, ...]) -> tuple[Any, ...]:
            return tuple(_key(row[c]) for c in cols)

        best_key = tuple(_key(self.setting[c]) for c in self.group_cols)
        others = {tuple(_key(s[c]) for c in self.group_cols) for s in self.contenders[1:]}
        best: set[int] = set()
        close: set[int] = set()
        for i, row in enumerate(table.rows):
            if finished is not None and row[finished] != Status.FINISHED:
                continue
            k = key(row)
            if k == best_key:
                best.add(i)
            elif k in others:
                close.add(i)
        return best, close


def _key(value: Any) -> Any:
    if is_missing(value):
        return None
    return round(float(value), 12) if isinstance(value, float) else value


def best(df: Any, metric: str, param_cols: list[str]) -> Best | None:
    """``best_setting`` over the swept parameters (seeds pooled), or None without data."""
    from motools.analysis.best import best_setting

    values = df[metric].dropna() if metric in df else ()
    if len(values) == 0:
        return None
    result = best_setting(df.dropna(subset=[metric]), metric, param_cols=param_cols)
    contenders = [{c: plain(row[c]) for c in result.group_cols} for _, row in result.contenders.iterrows()]
    if not contenders:
        contenders = [result.setting]
    arrow = "max" if result.higher_is_better else "min"
    interval = ""
    if not is_missing(result.lower_bound):
        interval = f" [{format_value(result.lower_bound)}, {format_value(result.upper_bound)}]"
    text = f"best ({arrow} {metric}): {describe_setting(result.setting)} → {format_value(result.mean)}{interval}"
    others = [describe_setting(c) for c in contenders[1:]]
    if others:
        shown = ", ".join(others[:4]) + (f" and {len(others) - 4} more" if len(others) > 4 else "")
        text += f"; not distinguishable: {shown}"
    elif len(result.table) > 1:
        text += "; every other setting is worse"
    return Best(text, tuple(result.group_cols), dict(result.setting), tuple(contenders), result.higher_is_better)


def plain(value: Any) -> Any:
    """A numpy scalar as the Python value it holds."""
    return value.item() if hasattr(value, "item") and type(value).__module__ == "numpy" else value


def chart(
    df: Any,
    metric: str,
    x_col: str,
    param_cols: list[str],
    series_col: str | None = None,
    heatmap_y: str | None = None,
    several_tasks: bool = False,
) -> Any:
    """The ChartData for the results screen: a line chart or, with ``heatmap_y``, a heatmap."""
    from motools.analysis.charts import heatmap_data, line_chart_data

    if df.empty:
        raise ValueError("no finished run among the rows shown")
    if heatmap_y:
        return heatmap_data(df, x_col, heatmap_y, metric, param_cols=param_cols)
    if series_col is None and several_tasks:
        series_col = "task"
    return line_chart_data(df, x_col, metric, series_col=series_col, param_cols=param_cols)


def chart_text(chart_data: Any, width: int, height: int, color: bool = True) -> str:
    """The chart drawn by plotext, exactly ``height`` lines of at most ``width`` cells."""
    from motools.analysis.render_plotext import render_plotext

    return render_plotext(chart_data, max(20, width), max(6, height), color=color)


# -- paired comparisons, per sample --------------------------------------------------------------
@dataclass
class Samples:
    """The sweep's per-sample frame (``collate_sweep(name, samples=True)``) and its scores."""

    frame: Any
    score_cols: list[str]


def load_samples(store: Any, name: str) -> Samples:
    from motools.analysis.collate import collate_sweep

    df = collate_sweep(name, store=store, samples=True)
    lead = df.columns.get_loc("task") + 1 if "task" in df.columns else 0
    scores = [
        str(c)
        for c in df.columns[lead:]
        if c not in SAMPLE_META and str(df[c].dtype) not in ("object", "string", "bool")
    ]
    return Samples(df, scores)


def compare(
    samples: Samples,
    runs: set[int] | None,
    value_col: str,
    by: list[str],
    baseline: dict[str, Any] | None,
) -> Any:
    """``compare_configs`` of every setting with ``baseline`` (default: the best mean), paired
    on the same samples, Holm-adjusted; on the runs the table shows (``runs``)."""
    from motools.analysis.compare import compare_configs
    from motools.analysis.metrics import higher_is_better

    df = samples.frame
    df = df[df["status"] == Status.FINISHED]
    if runs is not None:
        df = df[df["run"].isin(sorted(runs))]
    if df.empty:
        raise ValueError("no finished run with per-sample scores among the rows shown")
    if not by:
        raise ValueError("choose at least one parameter to compare by (g)")
    if baseline is None:
        means = df.groupby(by, dropna=False)[value_col].mean()
        top = means.idxmax() if higher_is_better(value_col) else means.idxmin()
        top = top if isinstance(top, tuple) else (top,)
        baseline = {c: plain(v) for c, v in zip(by, top, strict=True)}
    within = "task" if df["task"].nunique() > 1 else None
    out = compare_configs(df, value_col, by, baseline, within=within)
    return out, baseline


def describe_setting(setting: dict[str, Any]) -> str:
    return " ".join(f"{k}={format_value(v)}" for k, v in setting.items()) or "(all runs)"


# -- exports -------------------------------------------------------------------------------------
def csv_bytes(table: TableData, positions: list[int] | None = None) -> bytes:
    """The rows (at ``positions``, in that order) as CSV, the way pandas writes a frame."""
    import pandas as pd

    rows = table.rows if positions is None else [table.rows[i] for i in positions]
    return pd.DataFrame.from_records(rows, columns=table.columns).to_csv(index=False).encode()


def frame_csv_bytes(df: Any) -> bytes:
    return df.to_csv(index=False).encode()


__all__ = [
    "Best",
    "ResultsData",
    "Samples",
    "best",
    "chart",
    "chart_text",
    "ci_table",
    "compare",
    "csv_bytes",
    "default_group_cols",
    "load",
    "load_samples",
    "select",
    "shown_frame",
]
