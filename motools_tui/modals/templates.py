"""Pick a template for a new spec."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from motools_tui.core.templates import TEMPLATES


class TemplatePicker(ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="templates.cancel")]

    def __init__(self) -> None:
        super().__init__(classes="dialog-screen")

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("New spec from a template", classes="dialog-title")
            yield OptionList(
                *(Option(Content.assemble((t.title, "bold"), f"\n  {t.description}"), id=t.key) for t in TEMPLATES),
                id="template-list",
            )
            yield Static(Content("↑↓: choose · Enter: open in the editor · Esc: cancel"), classes="dialog-hint")

    def on_mount(self) -> None:
        ol = self.query_one(OptionList)
        ol.highlighted = 0
        ol.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
