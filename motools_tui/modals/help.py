"""Help for the screen below: what it shows and every key it takes; scrolls at any size."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.widgets import Label, Static

MOVING = "Moving: ↑↓←→, PgUp, PgDn, Home and End in every list, table and text; Tab moves between panes."


def key_rows(screen: Screen) -> list[tuple[str, str]]:
    """(key, description) for every key the screen takes: its own bindings (also those that do
    nothing just now, marked so), those of the focused widget and its containers (our widgets:
    bindings with ids; moving keys are one line of the help, the same in every list), then the
    app's."""
    rows: list[tuple[str, str]] = []
    seen: set[str] = set()
    active = list(screen.active_bindings.values())
    active_ids = {a.binding.id for a in active}

    def add(binding: Binding, tooltip: str, note: str = "") -> None:
        if not binding.description or binding.id is None or binding.id in seen:
            return
        seen.add(binding.id)
        keys = binding.key.split(",")
        if len(keys) == 1:
            shown = screen.app.get_key_display(binding)
        else:
            shown = ", ".join(screen.app.get_key_display(Binding(k.strip(), "")) for k in keys)
        rows.append((shown, (tooltip or binding.description) + note))

    common = ("screen.back", "screen.help")
    own = [b for cls in type(screen).__mro__ for b in cls.__dict__.get("BINDINGS", []) if isinstance(b, Binding)]
    for binding in own:
        if binding.id not in common and binding.id:
            add(binding, binding.tooltip, "" if binding.id in active_ids else " (not now)")
    # Widgets' own keys, less the moves (one line below covers those everywhere).
    for a in active:
        if a.node is not screen and a.node is not screen.app and a.binding.show:
            add(a.binding, a.tooltip)
    for a in active:
        if a.node is screen and a.binding.id in common:
            add(a.binding, a.tooltip)
    for a in active:
        if a.node is screen.app:
            add(a.binding, a.tooltip)
    return rows


def paragraphs(text: str) -> str:
    """Help text as paragraphs: single line breaks in the source are not line breaks."""
    return "\n\n".join(" ".join(p.split()) for p in text.strip().split("\n\n"))


class HelpModal(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,question_mark,q", "close", "Close", id="help.close"),
        Binding("f1", "close", "Close", id="help.close_f1", show=False),
    ]

    def __init__(self, title: str, text: str, keys: list[tuple[str, str]]) -> None:
        super().__init__(classes="dialog-screen")
        self.title_text = title
        self.text = text
        self.keys = keys

    def compose(self) -> ComposeResult:
        width = min(12, max([len(k) for k, _ in self.keys] + [1]))
        parts: list[str | tuple[str, str]] = []
        for key, desc in self.keys:
            parts += [(f"{key:>{width}}", "bold $accent"), f"  {desc}\n"]
        parts.append(("\n" + MOVING, "dim"))
        with Vertical(classes="dialog help-dialog"):
            yield Label(Content(f"Help: {self.title_text}"), classes="dialog-title")
            with VerticalScroll(classes="help-body", id="help-body"):
                yield Static(Content(paragraphs(self.text)), classes="help-text")
                yield Static(Content("Keys"), classes="help-heading")
                yield Static(Content.assemble(*parts).rstrip(), classes="help-keys", id="help-keys")
            yield Static(Content("↑↓ PgUp PgDn Home End: scroll · Esc or ?: close"), classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#help-body").focus()

    def action_close(self) -> None:
        self.dismiss(None)
