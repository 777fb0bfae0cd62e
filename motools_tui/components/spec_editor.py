"""The YAML text area of the spec editor: error lines marked in the gutter (``✗``, readable
without colour), and Enter keeps the line's indentation (one level deeper after a ``key:``)."""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.strip import Strip
from textual.widgets import TextArea

INDENT = "  "


class SpecEditor(TextArea):
    COMPONENT_CLASSES = TextArea.COMPONENT_CLASSES | {"spec-editor--error-gutter"}

    def __init__(self, text: str, *, id: str | None = None) -> None:
        super().__init__(text, id=id, show_line_numbers=True, soft_wrap=False, tab_behavior="focus")
        self.error_lines: set[int] = set()  # 1-based

    def mark_errors(self, lines: set[int]) -> None:
        if lines != self.error_lines:
            self.error_lines = set(lines)
            self.refresh()

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        if not self.error_lines or not self.show_line_numbers:
            return strip
        row = int(self.scroll_y) + y
        if row + 1 not in self.error_lines or row >= self.document.line_count:
            return strip
        width = self.gutter_width
        style = self.rich_style + self.get_component_rich_style("spec-editor--error-gutter", partial=True)
        gutter = Strip([Segment(f"{row + self.line_number_start:>{width - 2}}✗ ", style + Style(bold=True))], width)
        return Strip.join([gutter, strip.crop(width)])

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "enter" and not self.read_only:
            event.stop()
            event.prevent_default()
            row, column = self.cursor_location
            line = self.document[row]
            before = line[:column]
            indent = before[: len(before) - len(before.lstrip(" "))]
            stripped = before.rstrip()
            if stripped.endswith(":"):
                indent += INDENT
            start, end = self.selection
            self._replace_via_keyboard("\n" + indent, start, end)
            return
        await super()._on_key(event)
