"""The results screen's Compare tab: each setting against a baseline, paired on the same
samples (``compare_configs``): difference, interval, p-value and Holm-adjusted p-value."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.content import Content
from textual.widgets import Static, TabPane

from motools_tui.components.virtual_table import VirtualTable
from motools_tui.core.table import TableData


class CompareTab(TabPane):
    def __init__(self, title: str, *, id: str) -> None:
        super().__init__(title, id=id)

    def compose(self) -> ComposeResult:
        yield Static("", id="compare-info", classes="tab-info")
        yield VirtualTable(id="compare-table")

    @property
    def table(self) -> VirtualTable:
        return self.query_one("#compare-table", VirtualTable)

    def show(self, info: Content, data: TableData | None, marks: dict[int, str] | None = None) -> None:
        self.query_one("#compare-info", Static).update(info)
        if data is None:
            self.table.clear()
        else:
            self.table.show(data, None, marks=marks or {})
