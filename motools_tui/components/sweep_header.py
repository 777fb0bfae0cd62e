"""The sweep screen's header: status, counts per status, overall progress bar and ETA."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from motools.status import Status
from motools_tui.core.clock import Clock, system_clock
from motools_tui.core.format import STATUS_SYMBOLS, bar, format_duration, status_symbol
from motools_tui.core.sweepmodel import SweepModel

STATUS_STYLE = {
    Status.FINISHED: "$success",
    Status.FAILED: "$error",
    Status.RUNNING: "$primary",
    Status.CANCELLED: "$warning",
    Status.INTERRUPTED: "$warning",
}


class SweepHeader(Static):
    """Three lines: name and status; progress; the sweep's last log line."""

    def __init__(self, model: SweepModel, clock: Clock = system_clock, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.model = model
        self.clock = clock
        self.status_filter: str | None = None
        self.view_mode = "panes"

    def update_from_model(self) -> None:
        m = self.model
        width = self.size.width or 80
        now = self.clock()
        status = m.shown_status
        colour = STATUS_STYLE.get(status, "")
        parts: list[str | tuple[str, str]] = [
            (f"{m.name}  ", "bold"),
            (f"{status_symbol(status)} {status}", f"bold {colour}".strip()),
        ]
        if m.alive and m.sweep.get("worker_pid"):
            parts.append((f"  worker {m.sweep['worker_pid']}", "dim"))
        elif status == Status.INTERRUPTED:
            parts.append(("  worker gone: retry (t) resumes it", "dim"))
        parts.append((f"  filter: {self.status_filter or 'all'}  view: {self.view_mode}", "dim"))

        done, total = m.done, m.total
        started = m.sweep.get("started_at")
        end = m.sweep.get("finished_at") if not m.alive and m.sweep.get("finished_at") else now
        elapsed = format_duration(end - started) if started else "-"
        eta = m.eta(now)
        counts = "  ".join(
            f"{STATUS_SYMBOLS[s]} {m.counts.get(s, 0)}"
            for s in (Status.FINISHED, Status.FAILED, Status.CANCELLED, Status.RUNNING, Status.PENDING)
        )
        pct = round(m.fraction() * 100)
        tail = f" {done}/{total} {pct:3d}%  {counts}  elapsed {elapsed}  ETA {format_duration(eta) if eta else '-'}"
        bar_w = max(6, min(30, width - len(tail) - 1))
        parts += ["\n", (bar(m.fraction(), bar_w), colour or "bold"), tail, "\n"]
        parts.append((m.sweep_log or m.sweep.get("message") or " ", "dim"))
        self.update(Content.assemble(*parts))
