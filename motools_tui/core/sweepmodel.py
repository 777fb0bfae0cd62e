"""What the sweep screen shows, as plain data: one :class:`RunView` per grid point.

The :class:`~motools.store.watch.SweepWatcher` produces :class:`SweepUpdate` objects in a
worker thread; :class:`SweepModel` applies them on the UI thread (dictionary updates only) and
answers the questions the widgets ask (counts, progress, ETA, filtering).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from motools.evals.metrics import primary_metrics
from motools.liveness import Liveness, status_shown
from motools.params import param_labels
from motools.status import TERMINAL, Status
from motools.store.watch import SweepUpdate
from motools.text import format_value

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
    status: str = Status.PENDING
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
    version: int = 0

    @property
    def progress_fraction(self) -> float | None:
        if self.step_total and self.step_progress is not None and self.step_total > 0:
            return max(0.0, min(1.0, self.step_progress / self.step_total))
        return None

    def elapsed(self, now: float) -> float | None:
        if self.started_at is None:
            return None
        end = self.finished_at if self.status in TERMINAL and self.finished_at else now
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
        self.counts: dict[str, int] = {}
        self.paths: list[str] = []
        self.names: dict[str, str] = {}
        self.sweep_log: str | None = None
        self.version = 0
        self.loaded = False

    # -- applying updates ---------------------------------------------------------------------
    def apply(self, update: SweepUpdate) -> set[int]:
        """Apply an update; returns the ids of runs whose view changed."""
        self.sweep = update.sweep
        self.liveness = update.liveness
        self.counts = dict(update.counts)
        if update.sweep_log is not None:
            self.sweep_log = update.sweep_log
        changed: set[int] = set()
        if update.full:
            known = self.runs
            self.runs = {}
            self.order = []
            for row in update.runs:
                view = known.get(row["id"]) or RunView(row["id"], row["idx"], _params(row))
                _fill(view, row)
                self.runs[view.id] = view
                self.order.append(view.id)
                changed.add(view.id)
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
                _fill(view, row)
                changed.add(view.id)
        for rid, (done, total, message) in update.progress.items():
            view = self.runs.get(rid)
            if view is not None:
                view.step_progress, view.step_total, view.step_message = done, total, message
                changed.add(rid)
        for rid, tasks in update.metrics.items():
            view = self.runs.get(rid)
            if view is not None:
                view.metric = run_metric_text(tasks)
                changed.add(rid)
        for rid, text in update.last_logs.items():
            view = self.runs.get(rid)
            if view is not None:
                view.last_log = text
                changed.add(rid)
        for rid in changed:
            self.runs[rid].version += 1
        self.version += 1
        self.loaded = True
        return changed

    # -- questions ----------------------------------------------------------------------------
    @property
    def alive(self) -> bool:
        return self.liveness.alive

    @property
    def shown_status(self) -> Status:
        """The sweep's status as a person reads it (interrupted, stalled)."""
        return status_shown(self.sweep.get("status"), self.liveness)

    @property
    def total(self) -> int:
        return len(self.order) or int(self.sweep.get("n_runs") or 0)

    @property
    def done(self) -> int:
        return sum(self.counts.get(s, 0) for s in TERMINAL)

    def fraction(self) -> float:
        """Share of runs that reached an end (finished, failed or cancelled)."""
        total = self.total
        return min(1.0, self.done / total) if total else 0.0

    def eta(self, now: float) -> float | None:
        """Seconds left: remaining runs at the rate runs have completed since the start."""
        started = self.sweep.get("started_at")
        remaining = self.total - self.done
        if not self.alive or not started or remaining <= 0:
            return None
        done = self.counts.get(Status.FINISHED, 0) + self.counts.get(Status.FAILED, 0)
        if done <= 0:
            return None
        rate = done / max(1e-9, now - float(started))
        return remaining / rate if rate > 0 else None

    def visible(self, status_filter: str | None) -> list[RunView]:
        views = [self.runs[rid] for rid in self.order]
        if status_filter is None:
            return views
        return [v for v in views if v.status == status_filter]

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


def _fill(view: RunView, row: dict[str, Any]) -> None:
    view.status = row.get("status") or Status.PENDING
    view.current_step = row.get("current_step")
    view.attempts = int(row.get("attempts") or 0)
    view.started_at = row.get("started_at")
    view.finished_at = row.get("finished_at")
    view.error = row.get("error")
    if view.status != Status.RUNNING:
        if view.status == Status.FINISHED:
            view.step_progress = view.step_total = None
        view.step_message = None
