"""The sweep screen's header: status, progress per status, time and ETA, and what to do next
(with the sweep's own warnings once it has ended; ``motools sweep show`` prints them whole).

Three lines, each repainted only when its text changes (the clock moves one line a second).
"""

from __future__ import annotations

from textual.content import Content
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

from motools.status import SYMBOLS, TERMINAL, Status
from motools.text import format_age, format_duration, safe_text
from motools_tui.components.lines import content_strip
from motools_tui.core.clock import Clock, system_clock
from motools_tui.core.format import bar
from motools_tui.core.sweepmodel import SweepModel

STATUS_STYLE = {
    Status.FINISHED: "$success",
    Status.FAILED: "$error",
    Status.RUNNING: "$primary",
    Status.CANCELLED: "$warning",
    Status.INTERRUPTED: "$warning",
    Status.STALLED: "$warning",
}
SHOWN = (Status.FAILED, Status.CANCELLED, Status.RUNNING, Status.STALLED, Status.INTERRUPTED, Status.PENDING)


class SweepHeader(Widget):
    """Name and status; progress; the next step (results, resume) or the latest log line."""

    DEFAULT_CSS = """
    SweepHeader {
        height: 3;
    }
    """

    def __init__(self, model: SweepModel, clock: Clock = system_clock, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.model = model
        self.clock = clock
        self.status_filter: str | None = None
        self.view_mode = "panes"
        self.outputs_note: str | None = None
        self._lines: list[Content] = [Content(""), Content(""), Content("")]

    @property
    def text(self) -> str:
        return "\n".join(c.plain for c in self._lines)

    def update_from_model(self) -> None:
        lines = self._compose_lines()
        for y, (new, old) in enumerate(zip(lines, self._lines, strict=True)):
            if new.plain != old.plain or new.spans != old.spans:
                self._lines[y] = new
                self.refresh(Region(0, y, self.size.width or 200, 1))

    def _compose_lines(self) -> list[Content]:
        m = self.model
        width = self.size.width or 80
        now = self.clock()
        status = m.shown_status
        colour = STATUS_STYLE.get(status, "")
        top: list[str | tuple[str, str]] = [
            (f"{safe_text(m.name)}  ", "bold"),
            (status.label, f"bold {colour}".strip()),
        ]
        if m.alive and m.sweep.get("worker_pid"):
            top.append((f"  worker {m.sweep['worker_pid']}", "dim"))
        top.append((f"  filter: {self.status_filter or 'all'}  view: {self.view_mode}", "dim"))

        counts = m.counts
        total = m.total
        finished = counts.get(Status.FINISHED, 0)
        started = m.sweep.get("started_at")
        if m.alive or not started:
            end = now
        else:
            end = m.sweep.get("finished_at") or m.stopped_at or now
        elapsed = format_duration(end - started) if started else "-"
        eta = m.eta(now)
        tokens = [f"{SYMBOLS[Status.FINISHED]} {finished}/{total}"]
        tokens += [f"{SYMBOLS[s]} {counts[s]}" for s in SHOWN if counts.get(s)]
        tail = "  ".join(tokens) + f"  elapsed {elapsed}"
        if status not in TERMINAL:
            tail += f"  ETA {format_duration(eta) if eta else '-'}"
        bar_w = max(6, min(30, width - len(tail) - 4))
        fraction = finished / total if total else 0.0
        progress: list[str | tuple[str, str]] = [(bar(fraction, bar_w), colour or "bold"), " ", tail]
        return [Content.assemble(*top), Content.assemble(*progress), self._next_line(status, now)]

    def _next_line(self, status: Status, now: float) -> Content:
        m = self.model
        if status in TERMINAL:
            parts: list[str | tuple[str, str]] = [
                (m.verdict() or str(status), "bold"),
                ": press ",
                ("r", "bold $accent"),
            ]
            parts.append(" for the results")
            if status != Status.FINISHED:
                parts += [", ", ("t", "bold $accent"), " to retry the rest"]
            if m.sweep.get("message") and status == Status.FAILED and not m.counts.get(Status.FAILED):
                parts.append((f" · {safe_text(m.sweep['message'])}", "$error"))
            if self.outputs_note:
                parts.append((f" · {self.outputs_note}", "dim"))
            if m.warnings:  # the whole text: 'motools sweep show'
                more = f" (+{len(m.warnings) - 1} more)" if len(m.warnings) > 1 else ""
                parts.append((f" · ⚠ {safe_text(m.warnings[0])}{more}", "$warning"))
            return Content.assemble(*parts)
        if status == Status.INTERRUPTED:
            beat = m.stopped_at
            ago = f" (last heartbeat {format_age(now - beat)})" if beat else ""
            return Content.assemble(
                ("worker gone", "bold $warning"), f"{ago}: press ", ("t", "bold $accent"), " to resume the rest"
            )
        if status == Status.STALLED:
            age = m.liveness.heartbeat_age
            silent = f" for {format_duration(age)}" if age is not None else ""
            return Content.assemble(
                (str(Status.STALLED), "bold $warning"),
                f": worker {m.sweep.get('worker_pid')} is alive but silent{silent} (stopped with Ctrl-Z? "
                "blocked?); C cancels",
            )
        if m.sweep.get("message"):
            return Content.styled(safe_text(m.sweep["message"]), "$error")
        return Content.styled(m.sweep_log or " ", "dim")

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if y >= len(self._lines):
            return Strip.blank(width, self.rich_style)
        return content_strip(self, Content.assemble(" ", self._lines[y]), width)
