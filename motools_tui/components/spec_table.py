"""The specs list: name, workflow, grid size and the last sweep's status, filterable."""

from __future__ import annotations

from textual.widgets import DataTable

from motools_tui.core.format import status_label
from motools_tui.core.specinfo import SpecSummary


class SpecTable(DataTable):
    """A DataTable keyed by spec name; ``show(specs, needle)`` fills it."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=False)
        self.specs: list[SpecSummary] = []

    def on_mount(self) -> None:
        # Fixed widths: the header never jumps as specs come and go.
        self.add_column("name", key="name", width=24)
        self.add_column("workflow", key="workflow", width=18)
        self.add_column("configs", key="configs", width=7)
        self.add_column("last sweep", key="last", width=13)

    def show(self, specs: list[SpecSummary], needle: str = "", select: str | None = None) -> None:
        current = select or self.selected_name
        needle = needle.strip().lower()
        self.specs = [s for s in specs if not needle or needle in s.name.lower() or needle in s.workflow.lower()]
        self.clear()
        for s in self.specs:
            size = "…" if s.workflow == "…" else ("?" if s.size is None else str(s.size))
            self.add_row(s.name, s.workflow, size.rjust(7), status_label(s.last_status), key=s.name)
        if current is not None:
            for i, s in enumerate(self.specs):
                if s.name == current:
                    self.move_cursor(row=i, animate=False)
                    break

    @property
    def selected(self) -> SpecSummary | None:
        if not self.specs or self.cursor_row < 0 or self.cursor_row >= len(self.specs):
            return None
        return self.specs[self.cursor_row]

    @property
    def selected_name(self) -> str | None:
        s = self.selected
        return s.name if s else None
