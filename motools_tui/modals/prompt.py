"""Ask for one line of text (a new spec name, say); Enter accepts, Esc cancels."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static


class PromptModal(ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="prompt.cancel")]

    def __init__(
        self, title: str, label: str, value: str = "", check: Callable[[str], str | None] | None = None
    ) -> None:
        super().__init__(classes="dialog-screen")
        self.title_text = title
        self.label = label
        self.value = value
        self.check = check

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Content(self.title_text), classes="dialog-title")
            yield Label(Content(self.label))
            yield Input(self.value, id="prompt-input")
            yield Static("", id="prompt-error", classes="dialog-error")
            yield Static(Content("Enter: OK · Esc: cancel"), classes="dialog-hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        value = event.value.strip()
        problem = self.check(value) if self.check else None
        if problem:
            self.query_one("#prompt-error", Static).update(Content(f"✗ {problem}"))
            return
        self.dismiss(value)

    def action_cancel(self) -> None:
        self.dismiss(None)
