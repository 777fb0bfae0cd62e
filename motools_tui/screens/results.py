"""A sweep's results: the collated table, CIs by chosen parameters, a chart, exports.

pandas, the collation, CIs and chart rendering all run in worker threads; the screen only
swaps finished results in. While the sweep runs, results refresh as runs finish.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.widgets import Footer, Input, Static, TabbedContent, TabPane

from motools.status import Status
from motools_tui.components.chart_view import ChartView
from motools_tui.components.frame_table import MAX_ROWS, FrameTable
from motools_tui.polling import Polled
from motools_tui.screens.base import BaseScreen

TABS = Binding.Group("Tabs")


@dataclass(frozen=True)
class View:
    """Everything the derived tables and the chart depend on."""

    metric: str | None = None
    x_col: str | None = None
    series_col: str | None = None
    heatmap: bool = False
    group_cols: tuple[str, ...] | None = None
    sort: tuple[str, bool] | None = None
    ci_sort: tuple[str, bool] | None = None
    filter: str = ""
    chart_size: tuple[int, int] = (70, 16)


class ResultsScreen(BaseScreen):
    HELP_TITLE = "Results"
    HELP = """
Table (1): one row per run and task, the swept parameters first, then run, status, task and
the metrics. s sorts by the column under the cursor (again to reverse); / filters: plain text,
or col=value, col>0.5, col!=x joined with commas. ★ marks the best run for the chosen metric
(highest, or lowest for losses).

CI (2): mean and confidence interval of the metric for each group of runs; g chooses the
grouping parameters (by default all but seeds), and the method column says which interval
was used (t, Wilson for 0/1 outcomes; single/empty where a group has fewer than 2 runs).

Chart (3): the metric against a parameter (x), with error bars over repeated runs (seeds),
a log axis for values spanning decades (learning rates) and one series per task or per
another parameter (z). h shows a heatmap of two parameters.

e writes the table as CSV, i the CI table, p the chart as a PNG (drawn by matplotlib).
"""

    BINDINGS = [
        Binding("1", "tab('tab-table')", "Table", id="results.tab_table", group=TABS),
        Binding("2", "tab('tab-ci')", "CI", id="results.tab_ci", group=TABS),
        Binding("3", "tab('tab-chart')", "Chart", id="results.tab_chart", group=TABS),
        Binding("m", "metric", "Metric", id="results.metric", tooltip="Choose the metric"),
        Binding("x", "x_param", "X param", id="results.x_param", tooltip="Choose the chart's x parameter"),
        Binding("z", "series", "Series", id="results.series", tooltip="One chart series per parameter or task"),
        Binding("h", "heatmap", "Heatmap", id="results.heatmap", tooltip="Heatmap of two parameters (toggle)"),
        Binding("g", "group", "Group by", id="results.group", tooltip="Choose the CI grouping parameters"),
        Binding("s", "sort", "Sort", id="results.sort", tooltip="Sort by the column under the cursor (again: reverse)"),
        Binding(
            "slash",
            "filter",
            "Filter",
            id="results.filter",
            tooltip="Filter rows: text, or col=value, col>0.5",
            key_display="/",
        ),
        Binding("b", "best", "Best", id="results.best", tooltip="Jump to the best run"),
        Binding("e", "export_csv", "CSV", id="results.export_csv", tooltip="Export the results table as CSV"),
        Binding("i", "export_ci", "CI CSV", id="results.export_ci", tooltip="Export the CI table as CSV"),
        Binding("p", "export_png", "PNG", id="results.export_png", tooltip="Export the chart as PNG (matplotlib)"),
    ]

    def __init__(self, name: str) -> None:
        super().__init__()
        self.sweep_name = name
        self.results: Any = None
        self.view = View()
        self.derived: dict[str, Any] = {}
        self._finished_seen: int | None = None
        self._watcher: Any = None

    def compose(self) -> ComposeResult:
        yield Static(Content.assemble(("Results ", "bold"), self.sweep_name), id="title", classes="screen-title")
        yield Static("Loading results…", id="results-best")
        with TabbedContent(id="results-tabs", initial="tab-table"):
            with TabPane("Table 1", id="tab-table"):
                yield Input(
                    placeholder="filter: text, or col=value, col>0.5 (Enter: apply, Esc: clear)", id="results-filter"
                )
                yield FrameTable(id="results-table")
            with TabPane("CI 2", id="tab-ci"):
                yield Static("", id="ci-info")
                yield FrameTable(id="ci-table")
            with TabPane("Chart 3", id="tab-chart"):
                yield Static("", id="chart-info")
                yield ChartView(id="chart")
        yield Static("", id="results-status")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        _hide(self.query_one("#results-filter", Input))
        self.query_one("#results-table", FrameTable).focus()
        self.poll("results", self._read, self.mapp.results_interval)

    # -- loading ------------------------------------------------------------------------------
    def _read(self, force: bool) -> Any:
        from motools.status import TERMINAL
        from motools.store.watch import Watcher
        from motools_tui.core import results as core

        if self._watcher is None:
            self._watcher = Watcher(self.mapp.store_path)
        store = self.mapp.store
        if not self._watcher.changed() and not force:
            return None
        sweep = store.read.sweep(self.sweep_name) or {}
        counts = store.read.status_counts(sweep["id"]) if sweep else {}
        key = sum(n for s, n in counts.items() if s in TERMINAL), sweep.get("status")
        if key == self._finished_seen and not force:
            return None
        self._finished_seen = key
        return core.load(store, self.sweep_name)

    def on_polled(self, message: Polled) -> None:
        if message.key != "results":
            return
        r = message.result
        self.results = r
        v = self.view
        metric = v.metric if v.metric in r.metric_cols else (r.metric_cols[0] if r.metric_cols else None)
        x_col = v.x_col if v.x_col in r.param_cols else (r.param_cols[0] if r.param_cols else None)
        group = v.group_cols
        if group is None or any(g not in (*r.param_cols, "task") for g in group):
            from motools_tui.core.results import default_group_cols

            group = tuple(default_group_cols(r))
        self.view = replace(v, metric=metric, x_col=x_col, group_cols=group)
        self._derive()

    def _derive(self, chart_only: bool = False) -> None:
        if self.results is None:
            return
        results, view = self.results, self.view

        def compute() -> dict[str, Any]:
            from motools_tui.core import results as core

            out: dict[str, Any] = {"view": view}
            if not chart_only:
                df = results.df
                try:
                    df = core.filter_frame(df, view.filter)
                    out["filter_error"] = None
                except ValueError as exc:
                    out["filter_error"] = str(exc)
                if view.sort:
                    df = core.sort_frame(df, *view.sort)
                out["table"] = df
                out["best"] = core.best_index(df[df["status"] == Status.FINISHED], view.metric) if view.metric else None
                out["best_text"] = core.best_text(results, view.metric) if view.metric else "no metrics yet"
                if view.metric:
                    try:
                        ci = core.ci_table(results, view.metric, list(view.group_cols or ()))
                        if view.ci_sort:
                            ci = core.sort_frame(ci, *view.ci_sort)
                        out["ci"] = ci
                        out["ci_best"] = core.best_index(ci, "mean") if not ci.empty else None
                        out["ci_error"] = None
                    except ValueError as exc:
                        out["ci"], out["ci_best"], out["ci_error"] = None, None, str(exc)
            out["chart"], out["chart_text"], out["chart_error"] = None, "", None
            if view.metric and view.x_col:
                try:
                    heat_y = _heat_y(results, view) if view.heatmap else None
                    chart = core.chart(results, view.metric, view.x_col, view.series_col, heat_y)
                    out["chart"] = chart
                    out["chart_text"] = core.chart_text(chart, *view.chart_size)
                except ValueError as exc:
                    out["chart_error"] = str(exc)
            return out

        # Tables and chart in separate groups: a resize (chart only) never cancels the tables.
        self.in_thread(
            compute, done=self._show, group="derive-chart" if chart_only else "derive-tables", exclusive=True
        )

    def _show(self, out: dict[str, Any]) -> None:
        view: View = out["view"]
        r = self.results
        current = self.view
        if replace(view, chart_size=current.chart_size) != current:
            return  # computed for settings since changed; the newer result is on its way
        if view.chart_size != current.chart_size:
            out = {k: v for k, v in out.items() if k not in ("chart", "chart_text", "chart_error")}
            if "table" not in out:
                return  # a chart for the current size is on its way
        if "table" in out:
            self.derived.update(out)
            table = self.query_one("#results-table", FrameTable)
            table.show(out["table"], sort=view.sort, best=out["best"])
            finished = f"{r.n_finished}/{r.n_runs} runs finished"
            status = f" · sweep {r.sweep_status}" if r.sweep_status else ""
            if out.get("filter_error"):
                self.notify(out["filter_error"], title="Filter", severity="error")
            shown = f" · {len(out['table'])} of {len(r.df)} rows" if view.filter else ""
            if len(out["table"]) > MAX_ROWS:
                shown += f" · table shows the first {MAX_ROWS} (sort or filter for others; exports have all)"
            self.query_one("#results-best", Static).update(
                Content.assemble((f"{finished}{status}{shown}\n", "dim"), ("★ " + out["best_text"], "bold"))
            )
            ci_info = self.query_one("#ci-info", Static)
            ci_table = self.query_one("#ci-table", FrameTable)
            if out.get("ci") is not None:
                ci = out["ci"]
                methods = sorted(set(map(str, ci["method"]))) if "method" in ci and len(ci) else []
                conf = f"{float(ci['confidence'].iloc[0]) * 100:g}%" if len(ci) else "95%"
                groups = ", ".join(view.group_cols or ()) or "(all runs)"
                ci_info.update(
                    Content.assemble(
                        (f"{view.metric}", "bold"),
                        f" by {groups} · {conf} interval · method: ",
                        (", ".join(methods) or "-", "bold"),
                        ("   (g: group by, m: metric)", "dim"),
                    )
                )
                ci_table.show(ci, sort=view.ci_sort, best=out.get("ci_best"))
            else:
                ci_info.update(out.get("ci_error") or "No finished runs yet: the CI table fills in as runs finish.")
                ci_table.clear(columns=True)
        else:
            self.derived.update({k: out[k] for k in ("view", "chart", "chart_text", "chart_error")})
        if "chart_text" not in out:
            self.mapp.screen_ready("results")
            return
        info = self.query_one("#chart-info", Static)
        chart = self.query_one(ChartView)
        if out.get("chart_error") or out.get("chart") is None:
            info.update(out.get("chart_error") or "Nothing to chart yet.")
            chart.show_text("")
        else:
            c = out["chart"]
            kind = "heatmap" if c.kind == "heatmap" else f"{len(c.series)} series" + (", log x" if c.x_log else "")
            series = f" · series: {view.series_col}" if view.series_col else ""
            info.update(
                Content.assemble(
                    (c.title, "bold"),
                    f" · {kind}{series}",
                    ("   (m metric, x param, z series, h heatmap, p PNG)", "dim"),
                )
            )
            chart.show_text(out["chart_text"])
        self.mapp.screen_ready("results")

    def on_chart_view_resized(self, message: ChartView.Resized) -> None:
        size = (message.width, message.height)
        if size != self.view.chart_size:
            self.view = replace(self.view, chart_size=size)
            self._derive(chart_only=True)

    # -- actions ------------------------------------------------------------------------------
    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
        target = {"tab-table": "#results-table", "tab-ci": "#ci-table", "tab-chart": "#chart"}[tab]
        self.query_one(target).focus()

    def _need(self) -> bool:
        if self.results is None or not self.results.metric_cols:
            self.notify("No results yet", severity="warning")
            return False
        return True

    def _choose(self, title: str, options: list[str], current: Any, apply: Any, multiple: bool = False) -> None:
        from motools_tui.modals.choose import ChooseModal

        selected = list(current) if multiple else ([current] if current else [])
        self.app.push_screen(
            ChooseModal(title, options, multiple=multiple, selected=selected),
            lambda value: apply(value) if value is not None else None,
        )

    def action_metric(self) -> None:
        if self._need():
            self._choose("Metric", self.results.metric_cols, self.view.metric, lambda m: self._set(metric=m))

    def action_x_param(self) -> None:
        if self._need():
            self._choose(
                "Chart x: parameter",
                self.results.param_cols,
                self.view.x_col,
                lambda x: self._set(x_col=x, series_col=None if self.view.series_col == x else self.view.series_col),
            )

    def action_series(self) -> None:
        if not self._need():
            return
        options = ["(none)", *[c for c in self.results.param_cols if c != self.view.x_col]]
        if len(self.results.tasks) > 1:
            options.append("task")
        self._choose(
            "One series per",
            options,
            self.view.series_col or "(none)",
            lambda s: self._set(series_col=None if s == "(none)" else s, heatmap=False),
        )

    def action_heatmap(self) -> None:
        if not self._need():
            return
        if len(self.results.param_cols) < 2:
            self.notify("A heatmap needs a sweep over two parameters", severity="warning")
            return
        self._set(heatmap=not self.view.heatmap)
        self.action_tab("tab-chart")

    def action_group(self) -> None:
        if self._need():
            options = list(self.results.param_cols) + (["task"] if len(self.results.tasks) > 1 else [])
            self._choose(
                "Group CIs by (space toggles)",
                options,
                self.view.group_cols or (),
                lambda g: self._set(group_cols=tuple(g)),
                multiple=True,
            )

    def _set(self, **changes: Any) -> None:
        self.view = replace(self.view, **changes)
        self._derive()

    def action_sort(self) -> None:
        active = self.query_one(TabbedContent).active
        if active == "tab-chart":
            return
        table_id, attr = ("#ci-table", "ci_sort") if active == "tab-ci" else ("#results-table", "sort")
        col = self.query_one(table_id, FrameTable).column_at_cursor
        if col is None:
            return
        current = getattr(self.view, attr)
        desc = not current[1] if current and current[0] == col else False
        self._set(**{attr: (col, desc)})

    def action_filter(self) -> None:
        self.action_tab("tab-table")
        inp = self.query_one("#results-filter", Input)
        inp.disabled = False
        inp.display = True
        inp.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "results-filter":
            event.stop()
            if not event.value.strip():
                _hide(event.input)
            self._set(filter=event.value)
            self.query_one("#results-table", FrameTable).focus()

    def action_back(self) -> None:
        inp = self.query_one("#results-filter", Input)
        if inp.display:
            inp.value = ""
            _hide(inp)
            self._set(filter="")
            self.query_one("#results-table", FrameTable).focus()
            return
        super().action_back()

    def action_best(self) -> None:
        best = self.derived.get("best")
        table = self.derived.get("table")
        if best is None or table is None:
            self.notify("No best run yet", severity="warning")
            return
        self.action_tab("tab-table")
        row = list(table.index).index(best)
        if row >= MAX_ROWS:
            self.notify(
                "The best run is past the rows shown: sort by the metric (s) to bring it up", severity="warning"
            )
            return
        self.query_one("#results-table", FrameTable).move_cursor(row=row)

    def _export(self, title: str, default: str, suffixes: tuple[str, ...], write: Any) -> None:
        from motools_tui.modals.path_dialog import PathDialog

        def answered(path: str | None) -> None:
            if path:
                self.in_thread(write, path, done=self._written)

        self.app.push_screen(PathDialog(title, default, suffixes=suffixes, action="write"), answered)

    def _written(self, path: Any) -> None:
        self.query_one("#results-status", Static).update(Content.assemble(("✓ wrote ", "$success"), str(path)))
        self.notify(f"Wrote {path}", title="Exported", timeout=10)

    def action_export_csv(self) -> None:
        table = self.derived.get("table")
        if table is None:
            self.notify("No results yet", severity="warning")
            return
        from motools_tui.core.results import export_csv

        self._export(
            "Export the results table as CSV", f"{self.sweep_name}.csv", (".csv",), lambda p: export_csv(table, p)
        )

    def action_export_ci(self) -> None:
        ci = self.derived.get("ci")
        if ci is None:
            self.notify("No CI table yet", severity="warning")
            return
        from motools_tui.core.results import export_csv

        self._export("Export the CI table as CSV", f"{self.sweep_name}-ci.csv", (".csv",), lambda p: export_csv(ci, p))

    def action_export_png(self) -> None:
        chart = self.derived.get("chart")
        if chart is None:
            self.notify("No chart yet", severity="warning")
            return
        from motools_tui.core.results import export_png

        self._export(
            "Export the chart as PNG (matplotlib)",
            f"{self.sweep_name}.png",
            (".png", ".svg", ".pdf"),
            lambda p: export_png(chart, p),
        )

    def on_unmount(self) -> None:
        super().on_unmount()
        if self._watcher is not None:
            self._watcher.close()


def _heat_y(results: Any, view: View) -> str | None:
    others = [c for c in results.param_cols if c != view.x_col]
    if view.series_col in others:
        return view.series_col
    return others[0] if others else None


def _hide(widget: Any) -> None:
    """Hide a filter field and keep focus from landing on it while hidden."""
    widget.display = False
    widget.disabled = True
