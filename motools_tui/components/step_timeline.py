"""A run's steps, one line each: status, name, start offset, duration, progress, whether it was
served from the cache, where it ran (host, pid, Ray node), and a failed step's error."""

from __future__ import annotations

from typing import Any

from textual.content import Content
from textual.widgets import Static

from motools.status import Status
from motools.text import safe_text
from motools_tui.core.clock import Clock, system_clock
from motools_tui.core.format import bar, first_line, format_duration, status_symbol

STEP_STYLE = {
    Status.FINISHED: "$success",
    Status.FAILED: "$error",
    Status.RUNNING: "$primary",
    Status.CANCELLED: "$warning",
}


def where(step: dict[str, Any]) -> str:
    """``on gpu-3 pid 4242`` (and ``node 1a2b3c4d`` on a Ray cluster), or '' if not recorded."""
    parts = []
    if step.get("host"):
        parts.append(safe_text(str(step["host"])))
    if step.get("pid"):
        parts.append(f"pid {step['pid']}")
    if step.get("node"):
        parts.append(f"node {safe_text(str(step['node']))[:12]}")
    return ("on " + " ".join(parts)) if parts else ""


class StepTimeline(Static):
    def __init__(
        self, step_names: list[str] | None = None, clock: Clock = system_clock, *, id: str | None = None
    ) -> None:
        super().__init__("", id=id)
        self.step_names = step_names or []
        self.clock = clock

    def show(self, steps: list[dict[str, Any]], t0: float | None, stopped_at: float | None = None) -> None:
        """``stopped_at``: the time a dead worker was last heard of (running steps stop there)."""
        by_name = {s["name"]: s for s in steps}
        names = list(self.step_names) or [s["name"] for s in steps]
        names += [s["name"] for s in steps if s["name"] not in names]
        parts: list[str | tuple[str, str]] = []
        now = self.clock()
        width = max(len(n) for n in names) if names else 10
        for i, name in enumerate(names):
            s = by_name.get(name)
            status = s["status"] if s else Status.PENDING
            style = STEP_STYLE.get(status, "dim")
            parts.append((f"{status_symbol(status)} {status:<9} ", style))
            parts.append(f"{safe_text(name):<{width}}  ")
            if s:
                start = s.get("started_at")
                running_end = (stopped_at or now) if status == Status.RUNNING else None
                end = s.get("finished_at") or running_end
                offset = f"+{format_duration(start - t0)}" if start and t0 else ""
                dur = format_duration(end - start) if start and end else "-"
                parts.append((f"{offset:>7} {dur:>7}", "dim"))
                if s.get("cached"):
                    parts.append(("  ↺ cached", "bold"))
                if status == Status.RUNNING and s.get("progress_total"):
                    frac = (s.get("progress") or 0) / s["progress_total"]
                    parts.append(f"  {bar(frac, 10)} {int(frac * 100)}%")
                if s.get("progress_message") and status == Status.RUNNING:
                    parts.append((f"  {first_line(s['progress_message'])}", "dim"))
                if where(s):
                    parts.append((f"  {where(s)}", "dim"))
                if status == Status.FAILED and s.get("error"):
                    parts.append((f"  {first_line(s['error'])}", "$error"))
            if i < len(names) - 1:
                parts.append("\n")
        self.update(Content.assemble(*parts) if parts else "no steps yet")
