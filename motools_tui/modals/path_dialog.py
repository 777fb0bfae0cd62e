"""Ask for a file path, with Tab completion; shows the candidates and the resolved path."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from motools_tui.components.path_input import PathInput
from motools_tui.core.paths import expand


class PathDialog(ModalScreen[str | None]):
    """``dismiss(path)`` with the path as typed, resolved against the working directory."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="path.cancel")]

    def __init__(
        self,
        title: str,
        default: str = "",
        *,
        suffixes: tuple[str, ...] = (),
        must_exist: bool = False,
        action: str = "OK",
    ) -> None:
        super().__init__(classes="dialog-screen")
        self.title_text = title
        self.default = default
        self.suffixes = suffixes
        self.must_exist = must_exist
        self.action_label = action

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Content(self.title_text), classes="dialog-title")
            yield PathInput(self.default, suffixes=self.suffixes, id="path-input")
            yield Static("", id="path-candidates", classes="dialog-hint")
            yield Static("", id="path-error", classes="dialog-error")
            yield Static(Content(f"Tab: complete · Enter: {self.action_label} · Esc: cancel"), classes="dialog-hint")

    def on_mount(self) -> None:
        inp = self.query_one(PathInput)
        inp.focus()
        inp.cursor_position = len(inp.value)

    def on_path_input_completed(self, event: PathInput.Completed) -> None:
        event.stop()
        text = "  ".join(event.candidates[:40])
        if len(event.candidates) > 40:
            text += f"  … ({len(event.candidates)} matches)"
        self.query_one("#path-candidates", Static).update(Content(text))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        value = event.value.strip()
        if not value:
            self._error("enter a path")
            return
        path = expand(value)
        if self.must_exist and not path.is_file():
            self._error(f"{path}: no such file")
            return
        if not self.must_exist and path.is_dir():
            self._error(f"{path} is a folder; add a file name")
            return
        self.dismiss(str(path))

    def _error(self, text: str) -> None:
        self.query_one("#path-error", Static).update(Content(f"✗ {text}"))

    def action_cancel(self) -> None:
        self.dismiss(None)
