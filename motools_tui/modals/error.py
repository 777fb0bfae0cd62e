"""An error that needs more than a notification: message plus details (a traceback)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Label, Static


class ErrorModal(ModalScreen[None]):
    BINDINGS = [Binding("escape,enter,q", "close", "Close", id="error.close")]

    def __init__(self, title: str, message: str, details: str = "") -> None:
        super().__init__(classes="dialog-screen")
        self.title_text = title
        self.message = message
        self.details = details

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog error-dialog"):
            yield Label(Content(f"✗ {self.title_text}"), classes="dialog-title")
            with VerticalScroll(classes="error-body"):
                yield Static(Content(self.message))
                if self.details:
                    yield Static(Content(self.details), classes="error-details")
            yield Static(Content("Esc or Enter: close"), classes="dialog-hint")

    def action_close(self) -> None:
        self.dismiss(None)
