"""A DataTable for lists (specs, sweeps): Home/End go to the first/last row, and rows are
updated cell by cell when only values change, so a live list repaints only what changed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from textual.binding import Binding
from textual.widgets import DataTable


class ListTable(DataTable):
    BINDINGS = [
        Binding("home,ctrl+home", "scroll_top", "First row", show=False, id="list.first"),
        Binding("end,ctrl+end", "scroll_bottom", "Last row", show=False, id="list.last"),
        Binding("pageup", "page_up", "Page up", show=False, id="list.page_up"),
        Binding("pagedown", "page_down", "Page down", show=False, id="list.page_down"),
    ]

    def __init__(self, *, id: str | None = None, zebra_stripes: bool = False) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=zebra_stripes)
        self._shown: list[tuple[str, tuple[Any, ...]]] = []

    def set_rows(self, rows: Sequence[tuple[str, tuple[Any, ...]]], select: str | None = None) -> None:
        """Show ``(key, cells)`` rows. The same keys in the same order: only changed cells are
        updated; otherwise the rows are rebuilt. The cursor stays on its key (or ``select``)."""
        keep = select or self.cursor_key
        keys = [k for k, _ in rows]
        if keys == [k for k, _ in self._shown] and rows:
            columns = list(self.columns)
            for (key, cells), (_, old) in zip(rows, self._shown, strict=True):
                for c, (new, before) in enumerate(zip(cells, old, strict=True)):
                    if new != before:
                        self.update_cell(key, columns[c], new)
        else:
            self.clear()
            for key, cells in rows:
                self.add_row(*cells, key=key)
        self._shown = list(rows)
        if keep is not None and keep in keys:
            index = keys.index(keep)
            if index != self.cursor_row:
                self.move_cursor(row=index, animate=False)

    @property
    def cursor_key(self) -> str | None:
        if not self._shown or not (0 <= self.cursor_row < len(self._shown)):
            return None
        return self._shown[self.cursor_row][0]
