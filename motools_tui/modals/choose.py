"""Choose one value (Enter), or several: Space ticks ``[x]`` or unticks ``[ ]``, Enter confirms."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from motools.text import safe_text
from motools_tui.components.check_list import CheckList


class ChooseModal(ModalScreen[Any]):
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="choose.cancel")]

    def __init__(
        self, title: str, options: list[str], *, multiple: bool = False, selected: list[str] | None = None
    ) -> None:
        super().__init__(classes="dialog-screen")
        self.title_text = title
        self.options = options
        self.multiple = multiple
        self.selected = selected or []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Content(safe_text(self.title_text)), classes="dialog-title")
            if self.multiple:
                yield CheckList(self.options, self.selected, id="choose-list")
                hint = "space: tick [x] / untick [ ] · enter: OK · esc: cancel"
            else:
                yield OptionList(*(Option(Content(safe_text(o)), id=o) for o in self.options), id="choose-list")
                hint = "enter: choose · esc: cancel"
            yield Static(Content(hint), classes="dialog-hint")

    def on_mount(self) -> None:
        widget = self.query_one("#choose-list")
        widget.focus()
        if not self.multiple and self.selected and self.selected[0] in self.options:
            self.query_one(OptionList).highlighted = self.options.index(self.selected[0])

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if not self.multiple:
            self.dismiss(event.option.id)

    def on_check_list_confirmed(self, event: CheckList.Confirmed) -> None:
        event.stop()
        self.dismiss(event.ticked)

    def action_cancel(self) -> None:
        self.dismiss(None)
