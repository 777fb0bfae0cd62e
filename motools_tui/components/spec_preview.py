"""The side pane of the specs screen: the selected spec's workflow, grid and YAML (values that
look like secrets hidden, control characters escaped)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import ScrollableContainer
from textual.content import Content
from textual.widgets import Static

from motools.text import safe_text
from motools_tui.core.secrets import mask_yaml
from motools_tui.core.specinfo import SpecSummary


class SpecPreview(ScrollableContainer, can_focus=True):
    def compose(self) -> ComposeResult:
        yield Static("", id="preview-grid", markup=False)
        yield Static("", id="preview-yaml", markup=False)

    shown: str | None = None

    def show(self, spec: SpecSummary | None) -> None:
        self.shown = spec.name if spec is not None else None
        grid = self.query_one("#preview-grid", Static)
        yaml = self.query_one("#preview-yaml", Static)
        if spec is None:
            grid.update("No spec selected. Press n to create one from a template, or i to import a YAML file.")
            yaml.update("")
            return
        if spec.workflow == "…" and not spec.yaml:
            grid.update("Loading…")
            yaml.update("")
            return
        head = f"workflow: {safe_text(spec.workflow)}\n{safe_text(spec.grid_text)}"
        if spec.problem:
            head += f"\n⚠ {safe_text(spec.problem)}"
        grid.update(Content(head))
        yaml.update(Content(safe_text(mask_yaml(spec.yaml).rstrip("\n"))))
        self.scroll_home(animate=False)
