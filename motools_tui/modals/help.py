"""Help for the screen below: what it shows and every key it takes."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.widgets import Label, Static


def key_rows(screen: Screen) -> list[tuple[str, str]]:
    """(key, description) for the screen's own bindings, then the focused widget's named
    ones (like the grid's Enter) and the app's."""
    rows: list[tuple[str, str]] = []
    seen: set[str] = set()
    sources = [screen]
    focused = screen.focused
    if focused is not None:
        sources.append(focused)
    sources.append(screen.app)
    for node in sources:
        for bindings in node._bindings.key_to_bindings.values():
            for binding in bindings:
                if not binding.description or not binding.show or binding.action in seen:
                    continue
                if node is focused and binding.id is None:
                    continue
                seen.add(binding.action)
                rows.append((screen.app.get_key_display(binding), binding.tooltip or binding.description))
    return rows


def paragraphs(text: str) -> str:
    """Help text as paragraphs: single line breaks in the source are not line breaks."""
    return "\n\n".join(" ".join(p.split()) for p in text.strip().split("\n\n"))


class HelpModal(ModalScreen[None]):
    BINDINGS = [Binding("escape,question_mark,q", "close", "Close", id="help.close")]

    def __init__(self, title: str, text: str, keys: list[tuple[str, str]]) -> None:
        super().__init__(classes="dialog-screen")
        self.title_text = title
        self.text = text
        self.keys = keys

    def compose(self) -> ComposeResult:
        width = max([len(k) for k, _ in self.keys] + [6]) + 2
        lines = [(f"{k:>{width}}", "bold $accent") for k, _ in self.keys]
        parts: list[str | tuple[str, str]] = []
        for (_key, desc), styled in zip(self.keys, lines, strict=False):
            parts += [styled, f"  {desc}\n"]
        parts.append((f"{'ctrl+p':>{width}}", "bold $accent"))
        parts.append("  command palette: every action by name\n")
        parts.append((f"{'↑↓←→':>{width}}", "bold $accent"))
        parts.append("  move (also PgUp, PgDn, Home, End); Tab moves between panes\n")
        with Vertical(classes="dialog help-dialog"):
            yield Label(Content(f"Help: {self.title_text}"), classes="dialog-title")
            with VerticalScroll(classes="help-body"):
                yield Static(Content(paragraphs(self.text)), classes="help-text")
                yield Static(Content.assemble(*parts), classes="help-keys")
            yield Static(Content("Esc or ?: close"), classes="dialog-hint")

    def action_close(self) -> None:
        self.dismiss(None)
