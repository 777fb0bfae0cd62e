"""A table of any size: only the lines on screen are drawn, so 10,000 rows cost what 30 do.

It shows a :class:`~motools_tui.core.table.TableData` through a view (``order``: the row
positions to show, in order), with a header line that stays on top, a mark column (★ the best,
☆ a contender), a sort indicator, and a cell cursor (the column under it is what ``s`` sorts).
Moving the cursor repaints two lines, not the table.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from motools_tui.core.table import TableData

GAP = 2


class VirtualTable(ScrollView, can_focus=True):
    COMPONENT_CLASSES = {
        "virtual-table--header",
        "virtual-table--cursor",
        "virtual-table--cursor-cell",
        "virtual-table--best",
        "virtual-table--empty",
    }

    BINDINGS = [
        Binding("up", "move(-1, 0)", "Up", show=False, id="table.up"),
        Binding("down", "move(1, 0)", "Down", show=False, id="table.down"),
        Binding("left", "move(0, -1)", "Left", show=False, id="table.left"),
        Binding("right", "move(0, 1)", "Right", show=False, id="table.right"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="table.page_up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="table.page_down"),
        Binding("home,ctrl+home", "jump(0)", "First row", show=False, id="table.first"),
        Binding("end,ctrl+end", "jump(-1)", "Last row", show=False, id="table.last"),
    ]

    @dataclass
    class Selected(Message):
        """Enter on a row: ``position`` is the row's position in the table's data."""

        table: VirtualTable
        position: int

    def __init__(self, *, id: str | None = None, empty: str = "") -> None:
        super().__init__(id=id)
        self.data = TableData([], [])
        self.order: list[int] = []
        self.marks: dict[int, str] = {}
        self.sort: tuple[str, bool] | None = None
        self.empty_text = empty
        self.cursor_row = 0
        self.cursor_col = 0
        self._offsets: list[int] = []
        self._widths: list[int] = []
        self._line_width = 0
        self._style_cache: dict[str, Style] | None = None

    # -- data ---------------------------------------------------------------------------------
    def show(
        self,
        data: TableData,
        order: list[int] | None = None,
        *,
        marks: dict[int, str] | None = None,
        sort: tuple[str, bool] | None = None,
        empty: str | None = None,
    ) -> None:
        """Show ``data`` (the rows at ``order``); the cursor keeps its row and column."""
        keep = self.order[self.cursor_row] if self.order and self.cursor_row < len(self.order) else None
        same_data = data is self.data
        self.data = data
        self.order = list(range(len(data))) if order is None else order
        self.marks = marks or {}
        self.sort = sort
        if empty is not None:
            self.empty_text = empty
        self._layout()
        if same_data and keep is not None:
            try:
                self.cursor_row = self.order.index(keep)
            except ValueError:
                pass
        self.cursor_row = max(0, min(self.cursor_row, len(self.order) - 1))
        self.cursor_col = max(0, min(self.cursor_col, len(data.columns) - 1))
        self.virtual_size = Size(self._line_width, len(self.order) + 1)
        self._scroll_to_cursor()
        self.refresh()

    def clear(self, empty: str = "") -> None:
        self.show(TableData([], []), [], empty=empty)

    def _layout(self) -> None:
        x = 2  # the mark column
        offsets = []
        self._widths = []
        for w, name in zip(self.data.widths, self.data.columns, strict=False):
            offsets.append(x)
            width = max(w, len(name) + (2 if self.sort and self.sort[0] == name else 0))
            self._widths.append(width)
            x += width + GAP
        self._offsets = offsets
        self._line_width = x

    @property
    def column_at_cursor(self) -> str | None:
        if 0 <= self.cursor_col < len(self.data.columns):
            return self.data.columns[self.cursor_col]
        return None

    @property
    def position_at_cursor(self) -> int | None:
        """The data position of the row under the cursor."""
        return self.order[self.cursor_row] if 0 <= self.cursor_row < len(self.order) else None

    def move_to_position(self, position: int) -> bool:
        """Put the cursor on the row at data ``position``; False if it is not shown."""
        try:
            row = self.order.index(position)
        except ValueError:
            return False
        self._set_cursor(row, self.cursor_col)
        return True

    # -- cursor -------------------------------------------------------------------------------
    @property
    def page(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def _set_cursor(self, row: int, col: int) -> None:
        if not self.order:
            return
        row = max(0, min(row, len(self.order) - 1))
        col = max(0, min(col, len(self.data.columns) - 1))
        old = self.cursor_row
        if (row, col) == (self.cursor_row, self.cursor_col):
            return
        self.cursor_row, self.cursor_col = row, col
        if not self._scroll_to_cursor():
            self._refresh_row(old)
            self._refresh_row(row)

    def _refresh_row(self, row: int) -> None:
        y = row - int(self.scroll_y) + 1
        if 1 <= y < self.size.height:
            self.refresh(Region(0, y, self.size.width, 1))

    def _scroll_to_cursor(self) -> bool:
        """Scroll so the cursor shows; True if that scrolled (and so repaints everything)."""
        height = self.scrollable_content_region.height
        width = self.scrollable_content_region.width
        if height <= 1 or not self.order:
            return False
        y, x = int(self.scroll_y), int(self.scroll_x)
        new_y, new_x = y, x
        if self.cursor_row < y:
            new_y = self.cursor_row
        elif self.cursor_row > y + height - 2:
            new_y = self.cursor_row - height + 2
        if self._offsets:
            start = self._offsets[self.cursor_col]
            end = start + self._widths[self.cursor_col]
            if start - 2 < x:
                new_x = max(0, start - 2)
            elif end > x + width:
                new_x = end - width
        if (new_x, new_y) != (x, y):
            self.scroll_to(x=new_x, y=new_y, animate=False, immediate=True)
            self.refresh()
            return True
        return False

    def action_move(self, rows: int, cols: int) -> None:
        self._set_cursor(self.cursor_row + rows, self.cursor_col + cols)

    def action_page(self, direction: int) -> None:
        self._set_cursor(self.cursor_row + direction * self.page, self.cursor_col)

    def action_jump(self, where: int) -> None:
        self._set_cursor(0 if where == 0 else len(self.order) - 1, self.cursor_col)

    def on_key(self, event: events.Key) -> None:
        if event.key == "enter" and self.position_at_cursor is not None:
            event.stop()
            self.post_message(self.Selected(self, self.position_at_cursor))

    def on_click(self, event: events.Click) -> None:
        row = int(self.scroll_y) + event.y - 1
        x = int(self.scroll_x) + event.x
        col = self.cursor_col
        for i, start in enumerate(self._offsets):
            if x >= start - 1:
                col = i
        if event.y >= 1:
            self._set_cursor(row, col)

    def on_resize(self, event: events.Resize) -> None:
        self._scroll_to_cursor()

    # -- rendering ----------------------------------------------------------------------------
    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._style_cache = None

    def _styles(self) -> dict[str, Style]:
        if self._style_cache is None:
            base = self.rich_style
            self._style_cache = {
                name: base + self.get_component_rich_style(f"virtual-table--{name}", partial=True)
                for name in ("header", "cursor", "cursor-cell", "best", "empty")
            }
            self._style_cache["base"] = base
        return self._style_cache

    def _cell(self, text: str, col: int) -> str:
        width = self._widths[col]
        if len(text) > width:
            text = text[: width - 1] + "…"
        return text.rjust(width) if self.data.numeric[col] else text.ljust(width)

    def _header_text(self) -> str:
        parts = ["  "]
        for c, name in enumerate(self.data.columns):
            label = name
            if self.sort and self.sort[0] == name:
                label += " ▼" if self.sort[1] else " ▲"
            parts.append(self._cell(label, c) + " " * GAP)
        return "".join(parts)

    def render_line(self, y: int) -> Strip:
        styles = self._styles()
        width = self.scrollable_content_region.width or self.size.width
        x0 = int(self.scroll_x)
        if not self.data.columns:
            text = self.empty_text if y == 0 else ""
            return Strip([Segment(text.ljust(width)[:width], styles["empty"])], width)
        if y == 0:
            line = Strip([Segment(self._header_text(), styles["header"])])
            return line.crop_extend(x0, x0 + width, styles["header"])
        row = int(self.scroll_y) + y - 1
        if row >= len(self.order):
            if not self.order and y == 1:
                text = (" " + self.empty_text).ljust(width)[:width]
                return Strip([Segment(text, styles["empty"])], width)
            return Strip.blank(width, styles["base"])
        position = self.order[row]
        cells = self.data.cells(position)
        mark = self.marks.get(position, "")
        is_cursor = row == self.cursor_row and self.has_focus
        row_style = styles["cursor"] if row == self.cursor_row else styles["base"]
        if mark == "★":
            row_style = row_style + styles["best"]
        segments = [Segment(f"{mark:<1} ", row_style)]
        for c, text in enumerate(cells):
            style = styles["cursor-cell"] if is_cursor and c == self.cursor_col else row_style
            segments.append(Segment(self._cell(text, c), style))
            segments.append(Segment(" " * GAP, row_style))
        return Strip(segments).crop_extend(x0, x0 + width, row_style)

    def on_focus(self, event: events.Focus) -> None:
        self._refresh_row(self.cursor_row)

    def on_blur(self, event: events.Blur) -> None:
        self._refresh_row(self.cursor_row)
