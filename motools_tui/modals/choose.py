"""Choose one value, or several (space toggles), from a list."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList, SelectionList, Static
from textual.widgets.option_list import Option


class ChooseModal(ModalScreen[Any]):
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="choose.cancel"),
        Binding("enter", "accept", "OK", id="choose.accept", show=False),
    ]

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
            yield Label(Content(self.title_text), classes="dialog-title")
            if self.multiple:
                yield SelectionList[str](*((o, o, o in self.selected) for o in self.options), id="choose-list")
                hint = "space: toggle · enter: OK · esc: cancel"
            else:
                yield OptionList(*(Option(Content(o), id=o) for o in self.options), id="choose-list")
                hint = "enter: choose · esc: cancel"
            yield Static(Content(hint), classes="dialog-hint")

    def on_mount(self) -> None:
        widget = self.query_one("#choose-list")
        widget.focus()
        if not self.multiple and self.selected and self.selected[0] in self.options:
            self.query_one(OptionList).highlighted = self.options.index(self.selected[0])

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_accept(self) -> None:
        if self.multiple:
            self.dismiss(list(self.query_one(SelectionList).selected))
        else:
            ol = self.query_one(OptionList)
            if ol.highlighted is not None:
                self.dismiss(self.options[ol.highlighted])

    def action_cancel(self) -> None:
        self.dismiss(None)
