"""Cheap change detection over the read model, for polling threads (the app's screens).

Each watcher owns one SQLite connection, used from one polling thread at a time. A poll first
asks ``PRAGMA data_version`` (microseconds; it changes only when another connection commits)
and returns ``None`` when nothing changed. When something did, it reads, in one read
transaction (a consistent snapshot that never blocks the sweep's writer), only what can have
changed: the sweep row, status counts, the rows of runs that were or are running, the running
steps' progress, metrics of newly finished runs and events newer than the last seen.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from motools.liveness import Liveness, worker_liveness
from motools.status import Status
from motools.store.read import ReadModel, Row
from motools.text import first_line

Clock = Callable[[], float]
Metrics = dict[str, dict[str, float]]  # task -> metric -> value


class SweepGone(Exception):
    """The sweep disappeared from the store (or never existed)."""


def open_reader(db_path: str | Path) -> sqlite3.Connection:
    """A connection for reading only: autocommit, busy timeout, rows as mappings."""
    conn = sqlite3.connect(str(db_path), isolation_level=None, check_same_thread=False, timeout=10)
    conn.execute("PRAGMA busy_timeout = 10000")
    conn.row_factory = sqlite3.Row
    return conn


def quick_specs(db_path: str | Path, timeout: float = 0.05) -> list[Row] | None:
    """The specs rows straight away, for an app's very first frame; None if that is not instant
    (no store yet, a migration or a write in the way): the poller fills the list instead."""
    path = Path(db_path)
    if not path.exists():
        return None
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=timeout, isolation_level=None)
    except sqlite3.Error:
        return None
    try:
        conn.row_factory = sqlite3.Row
        return ReadModel(conn).specs()
    except sqlite3.Error:
        return None
    finally:
        conn.close()


class Watcher:
    """One connection and its last seen ``data_version``."""

    def __init__(self, db_path: str | Path):
        self.db_path = Path(db_path)
        self._conn: sqlite3.Connection | None = None
        self._dv: int | None = None
        self.lock = threading.Lock()

    @property
    def read(self) -> ReadModel:
        if self._conn is None:
            self._conn = open_reader(self.db_path)
        return ReadModel(self._conn)

    def changed(self) -> bool:
        """Whether another connection committed since the last call (True the first time)."""
        dv = self.read.data_version()
        if dv == self._dv:
            return False
        self._dv = dv
        return True

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


@dataclass
class SweepUpdate:
    """What changed since the last poll (``full``: ``runs`` holds every run)."""

    sweep: Row
    liveness: Liveness
    counts: dict[str, int]
    runs: list[Row] = field(default_factory=list)
    full: bool = False
    progress: dict[int, tuple[float | None, float | None, str | None]] = field(default_factory=dict)
    metrics: dict[int, Metrics] = field(default_factory=dict)
    last_logs: dict[int, str] = field(default_factory=dict)
    sweep_log: str | None = None
    sweep_warnings: list[str] | None = None  # read again when the sweep itself logged something
    cached: dict[int, int] = field(default_factory=dict)  # run id -> steps served from the cache
    cancel_requested: set[int] = field(default_factory=set)  # grid indexes someone asked to cancel

    @property
    def alive(self) -> bool:
        return self.liveness.alive


class SweepWatcher(Watcher):
    """Incremental reads of one sweep."""

    def __init__(self, db_path: str | Path, name: str, clock: Clock):
        super().__init__(db_path)
        self.name = name
        self.clock = clock
        self._status: dict[int, str] = {}
        self._sweep_key: tuple[Any, ...] | None = None
        self._event_id = 0
        self._was: tuple[bool, bool] | None = None

    def poll(self, force: bool = False) -> SweepUpdate | None:
        """An update, or None when nothing changed. A worker's death (or stall) changes nothing
        in the store, so liveness is checked on every poll and a change of it is an update too."""
        with self.lock:
            if not self.changed() and not force and not self._liveness_changed():
                return None
            with self.read.snapshot() as read:
                return self._read(read)

    def _liveness_changed(self) -> bool:
        if self._sweep_key is None or not self._status:
            return False
        row = self.read.sweep(self.name)
        if row is None:
            return True
        live = worker_liveness(row, now=self.clock())
        return (live.alive, live.stalled) != self._was

    def _read(self, read: ReadModel) -> SweepUpdate:
        sweep = read.sweep(self.name)
        if sweep is None:
            raise SweepGone(f"no sweep named {self.name!r}")
        sid = sweep["id"]
        liveness = worker_liveness(sweep, now=self.clock())
        self._was = (liveness.alive, liveness.stalled)
        counts = read.status_counts(sid)
        key = (sid, sweep["worker_pid"], sweep["status"], sweep["n_runs"])
        full = key != self._sweep_key
        rows: list[Row] = []
        if not full:
            watched = [rid for rid, st in self._status.items() if st == Status.RUNNING]
            rows = read.changed_run_rows(sid, watched)
            shadow = dict(self._status)
            for r in rows:
                shadow[r["id"]] = r["status"]
            local: dict[str, int] = {}
            for st in shadow.values():
                local[st] = local.get(st, 0) + 1
            if local != counts:
                full = True  # some run changed without being seen running: read them all
        if full:
            rows = read.run_rows(sid)
        newly_finished = [
            r["id"]
            for r in rows
            if r["status"] == Status.FINISHED and (full or self._status.get(r["id"]) != Status.FINISHED)
        ]
        if full:
            self._status = {r["id"]: r["status"] for r in rows}
        else:
            self._status.update({r["id"]: r["status"] for r in rows})
        self._sweep_key = key
        update = SweepUpdate(sweep=sweep, liveness=liveness, counts=counts, runs=rows, full=full)
        running = [rid for rid, st in self._status.items() if st == Status.RUNNING]
        if running:
            for r in read.step_progress(running):
                update.progress[r["run_id"]] = (r["progress"], r["progress_total"], r["progress_message"])
            for rid in running:
                update.progress.setdefault(rid, (None, None, None))
        if newly_finished:
            update.metrics = read.run_metrics(sid, finished_runs_only=full, run_ids=None if full else newly_finished)
            update.cached = read.cached_steps_by_run(sid, None if full else newly_finished)
        if counts.get(Status.PENDING):
            update.cancel_requested = read.cancel_requested_runs(sid)
        for r in read.latest_events(sid, self._event_id):
            self._event_id = max(self._event_id, r["id"])
            if r["run_id"] is None:
                update.sweep_log = first_line(r["message"])
            else:
                update.last_logs[r["run_id"]] = first_line(r["message"])
        if full or update.sweep_log is not None:
            update.sweep_warnings = [first_line(m) for m in read.sweep_warnings(sid)]
        return update


@dataclass
class RunUpdate:
    """One run, for a detail view: row, sweep, steps, new events, and artifacts when they changed."""

    run: Row
    sweep: Row
    steps: list[Row]
    events: list[Row]
    artifacts: list[dict[str, Any]] | None


class RunWatcher(Watcher):
    """Everything about one run: row, steps, new log lines, artifacts."""

    def __init__(self, db_path: str | Path, run_id: int):
        super().__init__(db_path)
        self.run_id = run_id
        self._event_id = 0
        self._outputs_seen: str | None = None

    def poll(self, force: bool = False) -> RunUpdate | None:
        with self.lock:
            if not self.changed() and not force:
                return None
            with self.read.snapshot() as read:
                run = read.run(self.run_id)
                if run is None:
                    raise SweepGone(f"run {self.run_id} is gone")
                sweep = read.sweep_by_id(run["sweep_id"]) or {}
                steps = read.steps(self.run_id)
                events = read.events(run_id=self.run_id, after_id=self._event_id, limit=5000)
                if events:
                    self._event_id = events[-1]["id"]
                outputs_key = json.dumps([s.get("outputs") for s in steps])
                artifacts = None
                if outputs_key != self._outputs_seen:
                    self._outputs_seen = outputs_key
                    artifacts = _artifacts(read, steps)
                return RunUpdate(run, sweep, steps, events, artifacts)


def _artifacts(read: ReadModel, steps: list[Row]) -> list[dict[str, Any]]:
    """Each step output with its atom's kind, size, file, and (for results) metrics and log."""
    outputs: list[tuple[str, str, str]] = []
    for s in steps:
        try:
            found = json.loads(s.get("outputs") or "{}")
        except ValueError:
            continue
        outputs.extend((s["name"], key, atom_id) for key, atom_id in found.items())
    atoms = read.atom_summaries(a for _, _, a in outputs)
    out: list[dict[str, Any]] = []
    for step, key, atom_id in outputs:
        row = atoms.get(atom_id, {})
        item = {
            "step": step,
            "key": key,
            "atom_id": atom_id,
            "kind": row.get("kind"),
            "path": row.get("path"),
            "size": row.get("size"),
            "log_path": None,
            "metrics": None,
        }
        if row.get("data"):
            try:
                data = json.loads(row["data"])
            except ValueError:
                data = None
            if isinstance(data, dict):
                item["log_path"] = data.get("log_path")
                if isinstance(data.get("metrics"), dict):
                    item["metrics"] = data["metrics"]
        out.append(item)
    return out


class ListWatcher(Watcher):
    """Specs and sweeps for list views: re-read everything when anything changed."""

    def specs(self, force: bool = False) -> list[Row] | None:
        with self.lock:
            if not self.changed() and not force:
                return None
            return self.read.specs()

    def sweeps(self, force: bool = False) -> list[Row] | None:
        with self.lock:
            if not self.changed() and not force:
                return None
            return self.read.sweeps()


__all__ = [
    "ListWatcher",
    "RunUpdate",
    "RunWatcher",
    "SweepGone",
    "SweepUpdate",
    "SweepWatcher",
    "Watcher",
    "open_reader",
    "quick_specs",
]
