"""Help for the screen below: what it shows and every key it takes."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.widgets import Label, Static


def key_rows(screen: Screen) -> list[tuple[str, str]]:
    """(key, description) for the screen's bindings, its focused widget's and the app's."""
    rows: list[tuple[str, str]] = []
    seen: set[str] = set()
    for _node, binding, enabled, _tooltip in screen.active_bindings.values():
        if not binding.description or binding.action in seen or not enabled:
            continue
        seen.add(binding.action)
        rows.append((screen.app.get_key_display(binding), binding.description))
    return rows


class HelpModal(ModalScreen[None]):
    BINDINGS = [Binding("escape,question_mark,q", "close", "Close", id="help.close")]

    def __init__(self, title: str, text: str, keys: list[tuple[str, str]]) -> None:
        super().__init__(classes="dialog-screen")
        self.title_text = title
        self.text = text
        self.keys = keys

    def compose(self) -> ComposeResult:
        width = max((len(k) for k, _ in self.keys), default=3) + 2
        lines = [(f"{k:>{width}}", "bold $accent") for k, _ in self.keys]
        parts: list[str | tuple[str, str]] = []
        for (key, desc), styled in zip(self.keys, lines):
            parts += [styled, f"  {desc}\n"]
        parts.append((f"{'ctrl+p':>{width}}", "bold $accent"))
        parts.append("  command palette: every action by name\n")
        with Vertical(classes="dialog help-dialog"):
            yield Label(Content(f"Help: {self.title_text}"), classes="dialog-title")
            with VerticalScroll(classes="help-body"):
                yield Static(Content(self.text.strip()), classes="help-text")
                yield Static(Content.assemble(*parts), classes="help-keys")
            yield Static(Content("Esc or ?: close"), classes="dialog-hint")

    def action_close(self) -> None:
        self.dismiss(None)
