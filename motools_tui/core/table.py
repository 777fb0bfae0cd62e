"""A table as the app shows it: raw values, their text on demand, and sorted views of its rows.

Pure Python (no pandas): a 10,000-row table is ready and sorted in milliseconds, so every row
stays reachable without loading the analysis stack. Cells are formatted when first shown
(:func:`motools.text.format_value`); a view is a list of row positions. Filters use the one
syntax of the CLI's ``--where`` (:func:`motools_tui.core.results.select`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from motools.text import format_value

MAX_WIDTH = 40
WIDTH_SAMPLE = 2_000


def is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


@dataclass
class TableData:
    """Columns and raw rows; a row's text (``cells(i)``) is formatted when first needed, so a
    10,000-row table is ready at once. ``numeric[c]`` right-aligns column ``c``; ``widths``
    come from the header and up to :data:`WIDTH_SAMPLE` rows spread over the table."""

    columns: list[str]
    rows: list[tuple[Any, ...]]
    numeric: list[bool] = field(default_factory=list)
    widths: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._cells: list[tuple[str, ...] | None] = [None] * len(self.rows)
        n = len(self.columns)
        if not self.numeric:
            self.numeric = []
            for c in range(n):
                types = {type(r[c]) for r in self.rows}
                types.discard(type(None))
                self.numeric.append(bool(types) and types <= {int, float})
        if not self.widths:
            widths = [len(c) for c in self.columns]
            step = max(1, len(self.rows) // WIDTH_SAMPLE)
            for i in range(0, len(self.rows), step):
                for c, text in enumerate(self.cells(i)):
                    if len(text) > widths[c]:
                        widths[c] = len(text)
            self.widths = [min(MAX_WIDTH, w) for w in widths]

    def __len__(self) -> int:
        return len(self.rows)

    def cells(self, i: int) -> tuple[str, ...]:
        """Row ``i`` as text (:func:`motools.text.format_value`)."""
        found = self._cells[i]
        if found is None:
            found = self._cells[i] = tuple(format_value(v) for v in self.rows[i])
        return found

    def index(self, column: str) -> int:
        return self.columns.index(column)

    def column(self, name: str) -> list[Any]:
        c = self.columns.index(name)
        return [r[c] for r in self.rows]

    @classmethod
    def from_frame(cls, df: Any) -> TableData:
        """A pandas DataFrame's values as a table (call from a worker thread)."""
        columns = [str(c) for c in df.columns]
        rows = [tuple(_plain(v) for v in row) for row in df.itertuples(index=False, name=None)]
        return cls(columns, rows)


def _plain(value: Any) -> Any:
    if hasattr(value, "item") and type(value).__module__ == "numpy":
        return value.item()
    return value


def sort_rows(table: TableData, positions: Sequence[int], sort: tuple[str, bool] | None) -> list[int]:
    """``positions`` sorted by ``sort`` (column, descending), missing values last, stable."""
    positions = list(positions)
    if sort is None or sort[0] not in table.columns:
        return positions
    c = table.index(sort[0])
    column = [r[c] for r in table.rows]
    present = [i for i in positions if not is_missing(column[i])]
    missing = [i for i in positions if is_missing(column[i])]
    if table.numeric[c]:
        present.sort(key=lambda i: column[i], reverse=sort[1])
    else:
        present.sort(key=lambda i: str(column[i]), reverse=sort[1])
    return present + missing


__all__ = ["TableData", "is_missing", "sort_rows"]
