"""What the sweep screen shows, as plain data: one :class:`RunView` per grid point.

The :class:`~motools.store.watch.SweepWatcher` produces :class:`SweepUpdate` objects in a
worker thread; :class:`SweepModel` applies them on the UI thread (dictionary updates only) and
answers the questions the widgets ask (counts, progress, ETA, filtering), as a researcher
reads them: a run recorded ``running`` whose worker is gone is *interrupted* (and its clock
stops at the worker's last heartbeat); a pending run someone cancelled is *cancelled* at once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from motools.evals.metrics import primary_metrics
from motools.liveness import Liveness
from motools.params import param_labels
from motools.status import TERMINAL, Status
from motools.store.watch import SweepUpdate
from motools.text import format_value, safe_text
from motools_tui.core.format import read_status

STATUS_FILTERS: tuple[str | None, ...] = (
    None,
    Status.RUNNING,
    Status.FAILED,
    Status.FINISHED,
    Status.PENDING,
    Status.CANCELLED,
)


@dataclass
class RunView:
    id: int
    idx: int
    params: dict[str, Any]
    status: str = Status.PENDING  # as stored
    shown: Status = Status.PENDING  # as read (interrupted, stalled, cancelled at once)
    current_step: str | None = None
    attempts: int = 0
    started_at: float | None = None
    finished_at: float | None = None
    error: str | None = None
    step_progress: float | None = None
    step_total: float | None = None
    step_message: str | None = None
    metric: str | None = None
    last_log: str | None = None
    cached_steps: int = 0
    version: int = 0

    @property
    def progress_fraction(self) -> float | None:
        if self.step_total and self.step_progress is not None and self.step_total > 0:
            return max(0.0, min(1.0, self.step_progress / self.step_total))
        return None

    def elapsed(self, now: float, stopped_at: float | None = None) -> float | None:
        """Seconds it ran: to its end, to ``stopped_at`` (the dead worker's last heartbeat)
        when it was cut off, else to ``now``."""
        if self.started_at is None:
            return None
        if self.status in TERMINAL and self.finished_at:
            end = self.finished_at
        elif self.shown in (Status.INTERRUPTED,) and stopped_at:
            end = stopped_at
        else:
            end = now
        return max(0.0, end - self.started_at)


def metric_text(values: dict[str, float]) -> str:
    """``accuracy=0.7`` for the primary metrics of a run (companions like stderr left out)."""
    return " ".join(f"{k}={format_value(values[k])}" for k in primary_metrics(sorted(values)))


def run_metric_text(tasks: dict[str, dict[str, float]]) -> str:
    """A run's metrics over its tasks: ``accuracy=0.7``, or ``task:accuracy=0.7 ...`` for several."""
    if len(tasks) == 1:
        return metric_text(next(iter(tasks.values())))
    return " ".join(f"{t}:{metric_text(v)}" for t, v in sorted(tasks.items()))


class SweepModel:
    def __init__(self, name: str):
        self.name = name
        self.sweep: dict[str, Any] = {"name": name, "status": Status.PENDING}
        self.liveness = Liveness(False)
        self.runs: dict[int, RunView] = {}  # by run id
        self.order: list[int] = []  # run ids in grid order
        self.stored_counts: dict[str, int] = {}
        self.paths: list[str] = []
        self.names: dict[str, str] = {}
        self.sweep_log: str | None = None
        self.warnings: list[str] = []  # the sweep's own warnings (a pool it cannot fill, an unused executor)
        self.cancel_requested: set[int] = set()
        self.version = 0
        self.loaded = False

    # -- applying updates ---------------------------------------------------------------------
    def apply(self, update: SweepUpdate) -> set[int]:
        """Apply an update; returns the ids of runs whose view changed (a full read of every
        run changes only the runs whose values did)."""
        was = (self.liveness.alive, self.liveness.stalled)
        self.sweep = update.sweep
        self.liveness = update.liveness
        self.stored_counts = dict(update.counts)
        if update.sweep_log is not None:
            self.sweep_log = update.sweep_log
        if update.sweep_warnings is not None:
            self.warnings = update.sweep_warnings
        self.cancel_requested = set(update.cancel_requested)
        changed: set[int] = set()
        if update.full:
            known = self.runs
            self.runs = {}
            self.order = []
            for row in update.runs:
                view = known.get(row["id"])
                if view is None:
                    view = RunView(row["id"], row["idx"], _params(row))
                    changed.add(view.id)
                if _fill(view, row):
                    changed.add(view.id)
                self.runs[view.id] = view
                self.order.append(view.id)
            paths: list[str] = []
            for rid in self.order:
                paths.extend(p for p in self.runs[rid].params if p not in paths)
            self.paths = paths
            self.names = param_labels(paths)
        else:
            for row in update.runs:
                view = self.runs.get(row["id"])
                if view is None:
                    continue
                if _fill(view, row):
                    changed.add(view.id)
        for rid, (done, total, message) in update.progress.items():
            view = self.runs.get(rid)
            message = safe_text(message) if message else message
            if view is not None and (view.step_progress, view.step_total, view.step_message) != (done, total, message):
                view.step_progress, view.step_total, view.step_message = done, total, message
                changed.add(rid)
        for rid, tasks in update.metrics.items():
            view = self.runs.get(rid)
            if view is not None:
                text = run_metric_text(tasks)
                if text != view.metric:
                    view.metric = text
                    changed.add(rid)
        for rid, n in update.cached.items():
            view = self.runs.get(rid)
            if view is not None and view.cached_steps != n:
                view.cached_steps = n
                changed.add(rid)
        for rid, text in update.last_logs.items():
            view = self.runs.get(rid)
            if view is not None and view.last_log != text:
                view.last_log = text
                changed.add(rid)
        live_changed = was != (self.liveness.alive, self.liveness.stalled)
        for view in self.runs.values():
            shown = self._shown(view)
            if shown != view.shown or (live_changed and view.status == Status.RUNNING):
                view.shown = shown
                changed.add(view.id)
        for rid in changed:
            self.runs[rid].version += 1
        self.version += 1
        self.loaded = True
        return changed

    def _shown(self, view: RunView) -> Status:
        status = Status(view.status)
        if status == Status.RUNNING and not self.liveness.alive:
            return Status.INTERRUPTED
        if status == Status.RUNNING and self.liveness.stalled:
            return Status.STALLED
        if status == Status.PENDING and view.idx in self.cancel_requested:
            return Status.CANCELLED
        return status

    # -- questions ----------------------------------------------------------------------------
    @property
    def alive(self) -> bool:
        return self.liveness.alive

    @property
    def shown_status(self) -> Status:
        """The sweep's status as a person reads it: interrupted or stalled by its worker's
        liveness, and never 'failed' when no run failed (cancelled configs end it cancelled)."""
        counts = self.counts
        return read_status(
            self.sweep.get("status"),
            self.liveness,
            counts.get(Status.FAILED, 0),
            counts.get(Status.CANCELLED, 0),
            self.sweep.get("message"),
        )

    @property
    def counts(self) -> dict[str, int]:
        """Runs per status as shown (with ``interrupted`` and ``stalled`` runs apart)."""
        if not self.runs:
            return dict(self.stored_counts)
        out: dict[str, int] = {}
        for view in self.runs.values():
            out[view.shown] = out.get(view.shown, 0) + 1
        return out

    @property
    def total(self) -> int:
        return len(self.order) or int(self.sweep.get("n_runs") or 0)

    @property
    def stopped_at(self) -> float | None:
        """When a dead worker was last known alive (its last heartbeat)."""
        if self.alive:
            return None
        return self.sweep.get("heartbeat_at") or self.sweep.get("finished_at")

    def verdict(self) -> str:
        """How the sweep ended, in words (``finished with 2 cancelled``), or '' if it has not."""
        status = self.shown_status
        counts = self.counts
        if status not in TERMINAL:
            return ""
        n_fin, n_fail, n_canc = (counts.get(s, 0) for s in (Status.FINISHED, Status.FAILED, Status.CANCELLED))
        if status == Status.FINISHED or (n_fin and not n_fail and n_canc):
            extra = f" with {n_canc} {Status.CANCELLED}" if n_canc else ""
            return f"{Status.FINISHED}{extra}" if n_fin else str(Status.CANCELLED)
        if status == Status.FAILED and n_fail:
            return f"{n_fail} failed"
        return str(status)

    def eta(self, now: float) -> float | None:
        """Seconds left: the configs still to run at the mean duration of the configs that ran
        (each from its own start to its end, so time without a worker never counts), spread
        over the slots; configs running now count what remains of that mean."""
        if not self.alive:
            return None
        durations = [
            v.finished_at - v.started_at
            for v in self.runs.values()
            if v.status in (Status.FINISHED, Status.FAILED) and v.started_at and v.finished_at
        ]
        if not durations:
            return None
        mean = sum(durations) / len(durations)
        pending = [v for v in self.runs.values() if v.shown == Status.PENDING]
        running = [v for v in self.runs.values() if v.status == Status.RUNNING]
        work = len(pending) * mean + sum(max(0.0, mean - (v.elapsed(now) or 0.0)) for v in running)
        if work <= 0:
            return None
        slots = max(1, min(int(self.sweep.get("max_parallel") or 1), len(pending) + len(running)))
        return work / slots

    def visible(self, status_filter: str | None) -> list[RunView]:
        views = [self.runs[rid] for rid in self.order]
        if status_filter is None:
            return views
        if status_filter == Status.RUNNING:
            running = (Status.RUNNING, Status.INTERRUPTED, Status.STALLED)
            return [v for v in views if v.shown in running]
        return [v for v in views if v.shown == status_filter]

    def params_text(self, view: RunView, sep: str = " ") -> str:
        return sep.join(f"{self.names.get(p, p)}={format_value(v)}" for p, v in view.params.items())


def _params(row: dict[str, Any]) -> dict[str, Any]:
    raw = row.get("params")
    if isinstance(raw, dict):
        return raw
    try:
        return json.loads(raw or "{}")
    except (TypeError, ValueError):
        return {}


def _fill(view: RunView, row: dict[str, Any]) -> bool:
    """Copy a run row into its view; True if anything shown changed."""
    before = (view.status, view.current_step, view.attempts, view.started_at, view.finished_at, view.error)
    view.status = row.get("status") or Status.PENDING
    view.current_step = safe_text(row["current_step"]) if row.get("current_step") else None
    view.attempts = int(row.get("attempts") or 0)
    view.started_at = row.get("started_at")
    view.finished_at = row.get("finished_at")
    view.error = row.get("error")
    if view.status != Status.RUNNING:
        if view.status == Status.FINISHED:
            view.step_progress = view.step_total = None
        view.step_message = None
    return before != (view.status, view.current_step, view.attempts, view.started_at, view.finished_at, view.error)
