"""A sweep's results: the table of every run, CIs by chosen parameters, a chart, paired
comparisons, and exports.

The table comes straight from the read model (no pandas), so it shows at once and every row
of a 10,000-run sweep is reachable; filtering and sorting run over all rows in a thread. The
analysis (best setting, intervals, chart, comparisons) runs in worker threads on the rows the
table's filter keeps; the screen only swaps finished results into its state
(:class:`~motools_tui.core.results.ResultsState`). While the sweep runs, results refresh as
runs finish.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.widgets import Input, Static, TabbedContent

from motools.text import safe_text
from motools_tui.components.chart_tab import ChartTab
from motools_tui.components.chart_view import ChartView
from motools_tui.components.ci_tab import CITab
from motools_tui.components.compare_tab import CompareTab
from motools_tui.components.key_bar import KeyBar
from motools_tui.components.table_tab import TableTab
from motools_tui.components.virtual_table import VirtualTable
from motools_tui.context import AppContext
from motools_tui.core import results as core
from motools_tui.core.results import ResultsData, ResultsState, View
from motools_tui.core.table import TableData, sort_rows
from motools_tui.messages import Polled
from motools_tui.screens.base import BaseScreen

TABS = Binding.Group("Tabs")
TAB_IDS = ("tab-table", "tab-ci", "tab-chart", "tab-compare")
COMPARE_SHOWN = ("n_pairs", "mean", "baseline_mean", "diff", "lower_bound", "upper_bound", "p_value", "p_holm")


class ResultsScreen(BaseScreen):
    HELP_TITLE = "Results"
    HELP = """
Table (1): one row per run and task, the swept parameters first, then run, status, task and
the metrics. s sorts by the column under the cursor (again to reverse); / filters: plain text,
or col=value, col>0.5, col!=x joined with commas. The CI, Chart and Compare tabs use the rows
the filter keeps. ★ marks the runs of the best setting for the chosen metric (best_setting:
the best mean, seeds pooled), ☆ the settings not distinguishable from it; b jumps to it.

CI (2): mean and confidence interval of the metric for each group of runs; g chooses the
grouping parameters (by default all but seeds), and the method column says which interval was
used (docs/analysis.md has the table).

Chart (3): the metric against a parameter (x), with intervals over seeds, a log axis for values
spanning decades (learning rates), one colour and marker per series with a legend (z picks
the series). h shows a heatmap of two parameters, with its shade scale under it.

Compare (4): each setting (of the g parameters) against a baseline, paired on the same
samples: difference, interval, p-value and Holm-adjusted p-value. The baseline is the best
mean; Enter on a row makes that setting the baseline.

e writes the current tab (table or CI as CSV, the chart as PNG/SVG/PDF, the comparison as
CSV); i writes the CI table, p the chart. Existing files are replaced only after you confirm.
"""
    KEY_PRIORITY = (
        "results.tab_table",
        "results.metric",
        "results.export",
        "results.filter",
        "results.group",
        "results.sort",
        "results.best",
        "results.x_param",
        "results.series",
        "results.heatmap",
        "results.export_ci",
        "results.export_png",
    )

    BINDINGS = [
        Binding("1", "tab('tab-table')", "Table", id="results.tab_table", group=TABS),
        Binding("2", "tab('tab-ci')", "CI", id="results.tab_ci", group=TABS),
        Binding("3", "tab('tab-chart')", "Chart", id="results.tab_chart", group=TABS),
        Binding("4", "tab('tab-compare')", "Compare", id="results.tab_compare", group=TABS),
        Binding("m", "metric", "Metric", id="results.metric", tooltip="Choose the metric"),
        Binding("e", "export", "Export", id="results.export", tooltip="Write the current tab to a file"),
        Binding(
            "slash",
            "filter",
            "Filter",
            id="results.filter",
            tooltip="Filter rows: text, or col=value, col>0.5",
            key_display="/",
        ),
        Binding("g", "group", "Group by", id="results.group", tooltip="Choose the parameters CIs and comparisons use"),
        Binding("s", "sort", "Sort", id="results.sort", tooltip="Sort by the column under the cursor (again: reverse)"),
        Binding("b", "best", "Best", id="results.best", tooltip="Jump to the best setting's first run"),
        Binding("x", "x_param", "X param", id="results.x_param", tooltip="Choose the chart's x parameter"),
        Binding("z", "series", "Series", id="results.series", tooltip="One chart series per parameter or task"),
        Binding("h", "heatmap", "Heatmap", id="results.heatmap", tooltip="Heatmap of two parameters (toggle)"),
        Binding("i", "export_ci", "CI CSV", id="results.export_ci", tooltip="Write the CI table as CSV"),
        Binding("p", "export_png", "PNG", id="results.export_png", tooltip="Write the chart as PNG (matplotlib)"),
    ]

    def __init__(self, ctx: AppContext, name: str) -> None:
        super().__init__(ctx)
        self.sweep_name = name
        self.state = ResultsState()
        self._finished_seen: Any = None
        self._samples: tuple[Any, core.Samples] | None = None
        self._compare_wanted = False

    def compose(self) -> ComposeResult:
        yield Static(
            Content.assemble(("Results ", "bold"), safe_text(self.sweep_name)), id="title", classes="screen-title"
        )
        yield Static("Loading results…", id="results-best")
        with TabbedContent(id="results-tabs", initial="tab-table"):
            yield TableTab("Table 1", id="tab-table")
            yield CITab("CI 2", id="tab-ci")
            yield ChartTab("Chart 3", id="tab-chart")
            yield CompareTab("Compare 4", id="tab-compare")
        yield Static("", id="results-status")
        yield KeyBar(self.KEY_PRIORITY)

    def on_mount(self) -> None:
        tab = self.query_one(TableTab)
        tab.close_filter()
        self.query_one(CITab).table.clear("Computing intervals…")
        self.query_one(CompareTab).table.clear("Open this tab to compare settings on their samples.")
        tab.table.focus()
        self.poll(self._read, Polled.Results, self.ctx.settings.results_interval)

    # -- loading ------------------------------------------------------------------------------
    def _read(self, force: bool) -> tuple[ResultsData, View, list[int], str | None] | None:
        """The table, read again when runs finished, with its rows selected for the current
        filter and sort (here, so the table shows without waiting for another thread)."""
        data = self._load(force)
        if data is None:
            return None
        return self._select(data, self.state.view)

    def _load(self, force: bool) -> ResultsData | None:
        from motools.status import TERMINAL
        from motools.store.watch import Watcher

        watcher = self.own_watcher(Watcher)
        with watcher.lock:
            if not watcher.changed() and not force:
                return None
            read = watcher.read
            sweep = read.sweep(self.sweep_name)
            if sweep is None:
                raise ValueError(f"no sweep named {self.sweep_name!r}")
            counts = read.status_counts(sweep["id"])
            key = sum(n for s, n in counts.items() if s in TERMINAL), sweep.get("status")
            if key == self._finished_seen and not force:
                return None
            self._finished_seen = key
            return core.load(read, self.sweep_name)

    def on_polled_results(self, message: Polled.Results) -> None:
        data, selected_for, order, error = message.data
        st = self.state
        v = st.view
        metric = v.metric if v.metric in data.metric_cols else (data.metric_cols[0] if data.metric_cols else None)
        x_col = v.x_col if v.x_col in data.param_cols else (data.param_cols[0] if data.param_cols else None)
        group = v.group_cols
        if group is None or any(g not in (*data.param_cols, "task") for g in group):
            group = tuple(core.default_group_cols(data))
        st.data = data
        st.view = replace(v, metric=metric, x_col=x_col, group_cols=group)
        if (selected_for.filter, selected_for.sort) == (v.filter, v.sort):
            self._selected((data, st.view, order, error))
        else:
            self._derive(table=True)
        # The analysis imports pandas and friends: started once the table shows, so it never
        # delays it.
        self._derive(analysis=True, chart=True, compare=True)

    # -- deriving -----------------------------------------------------------------------------
    def _derive(
        self, *, table: bool = False, analysis: bool = False, chart: bool = False, compare: bool = False
    ) -> None:
        data, view = self.state.data, self.state.view
        if data is None:
            return
        if table:
            self.in_thread(self._select, data, view, done=self._selected, group="results-table", exclusive=True)
        if analysis:
            if view.metric:
                self.in_thread(self._analyse, data, view, done=self._analysed, group="results-ci", exclusive=True)
            else:
                self._analysed((data, view, None, None, None, "no metrics yet"))
        if chart:
            self.in_thread(self._chart, data, view, done=self._charted, group="results-chart", exclusive=True)
        if compare and (self._compare_wanted or self._active == "tab-compare"):
            self._compare_wanted = True
            self.in_thread(self._compare, data, view, done=self._compared, group="results-compare", exclusive=True)

    @property
    def _active(self) -> str:
        return self.query_one(TabbedContent).active

    def _current(self, data: ResultsData, view: View, *fields: str) -> bool:
        """Whether a result computed for (``data``, ``view``) still matches what is shown."""
        now = self.state.view
        return data is self.state.data and all(getattr(now, f) == getattr(view, f) for f in fields)

    @staticmethod
    def _positions(data: ResultsData, view: View) -> list[int] | None:
        try:
            return core.select(data, view.filter) if view.filter else None
        except ValueError:
            return None

    # table ------------------------------------------------------------------------------------
    def _select(self, data: ResultsData, view: View) -> tuple[ResultsData, View, list[int], str | None]:
        try:
            return data, view, core.select(data, view.filter, view.sort), None
        except ValueError as exc:
            return data, view, core.select(data, "", view.sort), str(exc)

    def _selected(self, result: tuple[ResultsData, View, list[int], str | None]) -> None:
        data, view, order, error = result
        if not self._current(data, view, "filter", "sort"):
            return
        st = self.state
        st.order, st.filter_error = order, error
        if error:
            self.notify(error, title="Filter", severity="error")
        self._show_table()
        self._show_summary()
        self.ready("results")

    def _marks(self) -> dict[int, str]:
        st = self.state
        if st.best is None or st.data is None:
            return {}
        best, close = st.best.rows(st.data.table)
        return {**dict.fromkeys(close, "☆"), **dict.fromkeys(best, "★")}

    def _show_table(self) -> None:
        st = self.state
        if st.data is None or st.order is None:
            return
        self.query_one(TableTab).show(st.data.table, st.order, self._marks(), st.view.sort)

    def _show_summary(self) -> None:
        st = self.state
        data = st.data
        if data is None:
            return
        status = f" · sweep {data.sweep_status}" if data.sweep_status else ""
        rows = f" · {st.shown_rows} of {len(data.table)} rows"
        if st.view.filter and not st.filter_error:
            rows += f" (filter: {st.view.filter})"
        head = f"{data.n_finished}/{data.n_runs} runs finished{status}{rows}"
        if st.best is not None:
            best: str | tuple[str, str] = ("★ " + st.best.text, "bold")
        else:
            best = st.best_error or "best: computing…"
        self.query_one("#results-best", Static).update(Content.assemble((head + "\n", "dim"), best))

    # best and CI ------------------------------------------------------------------------------
    def _analyse(self, data: ResultsData, view: View) -> tuple[Any, ...]:
        assert view.metric is not None
        df = core.shown_frame(data, self._positions(data, view))
        try:
            best = core.best(df, view.metric, data.param_cols)
            best_error = None if best is not None else "best: - (no finished run among the rows shown)"
        except ValueError as exc:
            best, best_error = None, f"best: {exc}"
        try:
            ci = core.ci_table(df, view.metric, list(view.group_cols or ()))
            table = TableData.from_frame(ci)
            ci_result: Any = (ci, table)
        except ValueError as exc:
            ci_result = str(exc)
        return data, view, best, best_error, ci_result, None

    def _analysed(self, result: tuple[Any, ...]) -> None:
        data, view, best, best_error, ci_result, note = result
        if not self._current(data, view, "filter", "metric", "group_cols"):
            return
        st = self.state
        st.best, st.best_error = best, best_error or note
        if isinstance(ci_result, tuple):
            st.ci_frame, st.ci = ci_result
            st.ci_error = None
            methods = sorted({str(m) for m in st.ci_frame["method"]}) if len(st.ci_frame) else []
            st.ci_method = ", ".join(methods) or "-"
        else:
            st.ci_frame, st.ci = None, None
            st.ci_error = ci_result or note
        self._show_ci()
        self._show_table()
        self._show_summary()

    def _show_ci(self) -> None:
        st = self.state
        tab = self.query_one(CITab)
        view = st.view
        if st.ci is None:
            tab.show(Content(st.ci_error or "No finished runs yet: the CI table fills in as runs finish."), None)
            return
        conf = f"{float(st.ci_frame['confidence'].iloc[0]) * 100:g}%" if len(st.ci_frame) else "95%"
        groups = ", ".join(view.group_cols or ()) or "(all runs)"
        shown = f" · {st.shown_rows} rows" if view.filter else ""
        info = Content.assemble(
            (f"{view.metric}", "bold"),
            f" by {groups} · {conf} interval · method: ",
            (st.ci_method, "bold"),
            shown,
            ("   (g group by)", "dim"),
        )
        order = sort_rows(st.ci, range(len(st.ci)), view.ci_sort) if view.ci_sort else None
        marks: dict[int, str] = {}
        if st.best is not None:
            best, close = st.best.rows(st.ci)
            marks = {**dict.fromkeys(close, "☆"), **dict.fromkeys(best, "★")}
        tab.show(info, st.ci, order, marks, view.ci_sort)

    # chart ------------------------------------------------------------------------------------
    def _chart(self, data: ResultsData, view: View) -> tuple[Any, ...]:
        if not view.metric or not view.x_col:
            return data, view, None, "", "Nothing to chart yet."
        try:
            df = core.shown_frame(data, self._positions(data, view))
            heat_y = _heat_y(data, view) if view.heatmap else None
            chart = core.chart(
                df, view.metric, view.x_col, data.param_cols, view.series_col, heat_y, len(data.tasks) > 1
            )
            return data, view, chart, core.chart_text(chart, *view.chart_size), None
        except ValueError as exc:
            return data, view, None, "", str(exc)

    def _charted(self, result: tuple[Any, ...]) -> None:
        data, view, chart, text, error = result
        fields = ("filter", "metric", "x_col", "series_col", "heatmap", "chart_size")
        if not self._current(data, view, *fields):
            return
        st = self.state
        st.chart, st.chart_text, st.chart_error = chart, text, error
        tab = self.query_one(ChartTab)
        if chart is None:
            tab.show(Content(error or "Nothing to chart yet."), "")
            return
        kind = (
            "heatmap" if chart.kind == "heatmap" else f"{len(chart.series)} series" + (", log x" if chart.x_log else "")
        )
        series = f" · series: {view.series_col}" if view.series_col else ""
        shown = f" · {st.shown_rows} rows" if view.filter else ""
        tab.show(
            Content.assemble(
                (safe_text(chart.title), "bold"),
                f" · {kind}{series}{shown}",
                ("   (x param · z series · h heatmap)", "dim"),
            ),
            text,
        )

    def on_chart_view_resized(self, message: ChartView.Resized) -> None:
        size = (message.width, message.height)
        if size != self.state.view.chart_size:
            self.state.view = replace(self.state.view, chart_size=size)
            self._derive(chart=True)

    # compare ----------------------------------------------------------------------------------
    def _compare(self, data: ResultsData, view: View) -> tuple[Any, ...]:
        key = (data.n_finished, data.sweep_status, len(data.table))
        if self._samples is None or self._samples[0] != key:
            self._samples = (key, core.load_samples(self.ctx.store.open(), self.sweep_name))
        samples = self._samples[1]
        if not samples.score_cols:
            return data, view, None, None, None, "No per-sample scores in this sweep's results."
        value = view.metric if view.metric in samples.score_cols else samples.score_cols[0]
        by = [c for c in (view.group_cols or ()) if c != "task"]
        positions = self._positions(data, view)
        runs = None
        if positions is not None:
            run_col = data.table.index("run")
            runs = {data.table.rows[i][run_col] for i in positions}
        try:
            frame, baseline = core.compare(samples, runs, value, by, dict(view.baseline) if view.baseline else None)
        except ValueError as exc:
            return data, view, None, None, value, str(exc)
        return data, view, frame, baseline, value, None

    def _compared(self, result: tuple[Any, ...]) -> None:
        data, view, frame, baseline, value, error = result
        if not self._current(data, view, "filter", "metric", "group_cols", "baseline"):
            return
        st = self.state
        tab = self.query_one(CompareTab)
        st.compare_frame, st.compare_baseline, st.compare_value, st.compare_error = frame, baseline, value, error
        if frame is None:
            st.compare = None
            tab.show(Content(error or "Nothing to compare."), None)
            return
        by = [c for c in (view.group_cols or ()) if c != "task"]
        lead = [c for c in frame.columns if c == "task"]
        shown = frame[[*lead, *by, *COMPARE_SHOWN, "method"]].copy()
        level = 1 - float(frame["confidence"].iloc[0]) if len(frame) else 0.05
        shown["differs"] = ["yes" if p < level else "no" for p in frame["p_holm"]]
        st.compare = TableData.from_frame(shown)
        conf = f"{(1 - level) * 100:g}%"
        info = Content.assemble(
            (value or "", "bold"),
            ": each setting − baseline ",
            (core.describe_setting(baseline or {}), "bold"),
            ", paired on the same samples\n",
            f"{conf} intervals, p Holm-adjusted over {len(frame)} comparison(s)",
            ("   (Enter on a row: its setting becomes the baseline)", "dim"),
        )
        tab.show(info, st.compare)

    def on_virtual_table_selected(self, message: VirtualTable.Selected) -> None:
        st = self.state
        if message.table.id != "compare-table" or st.compare is None or st.compare_frame is None:
            return
        message.stop()
        by = [c for c in (st.view.group_cols or ()) if c != "task"]
        row = st.compare_frame.iloc[message.position]
        self._set(baseline=tuple((c, core.plain(row[c])) for c in by))

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id == "tab-compare" and not self._compare_wanted:
            self._compare_wanted = True
            self.query_one(CompareTab).table.clear("Comparing settings on their samples…")
            self._derive(compare=True)

    # -- actions ------------------------------------------------------------------------------
    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
        target = {
            "tab-table": "#results-table",
            "tab-ci": "#ci-table",
            "tab-chart": "#chart",
            "tab-compare": "#compare-table",
        }[tab]
        self.query_one(target).focus()

    def _need(self) -> bool:
        data = self.state.data
        if data is None or not data.metric_cols:
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

    def _set(self, **changes: Any) -> None:
        before = self.state.view
        view = self.state.view = replace(before, **changes)
        if "group_cols" in changes and changes["group_cols"] != before.group_cols:
            view = self.state.view = replace(view, baseline=None)
        table = view.filter != before.filter or view.sort != before.sort
        analysis = any(getattr(view, f) != getattr(before, f) for f in ("filter", "metric", "group_cols", "ci_sort"))
        chart = any(
            getattr(view, f) != getattr(before, f) for f in ("filter", "metric", "x_col", "series_col", "heatmap")
        )
        compare = any(getattr(view, f) != getattr(before, f) for f in ("filter", "metric", "group_cols", "baseline"))
        if view.ci_sort != before.ci_sort and not analysis:
            self._show_ci()
        self._derive(table=table, analysis=analysis, chart=chart, compare=compare)

    def action_metric(self) -> None:
        if self._need():
            self._choose("Metric", self.state.data.metric_cols, self.state.view.metric, lambda m: self._set(metric=m))

    def action_x_param(self) -> None:
        if self._need():
            v = self.state.view
            self._choose(
                "Chart x: parameter",
                self.state.data.param_cols,
                v.x_col,
                lambda x: self._set(x_col=x, series_col=None if v.series_col == x else v.series_col),
            )

    def action_series(self) -> None:
        if not self._need():
            return
        data, v = self.state.data, self.state.view
        options = ["(none)", *[c for c in data.param_cols if c != v.x_col]]
        if len(data.tasks) > 1:
            options.append("task")
        self._choose(
            "One series per",
            options,
            v.series_col or "(none)",
            lambda s: self._set(series_col=None if s == "(none)" else s, heatmap=False),
        )

    def action_heatmap(self) -> None:
        if not self._need():
            return
        if len(self.state.data.param_cols) < 2:
            self.notify("A heatmap needs a sweep over two parameters", severity="warning")
            return
        self._set(heatmap=not self.state.view.heatmap)
        self.action_tab("tab-chart")

    def action_group(self) -> None:
        if self._need():
            data = self.state.data
            options = list(data.param_cols) + (["task"] if len(data.tasks) > 1 else [])
            self._choose(
                "Group CIs and comparisons by",
                options,
                self.state.view.group_cols or (),
                lambda g: self._set(group_cols=tuple(g)),
                multiple=True,
            )

    def action_sort(self) -> None:
        active = self._active
        if active in ("tab-chart", "tab-compare"):
            return
        table, attr = (
            (self.query_one(CITab).table, "ci_sort") if active == "tab-ci" else (self.query_one(TableTab).table, "sort")
        )
        col = table.column_at_cursor
        if col is None:
            return
        current = getattr(self.state.view, attr)
        desc = not current[1] if current and current[0] == col else False
        self._set(**{attr: (col, desc)})

    def action_filter(self) -> None:
        self.action_tab("tab-table")
        self.query_one(TableTab).open_filter()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "results-filter":
            event.stop()
            tab = self.query_one(TableTab)
            if not event.value.strip():
                tab.close_filter()
            tab.table.focus()
            self._set(filter=event.value.strip())

    def action_back(self) -> None:
        tab = self.query_one(TableTab)
        if tab.filter_input.display:
            tab.filter_input.value = ""
            tab.close_filter()
            self._set(filter="")
            return
        super().action_back()

    def action_best(self) -> None:
        st = self.state
        if st.best is None or st.data is None or st.order is None:
            self.notify("No best setting yet", severity="warning")
            return
        best, _ = st.best.rows(st.data.table)
        first = next((i for i in st.order if i in best), None)
        if first is None:
            self.notify("The best setting's runs are filtered out (Esc clears the filter)", severity="warning")
            return
        self.action_tab("tab-table")
        self.query_one(TableTab).table.move_to_position(first)

    # exports ----------------------------------------------------------------------------------
    def _export(self, title: str, default: str, suffixes: tuple[str, ...], write: Any) -> None:
        from motools_tui.modals.export import export_file

        export_file(self, title, default, suffixes, write, done=self._written, failed=self._not_written)

    def _written(self, path: Path) -> None:
        self.query_one("#results-status", Static).update(Content.assemble(("✓ wrote ", "$success"), str(path)))

    def _not_written(self, exc: BaseException) -> None:
        self.query_one("#results-status", Static).update(
            Content.assemble(("✗ not written: ", "$error"), safe_text(str(exc)))
        )

    def action_export(self) -> None:
        active = self._active
        if active == "tab-ci":
            self.action_export_ci()
        elif active == "tab-chart":
            self.action_export_png()
        elif active == "tab-compare":
            self._export_compare()
        else:
            self._export_table()

    def _export_csv(self, what: str, name: str, data: Any) -> None:
        """Write ``data`` (CSV bytes, or a callable making them in the export's thread)."""
        if data is None:
            self.notify(f"No {what} yet", severity="warning")
            return

        def write(path: Path, force: bool, make_dirs: bool) -> Path:
            from motools.fileio import write_file

            payload = data() if callable(data) else data
            return write_file(path, lambda fh: fh.write(payload), force=force, make_dirs=make_dirs)

        self._export(f"Write the {what} as CSV", name, (".csv",), write)

    def _export_table(self) -> None:
        st = self.state
        table, order = (st.data.table, list(st.order)) if st.data and st.order is not None else (None, None)
        self._export_csv(
            "results table (rows shown)", f"{self.sweep_name}.csv", table and (lambda: core.csv_bytes(table, order))
        )

    def action_export_ci(self) -> None:
        st = self.state
        frame = st.ci_frame
        csv = None if frame is None else (lambda: core.frame_csv_bytes(frame))
        self._export_csv("CI table", f"{self.sweep_name}-ci-{st.view.metric}.csv", csv)

    def _export_compare(self) -> None:
        st = self.state
        frame = st.compare_frame
        csv = None if frame is None else (lambda: core.frame_csv_bytes(frame))
        self._export_csv("comparison", f"{self.sweep_name}-compare-{st.compare_value}.csv", csv)

    def action_export_png(self) -> None:
        st = self.state
        if st.chart is None:
            self.notify("No chart yet", severity="warning")
            return
        chart, view = st.chart, st.view
        if chart.kind == "heatmap":
            name = f"{self.sweep_name}-{view.metric}-heatmap-{view.x_col}-{_heat_y(st.data, view)}.png"
        else:
            name = f"{self.sweep_name}-{view.metric}-vs-{view.x_col}.png"

        def write(path: Path, force: bool, make_dirs: bool) -> Path:
            from motools.analysis.export import save_figure
            from motools.analysis.render_matplotlib import draw_matplotlib

            return save_figure(draw_matplotlib(chart), path, force=force, make_dirs=make_dirs)

        self._export("Write the chart (PNG, SVG or PDF; drawn by matplotlib)", name, (".png", ".svg", ".pdf"), write)


def _heat_y(data: Any, view: View) -> str | None:
    others = [c for c in data.param_cols if c != view.x_col]
    if view.series_col in others:
        return view.series_col
    return others[0] if others else None
