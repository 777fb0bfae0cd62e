"""The results screen's Table tab: every run and task, filterable (``/``), sortable (``s``),
with ★ on the best setting's rows and ☆ on the settings not distinguishable from it."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Input, TabPane

from motools_tui.components.virtual_table import VirtualTable
from motools_tui.core.table import TableData


class TableTab(TabPane):
    def __init__(self, title: str, *, id: str) -> None:
        super().__init__(title, id=id)

    def compose(self) -> ComposeResult:
        yield Input(placeholder="filter: text, or col=value, col>0.5 (Enter: apply, Esc: clear)", id="results-filter")
        yield VirtualTable(id="results-table", empty="No runs.")

    @property
    def table(self) -> VirtualTable:
        return self.query_one("#results-table", VirtualTable)

    @property
    def filter_input(self) -> Input:
        return self.query_one("#results-filter", Input)

    def show(self, data: TableData, order: list[int], marks: dict[int, str], sort: tuple[str, bool] | None) -> None:
        self.table.show(data, order, marks=marks, sort=sort, empty="No row matches the filter (Esc clears it).")

    def open_filter(self) -> None:
        inp = self.filter_input
        inp.disabled = False
        inp.display = True
        inp.focus()

    def close_filter(self) -> None:
        inp = self.filter_input
        inp.display = False
        inp.disabled = True
        self.table.focus()
