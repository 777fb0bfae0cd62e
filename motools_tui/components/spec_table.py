"""The specs list: name, grid size and the last sweep's status, filterable. The name column is
as wide as the names need (up to a limit), so the preview beside it gets the rest."""

from __future__ import annotations

from motools.text import safe_text
from motools_tui.components.list_table import ListTable
from motools_tui.core.format import status_label
from motools_tui.core.specinfo import SpecSummary

NAME_MIN, NAME_MAX = 12, 28
STATUS_W = 13  # "! interrupted"


class SpecTable(ListTable):
    """A table keyed by spec name; ``show(specs, needle)`` fills it."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.specs: list[SpecSummary] = []
        self._name_w = NAME_MIN

    def on_mount(self) -> None:
        self._columns(NAME_MIN)

    def _columns(self, name_w: int) -> None:
        self.clear(columns=True)
        self._shown = []
        self._name_w = name_w
        self.add_column("name", key="name", width=name_w)
        self.add_column("configs", key="configs", width=7)
        self.add_column("last sweep", key="last", width=STATUS_W)

    @property
    def wanted_width(self) -> int:
        """Cells the table needs: its columns and their padding, and a scrollbar."""
        return self._name_w + 7 + STATUS_W + 2 * 3 + 1

    def show(self, specs: list[SpecSummary], needle: str = "", select: str | None = None) -> None:
        needle = needle.strip().lower()
        self.specs = [s for s in specs if not needle or needle in s.name.lower() or needle in s.workflow.lower()]
        name_w = max(NAME_MIN, min(NAME_MAX, max((len(s.name) for s in specs), default=0)))
        if name_w != self._name_w:
            keep = select or self.cursor_key
            self._columns(name_w)
            select = keep
        rows = []
        for s in self.specs:
            size = "…" if s.workflow == "…" else ("?" if s.size is None else str(s.size))
            rows.append((s.name, (safe_text(s.name), size.rjust(7), status_label(s.last_status))))
        self.set_rows(rows, select=select)

    @property
    def selected(self) -> SpecSummary | None:
        if not self.specs or self.cursor_row < 0 or self.cursor_row >= len(self.specs):
            return None
        return self.specs[self.cursor_row]

    @property
    def selected_name(self) -> str | None:
        s = self.selected
        return s.name if s else None
