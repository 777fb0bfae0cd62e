"""Cheap change detection over the store, for worker threads.

Each watcher owns one SQLite connection, used from one polling thread at a time. A poll first
asks ``PRAGMA data_version`` (microseconds; it changes only when another connection commits)
and returns ``None`` when nothing changed. When something did, it reads, in one read
transaction (a consistent snapshot that never blocks the sweep's writer), only what can have
changed: the sweep row, status counts, the rows of runs that were or are running, the current
step of running runs, metrics of newly finished runs and events newer than the last seen.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

from motools_tui.core.clock import Clock, system_clock
from motools_tui.core.format import first_line
from motools_tui.core.liveness import worker_alive
from motools_tui.core.sweepmodel import SweepUpdate, metric_text

RUN_COLS = "id, idx, params, status, current_step, attempts, started_at, finished_at, error"
RUN_COLS_NO_PARAMS = "id, idx, status, current_step, attempts, started_at, finished_at, error"


class SweepGone(Exception):
    """The sweep disappeared from the store (or never existed)."""


def open_reader(db_path: str | Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(db_path), isolation_level=None, check_same_thread=False, timeout=10)
    conn.execute("PRAGMA busy_timeout = 10000")
    conn.row_factory = sqlite3.Row
    return conn


class _Reader:
    def __init__(self, db_path: str | Path):
        self.db_path = Path(db_path)
        self._conn: sqlite3.Connection | None = None
        self._dv: int | None = None
        self.lock = threading.Lock()

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            self._conn = open_reader(self.db_path)
        return self._conn

    def changed(self) -> bool:
        """Whether another connection committed since the last call (True the first time)."""
        dv = int(self.conn.execute("PRAGMA data_version").fetchone()[0])
        if dv == self._dv:
            return False
        self._dv = dv
        return True

    def rows(self, sql: str, params: Any = ()) -> list[dict[str, Any]]:
        return [dict(r) for r in self.conn.execute(sql, params).fetchall()]

    def one(self, sql: str, params: Any = ()) -> dict[str, Any] | None:
        r = self.conn.execute(sql, params).fetchone()
        return dict(r) if r is not None else None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class SweepWatcher(_Reader):
    """Incremental reads of one sweep for the sweep screen."""

    def __init__(self, db_path: str | Path, name: str, clock: Clock = system_clock):
        super().__init__(db_path)
        self.name = name
        self.clock = clock
        self._status: dict[int, str] = {}
        self._sweep_key: tuple[Any, ...] | None = None
        self._event_id = 0
        self.full_refreshes = 0

    def poll(self, force: bool = False) -> SweepUpdate | None:
        with self.lock:
            if not self.changed() and not force:
                return None
            conn = self.conn
            conn.execute("BEGIN")
            try:
                return self._read()
            finally:
                conn.execute("COMMIT")

    def _read(self) -> SweepUpdate:
        sweep = self.one("SELECT * FROM sweeps WHERE name = ?", (self.name,))
        if sweep is None:
            raise SweepGone(f"no sweep named {self.name!r}")
        sid = sweep["id"]
        alive = worker_alive(sweep, now=self.clock())
        counts = {r["status"]: r["n"] for r in self.rows(
            "SELECT status, COUNT(*) AS n FROM runs WHERE sweep_id = ? GROUP BY status", (sid,))}
        key = (sid, sweep["worker_pid"], sweep["status"])
        full = key != self._sweep_key
        rows: list[dict[str, Any]] = []
        if not full:
            watched = [rid for rid, st in self._status.items() if st == "running"]
            rows = self.rows(
                f"SELECT {RUN_COLS_NO_PARAMS} FROM runs WHERE sweep_id = ? AND "
                "(status = 'running' OR id IN (SELECT value FROM json_each(?)))",
                (sid, json.dumps(watched)),
            )
            shadow = dict(self._status)
            for r in rows:
                shadow[r["id"]] = r["status"]
            local: dict[str, int] = {}
            for st in shadow.values():
                local[st] = local.get(st, 0) + 1
            if local != counts:
                full = True  # some run changed without being seen running: read them all
        if full:
            self.full_refreshes += 1
            rows = self.rows(f"SELECT {RUN_COLS} FROM runs WHERE sweep_id = ? ORDER BY idx", (sid,))
        newly_finished = [r["id"] for r in rows
                          if r["status"] == "finished" and (full or self._status.get(r["id"]) != "finished")]
        self._status.update({r["id"]: r["status"] for r in rows})
        if full:
            self._status = {r["id"]: r["status"] for r in rows}
        self._sweep_key = key
        update = SweepUpdate(sweep=sweep, alive=alive, counts=counts, runs=rows, full=full)
        running = [rid for rid, st in self._status.items() if st == "running"]
        if running:
            for r in self.rows(
                "SELECT run_id, progress, progress_total, progress_message FROM steps WHERE status = 'running' "
                "AND run_id IN (SELECT value FROM json_each(?))", (json.dumps(running),)
            ):
                update.progress[r["run_id"]] = (r["progress"], r["progress_total"], r["progress_message"])
            for rid in running:
                update.progress.setdefault(rid, (None, None, None))
        if newly_finished:
            update.metrics = self._metrics(sid, newly_finished, all_finished=full)
        self._events(sid, update)
        return update

    def _metrics(self, sid: int, run_ids: list[int], all_finished: bool) -> dict[int, str]:
        if all_finished:
            rows = self.rows(
                "SELECT s.run_id, m.task, m.metric, m.value FROM runs r JOIN steps s ON s.run_id = r.id "
                "JOIN json_each(s.outputs) j JOIN metrics m ON m.atom_id = j.value "
                "WHERE r.sweep_id = ? AND r.status = 'finished' AND s.status = 'finished' "
                "AND json_valid(s.outputs)", (sid,))
        else:
            rows = self.rows(
                "SELECT s.run_id, m.task, m.metric, m.value FROM steps s "
                "JOIN json_each(s.outputs) j JOIN metrics m ON m.atom_id = j.value "
                "WHERE s.run_id IN (SELECT value FROM json_each(?)) AND s.status = 'finished' "
                "AND json_valid(s.outputs)", (json.dumps(run_ids),))
        per_run: dict[int, dict[str, dict[str, float]]] = {}
        for r in rows:
            per_run.setdefault(r["run_id"], {}).setdefault(r["task"], {})[r["metric"]] = r["value"]
        out: dict[int, str] = {}
        for rid, tasks in per_run.items():
            if len(tasks) == 1:
                out[rid] = metric_text(next(iter(tasks.values())))
            else:
                out[rid] = " ".join(f"{t}:{metric_text(v)}" for t, v in sorted(tasks.items()))
        return out

    def _events(self, sid: int, update: SweepUpdate) -> None:
        rows = self.rows(
            "SELECT run_id, message, MAX(id) AS id FROM events WHERE sweep_id = ? AND id > ? GROUP BY run_id",
            (sid, self._event_id),
        )
        for r in rows:
            self._event_id = max(self._event_id, r["id"])
            if r["run_id"] is None:
                update.sweep_log = first_line(r["message"])
            else:
                update.last_logs[r["run_id"]] = first_line(r["message"])


class RunWatcher(_Reader):
    """Everything about one run, for the detail screen: row, steps, new log lines, artifacts."""

    def __init__(self, db_path: str | Path, run_id: int):
        super().__init__(db_path)
        self.run_id = run_id
        self._event_id = 0
        self._outputs_seen: str | None = None

    def poll(self, force: bool = False) -> dict[str, Any] | None:
        with self.lock:
            if not self.changed() and not force:
                return None
            conn = self.conn
            conn.execute("BEGIN")
            try:
                run = self.one("SELECT * FROM runs WHERE id = ?", (self.run_id,))
                if run is None:
                    raise SweepGone(f"run {self.run_id} is gone")
                sweep = self.one("SELECT * FROM sweeps WHERE id = ?", (run["sweep_id"],)) or {}
                steps = self.rows("SELECT * FROM steps WHERE run_id = ? ORDER BY idx", (self.run_id,))
                events = self.rows(
                    "SELECT id, step, time, level, message FROM events WHERE run_id = ? AND id > ? "
                    "ORDER BY id LIMIT 5000", (self.run_id, self._event_id))
                if events:
                    self._event_id = events[-1]["id"]
                outputs_key = json.dumps([s.get("outputs") for s in steps])
                artifacts = None
                if outputs_key != self._outputs_seen:
                    self._outputs_seen = outputs_key
                    artifacts = self._artifacts(steps)
                return {"run": run, "sweep": sweep, "steps": steps, "events": events, "artifacts": artifacts}
            finally:
                conn.execute("COMMIT")

    def _artifacts(self, steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for s in steps:
            try:
                outputs = json.loads(s.get("outputs") or "{}")
            except ValueError:
                continue
            for key, atom_id in outputs.items():
                row = self.one("SELECT id, kind, path, data, size FROM atoms WHERE id = ?", (atom_id,)) or {}
                item = {"step": s["name"], "key": key, "atom_id": atom_id, "kind": row.get("kind"),
                        "path": row.get("path"), "size": row.get("size"), "log_path": None, "metrics": None}
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


SPECS_SQL = (
    "SELECT s.name, s.yaml, s.created_at, s.updated_at, w.status AS last_status, "
    "w.heartbeat_at, w.worker_pid, w.worker_host FROM specs s LEFT JOIN sweeps w ON w.id = "
    "(SELECT MAX(id) FROM sweeps x WHERE x.spec_name = s.name) ORDER BY s.name"
)


def quick_specs(db_path: str | Path, timeout: float = 0.05) -> list[dict[str, Any]] | None:
    """The specs rows straight away, for the very first frame; None if that is not instant
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
        return [dict(r) for r in conn.execute(SPECS_SQL).fetchall()]
    except sqlite3.Error:
        return None
    finally:
        conn.close()


class ListWatcher(_Reader):
    """Specs and sweeps for the list screens: re-read everything when anything changed."""

    def specs(self, force: bool = False) -> list[dict[str, Any]] | None:
        with self.lock:
            if not self.changed() and not force:
                return None
            return self.rows(SPECS_SQL)

    def sweeps(self, force: bool = False) -> list[dict[str, Any]] | None:
        with self.lock:
            if not self.changed() and not force:
                return None
            return self.rows(
                "SELECT w.id, w.name, w.spec_name, w.status, w.n_runs, w.max_parallel, w.created_at, "
                "w.started_at, w.finished_at, w.worker_pid, w.worker_host, w.heartbeat_at, "
                "(SELECT COUNT(*) FROM runs r WHERE r.sweep_id = w.id AND r.status = 'finished') AS n_finished, "
                "(SELECT COUNT(*) FROM runs r WHERE r.sweep_id = w.id AND r.status = 'failed') AS n_failed, "
                "(SELECT COUNT(*) FROM runs r WHERE r.sweep_id = w.id AND r.status = 'running') AS n_running "
                "FROM sweeps w ORDER BY w.id DESC")
