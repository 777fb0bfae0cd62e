"""Draw one line of styled text (theme variables like ``$accent`` included) as a Strip, for
widgets that repaint line by line."""

from __future__ import annotations

from textual.content import Content
from textual.strip import Strip
from textual.visual import Visual
from textual.widget import Widget


def content_strip(widget: Widget, content: Content, width: int) -> Strip:
    """``content`` on one line of ``width`` cells (cut with an ellipsis, padded)."""
    if width <= 0:
        return Strip([])
    line = content.split("\n")[0] if "\n" in content.plain else content
    line = line.truncate(width, ellipsis=True, pad=True)
    strips = Visual.to_strips(widget, line, width, 1, widget.visual_style, pad=True)
    if not strips:
        return Strip.blank(width, widget.rich_style)
    return strips[0].adjust_cell_length(width, widget.rich_style)
