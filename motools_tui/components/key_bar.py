"""The footer: the screen's keys, chosen by priority to fit the width, never cut mid-word.

Quit, help and back (where Esc goes back) always show, at the right; the screen's actions fill
the rest in the order the screen ranks them (``KEY_PRIORITY``, binding ids), and appear in the
order they are declared. Bindings of one group (tabs 1 2 3) show as one item (``1-3 Tabs``).
Clicking a key presses it. The bar repaints only when what it shows changes.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import events
from textual.binding import Binding
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Static

ESSENTIAL = ("screen.back", "screen.help", "app.quit")
QUIT_ANYWHERE = "app.quit_anywhere"
LAST = ("app.command_palette",)
GAP = "  "


@dataclass(frozen=True)
class Item:
    binding_id: str
    key: str  # the key a click presses
    key_text: str
    label: str
    order: int  # declaration order
    rank: int  # lower shows first when space is short

    @property
    def width(self) -> int:
        return len(self.key_text) + 1 + len(self.label)


def _types_text(screen: Screen) -> bool:
    """Whether the focused widget takes typed characters (then letter keys type, not act)."""
    from textual.widgets import Input, TextArea

    return isinstance(screen.focused, (Input, TextArea))


def items_for(screen: Screen, priority: tuple[str, ...]) -> list[Item]:
    """What the bar could show for ``screen``: its active, described bindings, grouped. While a
    text field has the focus, single-character keys type rather than act: they are left out
    (and quit shows as ctrl+q)."""
    app = screen.app
    typing = _types_text(screen)
    seen_actions: set[str] = set()
    groups: dict[str, list[tuple[int, Binding]]] = {}
    singles: list[tuple[int, Binding]] = []
    quit_anywhere: tuple[int, Binding] | None = None
    for order, (_node, binding, enabled, _tip) in enumerate(screen.active_bindings.values()):
        if binding.id == QUIT_ANYWHERE:
            quit_anywhere = (order, binding)
        if not enabled or not binding.description or binding.action in seen_actions:
            continue
        if typing and len(binding.key) == 1:
            continue
        if not binding.show and binding.id not in LAST:
            continue
        seen_actions.add(binding.action)
        if binding.group is not None:
            groups.setdefault(binding.group.description, []).append((order, binding))
        else:
            singles.append((order, binding))

    def rank(binding_id: str | None) -> int:
        if binding_id in ESSENTIAL:
            return -1
        if binding_id in LAST:
            return 10_000
        if binding_id in priority:
            return priority.index(binding_id)
        return 1_000

    if quit_anywhere is not None and not any(b.id == "app.quit" for _, b in singles):
        order, b = quit_anywhere
        singles.append((order, Binding(b.key, b.action, b.description, id="app.quit")))
    out: list[Item] = []
    for order, b in singles:
        out.append(Item(b.id or "", b.key.split(",")[0], app.get_key_display(b), b.description, order, rank(b.id)))
    for description, members in groups.items():
        keys = [app.get_key_display(b) for _, b in members]
        text = f"{keys[0]}-{keys[-1]}" if len(keys) > 2 else " ".join(keys)
        first = members[0][1]
        ranks = [rank(b.id) for _, b in members]
        out.append(Item(first.id or "", first.key.split(",")[0], text, description, members[0][0], min(ranks)))
    return out


def fit(items: list[Item], width: int) -> tuple[list[Item], list[Item]]:
    """``(actions, essentials)`` that fit in ``width`` cells, essentials first in line."""
    essentials = sorted((i for i in items if i.rank < 0), key=lambda i: ESSENTIAL.index(i.binding_id))
    others = sorted((i for i in items if i.rank >= 0), key=lambda i: (i.rank, i.order))
    used = sum(i.width for i in essentials) + len(GAP) * max(0, len(essentials) - 1)
    chosen: list[Item] = []
    for item in others:
        need = item.width + len(GAP)
        if used + need <= width:
            chosen.append(item)
            used += need
    return sorted(chosen, key=lambda i: i.order), essentials


class KeyBar(Static):
    """One line of keys for the screen it is on."""

    DEFAULT_CSS = """
    KeyBar {
        height: 1;
        dock: bottom;
        text-wrap: nowrap;
    }
    """

    def __init__(self, priority: tuple[str, ...] = (), *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.priority = priority
        self._plain = ""
        self._spans: list[tuple[int, int, str]] = []  # x from, x to, key

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self.call_after_refresh(self._rebuild)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen) -> None:
        if self.is_attached and screen is self.screen:
            self._rebuild()

    def on_resize(self, event: events.Resize) -> None:
        self._rebuild()

    def _rebuild(self) -> None:
        width = self.size.width
        if width <= 0 or not self.is_attached:
            return
        actions, essentials = fit(items_for(self.screen, self.priority), width)
        parts: list[str | tuple[str, str]] = []
        spans: list[tuple[int, int, str]] = []
        x = 0

        def add(item: Item) -> None:
            nonlocal x
            parts.extend([(item.key_text, "bold $accent"), f" {item.label}"])
            spans.append((x, x + item.width, item.key))
            x += item.width

        for i, item in enumerate(actions):
            if i:
                parts.append(GAP)
                x += len(GAP)
            add(item)
        right = sum(i.width for i in essentials) + len(GAP) * max(0, len(essentials) - 1)
        pad = max(len(GAP) if actions else 0, width - x - right)
        parts.append(" " * pad)
        x += pad
        for i, item in enumerate(essentials):
            if i:
                parts.append(GAP)
                x += len(GAP)
            add(item)
        content = Content.assemble(*parts)
        if content.plain != self._plain:
            self._plain = content.plain
            self._spans = spans
            self.update(content)

    @property
    def text(self) -> str:
        """What the bar shows, as plain text (tests read it)."""
        return self._plain

    def on_click(self, event: events.Click) -> None:
        for start, end, key in self._spans:
            if start <= event.x < end:
                event.stop()
                self.app.simulate_key(key)
                return
