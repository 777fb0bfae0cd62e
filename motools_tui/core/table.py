"""A table as the app shows it: raw values, their text, and views (filter, sort) over every row.

Pure Python (no pandas): filtering and sorting 10,000 rows takes milliseconds, so every row
stays reachable without loading the analysis stack. Cells are formatted once
(:func:`motools.text.format_value`); a view is a list of row positions.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from motools.text import format_value

_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "!=": operator.ne,
    "=": operator.eq,
    "<": operator.lt,
    ">": operator.gt,
}
_EXPR = re.compile(r"^\s*([A-Za-z0-9_./-]+)\s*(<=|>=|!=|=|<|>)\s*(.+?)\s*$")
MAX_WIDTH = 40
WIDTH_SAMPLE = 2_000


def is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


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


def select(
    table: TableData, expr: str = "", sort: tuple[str, bool] | None = None, among: Sequence[int] | None = None
) -> list[int]:
    """Positions of the rows matching ``expr`` (see :func:`matcher`), sorted by ``sort``
    (column, descending; missing values last). Raises ValueError for a bad expression."""
    keep = matcher(table, expr)
    positions = [i for i in (range(len(table)) if among is None else among) if keep(i)]
    if sort is not None and sort[0] in table.columns:
        c = table.index(sort[0])
        column = [r[c] for r in table.rows]
        present = [i for i in positions if not is_missing(column[i])]
        missing = [i for i in positions if is_missing(column[i])]
        if table.numeric[c]:
            present.sort(key=lambda i: column[i], reverse=sort[1])
        else:
            present.sort(key=lambda i: str(column[i]), reverse=sort[1])
        positions = present + missing
    return positions


def matcher(table: TableData, expr: str) -> Callable[[int], bool]:
    """A test of row positions for ``expr``: ``col=value``, ``col>0.5``, ``col!=x`` (several
    joined by ``,`` or ``and``), or plain text found in any cell (case-insensitive)."""
    expr = (expr or "").strip()
    if not expr:
        return lambda i: True
    tests: list[Callable[[int], bool]] = []
    for part in (p for p in re.split(r",|\band\b", expr) if p.strip()):
        m = _EXPR.match(part)
        if m is None:
            needle = part.strip().lower()
            lowered: list[str] | None = None

            def text_test(i: int, needle: str = needle) -> bool:
                nonlocal lowered
                if lowered is None:
                    lowered = ["\t".join(table.cells(r)).lower() for r in range(len(table))]
                return needle in lowered[i]

            tests.append(text_test)
            continue
        col, op, raw = m.groups()
        if col not in table.columns:
            raise ValueError(f"no column {col!r}; columns: {', '.join(table.columns)}")
        c = table.index(col)
        wanted: Any = raw.strip("'\"")
        compare = _OPS[op]
        if table.numeric[c]:
            try:
                wanted = float(wanted)
            except ValueError:
                raise ValueError(f"{col} is numeric; {raw!r} is not a number") from None

            def num_test(i: int, c: int = c, wanted: float = wanted, compare: Any = compare) -> bool:
                v = table.rows[i][c]
                return not is_missing(v) and bool(compare(float(v), wanted))

            tests.append(num_test)
        else:

            def str_test(i: int, c: int = c, wanted: str = str(wanted), compare: Any = compare) -> bool:
                v = table.rows[i][c]
                return bool(compare("" if v is None else str(v), wanted))

            tests.append(str_test)
    return lambda i: all(t(i) for t in tests)


__all__ = ["TableData", "is_missing", "matcher", "select"]
