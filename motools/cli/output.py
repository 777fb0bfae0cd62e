"""Plain-text tables and a progress line for the command line (no colour needed)."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from motools.text import format_duration, format_value, safe_text


def format_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], max_width: int | None = None) -> str:
    headers = [safe_text(str(h)) for h in headers]
    cells = [[format_value(v) for v in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        for i, c in enumerate(row):
            widths[i] = max(widths[i], len(c))
    limit = max_width or shutil.get_terminal_size((120, 24)).columns
    if sum(widths) + 2 * (len(widths) - 1) > limit and widths:
        widths[-1] = max(8, limit - sum(widths[:-1]) - 2 * (len(widths) - 1))

    def line(vals: Sequence[str]) -> str:
        out = []
        for i, v in enumerate(vals):
            v = v if len(v) <= widths[i] else v[: widths[i] - 1] + "…"
            out.append(v.ljust(widths[i]))
        return "  ".join(out).rstrip()

    parts = [line(headers), line(["-" * w for w in widths])]
    parts += [line(r) for r in cells]
    return "\n".join(parts)


class ProgressLine:
    """A bar redrawn in place on a terminal; silent when the stream is not a terminal."""

    def __init__(self, total: int, stream: TextIO | None = None):
        self.total = total
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self._shown = False

    def clear(self) -> None:
        if self.tty and self._shown:
            self.stream.write("\r\x1b[2K")
            self._shown = False

    def draw(self, done: int, failed: int, running: int, eta: float | None) -> None:
        if not self.tty:
            return
        width = 24
        filled = int(width * (done + failed) / max(1, self.total))
        bar = "#" * filled + "-" * (width - filled)
        text = (
            f"[{bar}] {done + failed}/{self.total}  finished {done}  failed {failed}  "
            f"running {running}  ETA {format_duration(eta)}"
        )
        self.stream.write("\r\x1b[2K" + text)
        self.stream.flush()
        self._shown = True
