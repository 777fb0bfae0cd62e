"""A DataTable showing a pandas DataFrame, with a sort mark and the best row highlighted."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import DataTable

from motools.text import format_value as fmt

MAX_ROWS = 2_000  # a DataTable of 10,000 rows costs seconds and ~100 MB; filter or sort to see others


class FrameTable(DataTable):
    """``show(df, sort=(col, desc), best=index_label)``; ``column_at_cursor`` for sorting."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="cell", zebra_stripes=True)
        self.columns_shown: list[str] = []
        self.truncated = False

    def show(
        self, df: Any, *, sort: tuple[str, bool] | None = None, best: Any = None, highlight_style: str = "bold reverse"
    ) -> None:
        keep_col = self.cursor_column
        keep_row = self.cursor_row
        self.clear(columns=True)
        self.columns_shown = [str(c) for c in df.columns]
        self.add_column(" ", key="__mark__")
        for col in self.columns_shown:
            label = col
            if sort and sort[0] == col:
                label += " ▼" if sort[1] else " ▲"
            self.add_column(label, key=col)
        rows = []
        for index, values in zip(df.index[:MAX_ROWS], df.itertuples(index=False, name=None), strict=False):
            is_best = best is not None and index == best
            mark = Text("★", style="bold") if is_best else ""
            cells = [
                Text(fmt(v), style="bold", justify="right" if _numeric(v) else "left")
                if is_best
                else Text(fmt(v), justify="right" if _numeric(v) else "left")
                for v in values
            ]
            rows.append([mark, *cells])
        self.add_rows(rows)
        self.truncated = len(df) > MAX_ROWS
        if rows:
            self.move_cursor(
                row=min(keep_row, len(rows) - 1), column=min(max(keep_col, 1), len(self.columns_shown)), animate=False
            )

    @property
    def column_at_cursor(self) -> str | None:
        i = self.cursor_column - 1
        if 0 <= i < len(self.columns_shown):
            return self.columns_shown[i]
        return None


def _numeric(v: Any) -> bool:
    return (isinstance(v, (int, float)) and not isinstance(v, bool)) or type(v).__module__ == "numpy"
