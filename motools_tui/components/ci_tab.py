"""The results screen's CI tab: mean and interval of the metric per group of the rows the table
shows (``compute_ci_df``; the method column says which interval)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.content import Content
from textual.widgets import Static, TabPane

from motools_tui.components.virtual_table import VirtualTable
from motools_tui.core.table import TableData


class CITab(TabPane):
    def __init__(self, title: str, *, id: str) -> None:
        super().__init__(title, id=id)

    def compose(self) -> ComposeResult:
        yield Static("", id="ci-info", classes="tab-info")
        yield VirtualTable(id="ci-table")

    @property
    def table(self) -> VirtualTable:
        return self.query_one("#ci-table", VirtualTable)

    def show(
        self,
        info: Content,
        data: TableData | None,
        order: list[int] | None = None,
        marks: dict[int, str] | None = None,
        sort: tuple[str, bool] | None = None,
    ) -> None:
        self.query_one("#ci-info", Static).update(info)
        if data is None:
            self.table.clear()
        else:
            self.table.show(data, order, marks=marks or {}, sort=sort)
