"""The plotext chart in a Static; the screen renders it in a worker for this widget's size.

Charts come with 16-colour ANSI codes (series colours, the heatmap's shades), turned into
styled text here, so they need no truecolor. The size reported is the content area, so the
chart's last line (the x tick labels) is never cut off.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
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
        self.text = ""

    def show_text(self, text: str) -> None:
        self.text = text
        self.update(Content.from_rich_text(Text.from_ansi(text, no_wrap=True)) if text else Content(""))

    def on_resize(self, event: events.Resize) -> None:
        size = (self.content_size.width, self.content_size.height)
        if size != self._last and size[0] > 0 and size[1] > 0:
            self._last = size
            self.post_message(self.Resized(self, *size))
