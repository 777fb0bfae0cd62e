"""The plotext chart as text in a Static; the screen renders it in a worker for this size."""

from __future__ import annotations

from dataclasses import dataclass

from textual import events
from textual.content import Content
from textual.message import Message
from textual.widgets import Static


class ChartView(Static, can_focus=True):
    @dataclass
    class Resized(Message):
        view: ChartView
        width: int
        height: int

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self._last: tuple[int, int] = (0, 0)

    def show_text(self, text: str) -> None:
        self.update(Content(text))

    def on_resize(self, event: events.Resize) -> None:
        size = (self.content_size.width, self.content_size.height)
        if size != self._last and size[0] > 0 and size[1] > 0:
            self._last = size
            self.post_message(self.Resized(self, *size))
