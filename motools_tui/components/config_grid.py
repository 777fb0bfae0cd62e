"""One pane per config (grid point), drawn with the Line API so 10,000 configs cost nothing.

Only the lines on screen are rendered, so the widget's cost depends on the terminal size, not
on the sweep size. Two layouts: ``panes`` (a grid of boxes: swept values, status, step and
progress bar, elapsed time, metric, last log line) and ``list`` (one compact line per config,
for small terminals and big sweeps). The cursor follows a run id, so filtering and live
updates never lose the selection.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from motools.status import Status
from motools_tui.core.clock import Clock, system_clock
from motools_tui.core.format import (
    bar,
    first_line,
    format_duration,
    format_value,
    truncate,
)
from motools_tui.core.sweepmodel import RunView, SweepModel

PANE_H = 6
MIN_PANE_W = 34
STATUSES = (
    Status.PENDING,
    Status.RUNNING,
    Status.FINISHED,
    Status.FAILED,
    Status.CANCELLED,
    Status.INTERRUPTED,
    Status.STALLED,
)
LIVE = (Status.RUNNING, Status.STALLED)  # their clocks tick


class ConfigGrid(ScrollView, can_focus=True):
    """The sweep's configs as panes or compact lines, with a cursor."""

    COMPONENT_CLASSES = {
        *(f"config-grid--{s}" for s in STATUSES),
        "config-grid--cursor",
        "config-grid--dim",
        "config-grid--header",
    }

    BINDINGS = [
        Binding("up", "move(-1, 0)", "Up", show=False, id="grid.up"),
        Binding("down", "move(1, 0)", "Down", show=False, id="grid.down"),
        Binding("left", "move(0, -1)", "Left", show=False, id="grid.left"),
        Binding("right", "move(0, 1)", "Right", show=False, id="grid.right"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="grid.page_up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="grid.page_down"),
        Binding("home,ctrl+home", "jump(0)", "First config", show=False, id="grid.first"),
        Binding("end,ctrl+end", "jump(-1)", "Last config", show=False, id="grid.last"),
    ]

    mode: reactive[str] = reactive("panes")

    @dataclass
    class Selected(Message):
        grid: ConfigGrid
        run: RunView

    def __init__(self, model: SweepModel, clock: Clock = system_clock, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.model = model
        self.clock = clock
        self.views: list[RunView] = []
        self._index: dict[int, int] = {}
        self.cursor = 0
        self._cursor_id: int | None = None
        self._painted: dict[tuple[int, int], object] = {}  # (run id, line) -> what is on screen
        self.status_filter: str | None = None

    # -- data ---------------------------------------------------------------------------------
    def rebuild(self, status_filter: str | None = None, changed: set[int] | None = None) -> None:
        """Recompute the visible runs (after an update or a filter change) and repaint: all of
        it when the runs shown changed, else only the panes (or lines) of ``changed`` runs."""
        self.status_filter = status_filter
        old_ids = [v.id for v in self.views]
        self.views = self.model.visible(status_filter)
        self._index = {v.id: i for i, v in enumerate(self.views)}
        if self._cursor_id is not None and self._cursor_id in self._index:
            self.cursor = self._index[self._cursor_id]
        self.cursor = max(0, min(self.cursor, len(self.views) - 1))
        new_id = self.views[self.cursor].id if self.views else None
        moved = new_id != self._cursor_id
        self._cursor_id = new_id
        same = old_ids == [v.id for v in self.views]
        if not same:
            self._update_virtual_size()
        if changed is None or moved or not same:
            self.refresh()
        else:
            for rid in changed:
                self._refresh_run(rid)

    def _refresh_run(self, rid: int, line: int | None = None) -> None:
        """Repaint the lines of one run's pane (or only its ``line``), or its list line, whose
        content differs from what was painted: an unchanged line costs nothing on the wire."""
        index = self._index.get(rid)
        if index is None:
            return
        top = int(self.scroll_y)
        height = self.scrollable_content_region.height or self.size.height
        width = self.content_width
        styles = self._styles()
        view = self.views[index]
        cursor = index == self.cursor
        if self.mode == "list":
            y = index + 1 - top
            if 1 <= y < height and self._painted.get((rid, -1)) != self._list_line(view, width, styles, cursor).text:
                self.refresh(Region(0, y, width, 1))
            return
        cols = self.columns
        pane_w = width // cols
        row, col = divmod(index, cols)
        y0 = row * PANE_H - top
        for within in range(PANE_H) if line is None else (line,):
            y = y0 + within
            if not 0 <= y < height:
                continue
            segments = self._pane_line(view, within, pane_w, styles, cursor)
            if self._painted.get((rid, within)) != _key(segments):
                self.refresh(Region(col * pane_w, y, pane_w, 1))

    @property
    def current(self) -> RunView | None:
        return self.views[self.cursor] if self.views else None

    def _any_visible(self, ids: set[int]) -> bool:
        first, last = self._visible_range()
        return any(first <= self._index.get(i, -1) <= last for i in ids)

    def _visible_range(self) -> tuple[int, int]:
        height = self.scrollable_content_region.height or self.size.height
        top = int(self.scroll_y)
        if self.mode == "list":
            return top, top + height
        cols = self.columns
        return (top // PANE_H) * cols, ((top + height) // PANE_H + 1) * cols - 1

    def tick(self) -> None:
        """Repaint the clock line of each visible running config (its elapsed time moves)."""
        first, last = self._visible_range()
        for v in self.views[first : last + 1]:
            if v.shown in LIVE:
                self._refresh_run(v.id, line=3)

    # -- geometry -----------------------------------------------------------------------------
    @property
    def content_width(self) -> int:
        return max(1, self.scrollable_content_region.width or self.size.width)

    @property
    def columns(self) -> int:
        return max(1, self.content_width // MIN_PANE_W)

    def _update_virtual_size(self) -> None:
        width = self.content_width
        if self.mode == "list":
            height = len(self.views) + 1
        else:
            rows = -(-len(self.views) // self.columns)
            height = rows * PANE_H
        self.virtual_size = Size(width, max(1, height))

    def on_resize(self, event: events.Resize) -> None:
        self._update_virtual_size()
        self._scroll_cursor_into_view()
        self.refresh()

    def watch_mode(self, mode: str) -> None:
        self._update_virtual_size()
        self._scroll_cursor_into_view()
        self.refresh()

    # -- cursor -------------------------------------------------------------------------------
    def _set_cursor(self, index: int) -> None:
        if not self.views:
            return
        index = max(0, min(index, len(self.views) - 1))
        changed = index != self.cursor
        old_id = self._cursor_id
        self.cursor = index
        self._cursor_id = self.views[index].id
        if self._scroll_cursor_into_view():
            self.refresh()
        elif changed:
            if old_id is not None:
                self._refresh_run(old_id)
            self._refresh_run(self._cursor_id)

    def _scroll_cursor_into_view(self) -> bool:
        """Scroll so the cursor shows; True if that scrolled."""
        if not self.views:
            return False
        height = self.scrollable_content_region.height or self.size.height
        if height <= 0:
            return False
        y = int(self.scroll_y)
        if self.mode == "list":
            top, bottom = self.cursor, self.cursor + 1
            view_top, view_h = y, height - 1
        else:
            row = self.cursor // self.columns
            top, bottom = row * PANE_H, row * PANE_H + PANE_H
            view_top, view_h = y, height
        if top < view_top:
            self.scroll_to(y=top, animate=False, immediate=True)
            return True
        if bottom > view_top + view_h:
            self.scroll_to(y=max(0, bottom - view_h), animate=False, immediate=True)
            return True
        return False

    def action_move(self, rows: int, cols: int) -> None:
        step = rows * (self.columns if self.mode == "panes" else 1) + cols
        if self.mode == "list" and cols and not rows:
            return
        self._set_cursor(self.cursor + step)

    def action_page(self, direction: int) -> None:
        height = self.scrollable_content_region.height or self.size.height
        per_page = max(1, (height - 1) if self.mode == "list" else (height // PANE_H) * self.columns)
        self._set_cursor(self.cursor + direction * per_page)

    def action_jump(self, where: int) -> None:
        self._set_cursor(0 if where == 0 else len(self.views) - 1)

    def action_select(self) -> None:
        if self.current is not None:
            self.post_message(self.Selected(self, self.current))

    def on_click(self, event: events.Click) -> None:
        x, y = event.x, event.y + int(self.scroll_y)
        if self.mode == "list":
            if event.y == 0:  # the header
                return
            index = y - 1
        else:
            pane_w = self.content_width // self.columns
            col = min(self.columns - 1, x // max(1, pane_w))
            index = (y // PANE_H) * self.columns + col
        if 0 <= index < len(self.views):
            if index == self.cursor and event.chain >= 2:
                self.action_select()
            self._set_cursor(index)

    # -- rendering ----------------------------------------------------------------------------
    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._style_cache = None

    _style_cache: dict[str, Style] | None = None

    def _styles(self) -> dict[str, Style]:
        if self._style_cache is not None:
            return self._style_cache
        self._style_cache = self._compute_styles()
        return self._style_cache

    def _compute_styles(self) -> dict[str, Style]:
        base = self.rich_style
        out = {s: base + self.get_component_rich_style(f"config-grid--{s}", partial=True) for s in STATUSES}
        out["cursor"] = base + self.get_component_rich_style("config-grid--cursor", partial=True)
        out["dim"] = base + self.get_component_rich_style("config-grid--dim", partial=True)
        out["header"] = base + self.get_component_rich_style("config-grid--header", partial=True)
        out["base"] = base
        return out

    def render_line(self, y: int) -> Strip:
        width = self.content_width
        styles = self._styles()
        if self.mode == "list":
            if y == 0:
                return Strip([Segment(self._list_header(width).ljust(width)[:width], styles["header"])], width)
            index = int(self.scroll_y) + y - 1
            if index >= len(self.views):
                return Strip.blank(width, styles["base"])
            strip = self._list_line(self.views[index], width, styles, index == self.cursor)
            self._painted[(self.views[index].id, -1)] = strip.text
            return strip
        line = int(self.scroll_y) + y
        row, within = divmod(line, PANE_H)
        cols = self.columns
        pane_w = width // cols
        segments: list[Segment] = []
        for c in range(cols):
            index = row * cols + c
            if index >= len(self.views):
                segments.append(Segment(" " * pane_w, styles["base"]))
            else:
                pane = self._pane_line(self.views[index], within, pane_w, styles, index == self.cursor)
                self._painted[(self.views[index].id, within)] = _key(pane)
                segments.extend(pane)
        used = pane_w * cols
        if used < width:
            segments.append(Segment(" " * (width - used), styles["base"]))
        return Strip(segments, width)

    # panes ------------------------------------------------------------------------------------
    def _pane_line(self, v: RunView, within: int, w: int, styles: dict[str, Style], cursor: bool) -> list[Segment]:
        status_style = styles.get(v.shown, styles["base"])
        frame_style = styles["cursor"] if cursor else status_style
        heavy = cursor
        tl, tr, bl, br, hz, vt = ("┏", "┓", "┗", "┛", "━", "┃") if heavy else ("╭", "╮", "╰", "╯", "─", "│")
        inner = w - 4
        if inner < 4:
            return [Segment(" " * w, styles["base"])]
        if within == 0:
            title = f" #{v.idx} {v.shown.label}"
            if v.attempts > 1:
                title += f" (try {v.attempts})"
            if v.cached_steps:
                title += f" · {v.cached_steps} cached"
            title = truncate(title, w - 4) + " "
            fill = hz * max(0, w - 3 - len(title))
            return [
                Segment(tl + hz, frame_style),
                Segment(title, frame_style + Style(bold=True)),
                Segment(fill + tr, frame_style),
            ]
        if within == PANE_H - 1:
            return [Segment(bl + hz * (w - 2) + br, frame_style)]
        text, style = self._pane_text(v, within, inner, styles)
        return [
            Segment(vt + " ", frame_style),
            Segment(text.ljust(inner)[:inner], style),
            Segment(" " + vt, frame_style),
        ]

    def _pane_text(self, v: RunView, within: int, inner: int, styles: dict[str, Style]) -> tuple[str, Style]:
        base, dim = styles["base"], styles["dim"]
        if within == 1:
            return truncate(self.model.params_text(v) or "(no parameters)", inner), base
        if within == 2:
            if v.shown == Status.INTERRUPTED:
                where = f" in {v.current_step}" if v.current_step else ""
                return truncate(f"worker gone{where}: retry (t) resumes", inner), styles[Status.INTERRUPTED]
            if v.status == Status.PENDING and v.shown == Status.CANCELLED:
                return truncate("cancelled before it started", inner), dim
            if v.status == Status.RUNNING:
                frac = v.progress_fraction
                pct = f" {int(frac * 100):3d}%" if frac is not None else ""
                step = v.current_step or "starting"
                bar_w = max(4, min(12, inner - len(step) - len(pct) - 1))
                if len(step) + 1 + bar_w + len(pct) > inner:
                    step = truncate(step, max(3, inner - bar_w - len(pct) - 1))
                return f"{step} {bar(frac, bar_w)}{pct}", styles[v.shown]
            if v.status == Status.FAILED:
                where = f"{v.current_step}: " if v.current_step else ""
                return truncate(f"{where}{first_line(v.error) or Status.FAILED}", inner), styles[Status.FAILED]
            if v.status == Status.CANCELLED:
                return truncate(f"{Status.CANCELLED}{' in ' + v.current_step if v.current_step else ''}", inner), dim
            if v.status == Status.FINISHED:
                return truncate("all steps finished", inner), dim
            return "waiting for a slot", dim
        if within == 3:
            elapsed = format_duration(v.elapsed(self.clock(), self.model.stopped_at))
            info = v.metric if v.status == Status.FINISHED else (v.step_message or v.metric or "")
            return truncate(f"{elapsed} · {info}" if info else elapsed, inner), base
        return truncate(v.last_log or "", inner), dim

    # list -------------------------------------------------------------------------------------
    def _list_columns(self, width: int) -> dict[str, int]:
        """Column widths for the list: one column per swept parameter (its leaf name on top)."""
        key = (width, len(self.views), len(self.model.paths))
        if self._columns_cache is not None and self._columns_cache[0] == key:
            return self._columns_cache[1]
        cols: dict[str, int] = {"idx": 5, "status": 13}
        sample = self.views[:500]
        budget = max(8, width // 3)
        for path in self.model.paths:
            name = self.model.names.get(path, path)
            w = max([len(name)] + [len(format_value(v.params.get(path))) for v in sample])
            w = min(w, max(4, budget))
            budget -= w + 1
            cols[f"p:{path}"] = w
        if width >= 100:
            cols["step"] = 18
        cols["progress"] = 11
        cols["time"] = 7
        rest = width - sum(cols.values()) - len(cols)
        if width >= 130:
            cols["metric"] = max(8, rest // 2)
            cols["log"] = max(0, rest - cols["metric"] - 1)
        else:
            cols["metric"] = max(0, rest)
        self._columns_cache = (key, cols)
        return cols

    _columns_cache: tuple[tuple[int, int, int], dict[str, int]] | None = None

    def _list_header(self, width: int) -> str:
        names = {
            "idx": "#",
            "status": "status",
            "step": "step",
            "progress": "progress",
            "time": "time",
            "metric": "metric / message",
            "log": "last log",
        }
        cols = self._list_columns(width)
        out = []
        for k, w in cols.items():
            label = self.model.names.get(k[2:], k[2:]) if k.startswith("p:") else names[k]
            out.append((label.rjust(w) if k in ("idx", "time") or k.startswith("p:") else label.ljust(w))[:w])
        return " ".join(out)

    def _list_line(self, v: RunView, width: int, styles: dict[str, Style], cursor: bool) -> Strip:
        cols = self._list_columns(width)
        status_style = styles.get(v.shown, styles["base"])
        frac = v.progress_fraction
        if v.shown in LIVE:
            prog = bar(frac, 6) + (f" {int(frac * 100):3d}%" if frac is not None else "     ")
        elif v.status == Status.FINISHED:
            prog = bar(1.0, 6) + " 100%"
        else:
            prog = ""
        info = (
            v.metric
            if v.status == Status.FINISHED
            else (first_line(v.error) if v.status == Status.FAILED else (v.step_message or v.metric or ""))
        )
        cells = {
            "idx": (("▸" if cursor else " ") + str(v.idx)).rjust(cols["idx"]),
            "status": v.shown.label,
            "step": v.current_step or "",
            "progress": prog,
            "time": format_duration(v.elapsed(self.clock(), self.model.stopped_at)),
            "metric": info or "",
            "log": v.last_log or "",
        }
        segments: list[Segment] = []
        line_style = styles["cursor"] if cursor else styles["base"]
        for k, w in cols.items():
            if k.startswith("p:"):
                text = truncate(format_value(v.params.get(k[2:])), w).rjust(w)
            else:
                text = cells[k]
                text = text.rjust(w) if k in ("idx", "time") else truncate(text, w).ljust(w)
            style = line_style
            if not cursor and k in ("status", "progress"):
                style = status_style
            elif not cursor and k == "log":
                style = styles["dim"]
            segments.append(Segment(text[:w], style))
            segments.append(Segment(" ", line_style))
        strip = Strip(segments)
        return strip.adjust_cell_length(width, line_style)


def _key(segments: list[Segment]) -> tuple[tuple[str, Style | None], ...]:
    """What a line shows: its text and styles (equal keys paint equal cells)."""
    return tuple((seg.text, seg.style) for seg in segments)
