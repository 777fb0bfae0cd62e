"""The results screen's Chart tab: the metric against a parameter (or a heatmap of two), drawn
by plotext in 16 colours with a legend (or a shade scale), over the rows the table shows."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.content import Content
from textual.widgets import Static, TabPane

from motools_tui.components.chart_view import ChartView


class ChartTab(TabPane):
    def __init__(self, title: str, *, id: str) -> None:
        super().__init__(title, id=id)

    def compose(self) -> ComposeResult:
        yield Static("", id="chart-info", classes="tab-info")
        yield ChartView(id="chart")

    @property
    def view(self) -> ChartView:
        return self.query_one(ChartView)

    def show(self, info: Content, text: str) -> None:
        self.query_one("#chart-info", Static).update(info)
        self.view.show_text(text)
