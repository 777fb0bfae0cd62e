"""Choose several items: Space ticks or unticks, Enter confirms. Ticked reads ``[x]``, unticked
``[ ]``, so the difference never rests on colour."""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding
from textual.content import Content
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option


class CheckList(OptionList):
    BINDINGS = [
        Binding("space", "toggle", "Tick / untick", id="check.toggle"),
        Binding("enter", "confirm", "OK", id="check.confirm"),
    ]

    @dataclass
    class Confirmed(Message):
        check_list: CheckList
        ticked: list[str]

    def __init__(self, items: list[str], ticked: list[str] | None = None, *, id: str | None = None) -> None:
        self.items = list(items)
        self.ticked = {i for i in (ticked or []) if i in items}
        super().__init__(*(self._option(i) for i in self.items), id=id)

    def _option(self, item: str) -> Option:
        box = "[x]" if item in self.ticked else "[ ]"
        return Option(Content.assemble((box, "bold" if item in self.ticked else ""), " ", item), id=item)

    def on_mount(self) -> None:
        if self.items:
            self.highlighted = 0

    def action_toggle(self) -> None:
        if self.highlighted is None:
            return
        item = self.items[self.highlighted]
        self.ticked.symmetric_difference_update({item})
        self.replace_option_prompt_at_index(self.highlighted, self._option(item).prompt)

    def action_confirm(self) -> None:
        self.post_message(self.Confirmed(self, [i for i in self.items if i in self.ticked]))

    @property
    def selected(self) -> list[str]:
        return [i for i in self.items if i in self.ticked]
