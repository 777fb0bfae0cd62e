"""The read model: every question the CLI, the app and the analysis ask of the store.

One :class:`ReadModel` wraps one SQLite connection; the store gives each thread its own
(``Store.read``), and each app watcher holds one for its polling thread. Queries return plain
dicts (rows) or small mappings, never ORM objects, so readers stay cheap and easy to test.

Evaluation results are found generically: an atom that has rows in ``metrics`` is an
evaluation result, whichever step produced it and whatever the workflow calls it (see
``Workflow.results`` for how a workflow narrows that down).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from motools.status import Status

Row = dict[str, Any]

SWEEP_LIST_COLS = (
    "w.id, w.name, w.spec_name, w.workflow, w.user, w.status, w.n_runs, w.max_parallel, w.created_at, "
    "w.started_at, w.finished_at, w.worker_pid, w.worker_host, w.worker_token, w.heartbeat_at, "
    "w.cancel_requested, w.message"
)
RUN_COLS = "id, idx, params, status, current_step, attempts, started_at, finished_at, error"
RUN_COLS_NO_PARAMS = "id, idx, status, current_step, attempts, started_at, finished_at, error"


def _json_ids(ids: Iterable[int | str]) -> str:
    return json.dumps(list(ids))


class ReadModel:
    """Queries over one connection (use it from one thread at a time)."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    # -- plumbing -----------------------------------------------------------------------------
    def rows(self, sql: str, params: Any = ()) -> list[Row]:
        return [dict(r) for r in self.conn.execute(sql, params).fetchall()]

    def one(self, sql: str, params: Any = ()) -> Row | None:
        r = self.conn.execute(sql, params).fetchone()
        return dict(r) if r is not None else None

    def data_version(self) -> int:
        """Changes whenever another connection commits: a cheap 'anything new?'."""
        return int(self.conn.execute("PRAGMA data_version").fetchone()[0])

    @contextmanager
    def snapshot(self) -> Iterator[ReadModel]:
        """Several reads that see one consistent state (a read transaction never blocks the writer)."""
        self.conn.execute("BEGIN")
        try:
            yield self
        finally:
            self.conn.execute("COMMIT")

    # -- specs --------------------------------------------------------------------------------
    def specs(self) -> list[Row]:
        """Saved specs with the status (and worker) of each one's latest sweep."""
        return self.rows(
            "SELECT s.name, s.yaml, s.created_at, s.updated_at, w.status AS last_status, w.heartbeat_at, "
            "w.worker_pid, w.worker_host, w.worker_token FROM specs s LEFT JOIN sweeps w ON w.id = "
            "(SELECT MAX(id) FROM sweeps x WHERE x.spec_name = s.name) ORDER BY s.name"
        )

    def spec(self, name: str) -> Row | None:
        return self.one("SELECT * FROM specs WHERE name = ?", (name,))

    # -- sweeps -------------------------------------------------------------------------------
    def sweeps(self, *, full: bool = False) -> list[Row]:
        """Every sweep, newest first, with its runs counted per status (``n_<status>``); ``full``
        adds every column (the frozen spec included)."""
        counted = (Status.FINISHED, Status.FAILED, Status.RUNNING, Status.CANCELLED)
        counts = ", ".join(
            f"(SELECT COUNT(*) FROM runs r WHERE r.sweep_id = w.id AND r.status = ?) AS n_{s.value}" for s in counted
        )
        cols = "w.*" if full else SWEEP_LIST_COLS
        return self.rows(f"SELECT {cols}, {counts} FROM sweeps w ORDER BY w.id DESC", counted)

    def sweep(self, name: str) -> Row | None:
        return self.one("SELECT * FROM sweeps WHERE name = ?", (name,))

    def sweep_by_id(self, sweep_id: int) -> Row | None:
        return self.one("SELECT * FROM sweeps WHERE id = ?", (sweep_id,))

    def recent_sweep_names(self, limit: int = 10) -> list[str]:
        return [r["name"] for r in self.rows("SELECT name FROM sweeps ORDER BY id DESC LIMIT ?", (limit,))]

    def sweep_exists(self, name: str) -> bool:
        return self.one("SELECT 1 AS x FROM sweeps WHERE name = ?", (name,)) is not None

    def live_sweep_candidates(self) -> list[Row]:
        """Sweeps recorded as running (the caller asks :mod:`motools.liveness` which really are)."""
        return self.rows("SELECT * FROM sweeps WHERE status = ? ORDER BY id DESC", (Status.RUNNING,))

    def status_counts(self, sweep_id: int) -> dict[str, int]:
        return {
            r["status"]: r["n"]
            for r in self.rows("SELECT status, COUNT(*) AS n FROM runs WHERE sweep_id = ? GROUP BY status", (sweep_id,))
        }

    # -- runs and steps -----------------------------------------------------------------------
    def runs(self, sweep_id: int) -> list[Row]:
        """Every run of a sweep, all columns, in grid order."""
        return self.rows("SELECT * FROM runs WHERE sweep_id = ? ORDER BY idx", (sweep_id,))

    def run_rows(self, sweep_id: int) -> list[Row]:
        """What a runs table shows (no config, no traceback), in grid order."""
        return self.rows(f"SELECT {RUN_COLS} FROM runs WHERE sweep_id = ? ORDER BY idx", (sweep_id,))

    def changed_run_rows(self, sweep_id: int, watched: Iterable[int]) -> list[Row]:
        """Rows of running runs and of ``watched`` ones, without params (they never change)."""
        return self.rows(
            f"SELECT {RUN_COLS_NO_PARAMS} FROM runs WHERE sweep_id = ? AND "
            "(status = ? OR id IN (SELECT value FROM json_each(?)))",
            (sweep_id, Status.RUNNING, _json_ids(watched)),
        )

    def run(self, run_id: int) -> Row | None:
        return self.one("SELECT * FROM runs WHERE id = ?", (run_id,))

    def steps(self, run_id: int) -> list[Row]:
        return self.rows("SELECT * FROM steps WHERE run_id = ? ORDER BY idx", (run_id,))

    def sweep_steps(self, sweep_id: int, *, run_status: str | None = None) -> list[Row]:
        """Steps of every run of a sweep (optionally of runs in one status), by run then order."""
        sql = "SELECT s.* FROM steps s JOIN runs r ON r.id = s.run_id WHERE r.sweep_id = ?"
        params: list[Any] = [sweep_id]
        if run_status is not None:
            sql += " AND r.status = ?"
            params.append(run_status)
        return self.rows(sql + " ORDER BY s.run_id, s.idx", params)

    def step_progress(self, run_ids: Iterable[int]) -> list[Row]:
        """Progress of the running step of each of ``run_ids``."""
        return self.rows(
            "SELECT run_id, progress, progress_total, progress_message FROM steps WHERE status = ? "
            "AND run_id IN (SELECT value FROM json_each(?))",
            (Status.RUNNING, _json_ids(run_ids)),
        )

    def failed_steps(self, sweep_id: int, limit: int = 20) -> list[Row]:
        return self.rows(
            "SELECT r.idx, s.name, s.error FROM runs r JOIN steps s ON s.run_id = r.id "
            "WHERE r.sweep_id = ? AND s.status = ? ORDER BY r.idx LIMIT ?",
            (sweep_id, Status.FAILED, limit),
        )

    def cached_steps_by_run(self, sweep_id: int, run_ids: Iterable[int] | None = None) -> dict[int, int]:
        """``{run_id: finished steps served from the cache}`` for the runs that have any."""
        sql = (
            "SELECT s.run_id, COUNT(*) AS n FROM steps s JOIN runs r ON r.id = s.run_id "
            "WHERE r.sweep_id = ? AND s.status = ? AND s.cached = 1"
        )
        params: list[Any] = [sweep_id, Status.FINISHED]
        if run_ids is not None:
            sql += " AND r.id IN (SELECT value FROM json_each(?))"
            params.append(_json_ids(run_ids))
        return {r["run_id"]: r["n"] for r in self.rows(sql + " GROUP BY s.run_id", params)}

    def cancel_requested_runs(self, sweep_id: int) -> set[int]:
        """Grid indexes of the runs someone asked to cancel (``cancel_run`` requests)."""
        out: set[int] = set()
        for r in self.rows("SELECT payload FROM requests WHERE sweep_id = ? AND kind = ?", (sweep_id, "cancel_run")):
            try:
                out.add(int(json.loads(r["payload"])["run_index"]))
            except (ValueError, KeyError, TypeError):
                continue
        return out

    def cached_step_counts(self, sweep_id: int) -> dict[str, tuple[int, int]]:
        """Per step name: (finished steps, of which served from the cache)."""
        return {
            r["name"]: (r["n"], r["cached"] or 0)
            for r in self.rows(
                "SELECT s.name, COUNT(*) AS n, SUM(s.cached) AS cached FROM steps s JOIN runs r ON r.id = s.run_id "
                "WHERE r.sweep_id = ? AND s.status = ? GROUP BY s.name ORDER BY MIN(s.idx)",
                (sweep_id, Status.FINISHED),
            )
        }

    def step_placements(self, sweep_id: int) -> list[Row]:
        """Where a sweep's step executions ran (cache hits left out): per step name, host and node
        (a Ray node id, or None), how many executions and in how many processes, in step order."""
        return self.rows(
            "SELECT s.name, s.host, s.node, COUNT(*) AS n, COUNT(DISTINCT s.pid) AS processes "
            "FROM steps s JOIN runs r ON r.id = s.run_id WHERE r.sweep_id = ? AND s.cached = 0 "
            "AND s.host IS NOT NULL GROUP BY s.name, s.host, s.node ORDER BY MIN(s.idx), s.host, s.node",
            (sweep_id,),
        )

    # -- results ------------------------------------------------------------------------------
    def result_atoms(
        self, sweep_id: int, *, finished_runs_only: bool = False, run_ids: Iterable[int] | None = None
    ) -> list[Row]:
        """``(run_id, idx, step, key, atom_id)`` for each step output that holds evaluation metrics."""
        sql = (
            "SELECT DISTINCT r.id AS run_id, r.idx, s.name AS step, j.key AS key, j.value AS atom_id "
            "FROM runs r JOIN steps s ON s.run_id = r.id JOIN json_each(s.outputs) j "
            "WHERE r.sweep_id = ? AND s.status = ? AND json_valid(s.outputs) "
            "AND EXISTS (SELECT 1 FROM metrics m WHERE m.atom_id = j.value)"
        )
        params: list[Any] = [sweep_id, Status.FINISHED]
        if finished_runs_only:
            sql += " AND r.status = ?"
            params.append(Status.FINISHED)
        if run_ids is not None:
            sql += " AND r.id IN (SELECT value FROM json_each(?))"
            params.append(_json_ids(run_ids))
        return self.rows(sql + " ORDER BY r.idx, s.idx", params)

    def result_metric_rows(self, sweep_id: int) -> list[Row]:
        """Every metric of every finished step output of the sweep's runs, in one pass:
        ``(run_id, step, step_idx, key, atom_id, task, metric, value)``, in no particular order
        (sorting 10,000 runs' rows here would triple the cost; callers order by run and step)."""
        return self.rows(
            "SELECT r.id AS run_id, s.name AS step, s.idx AS step_idx, j.key AS key, j.value AS atom_id, m.task, "
            "m.metric, m.value FROM runs r JOIN steps s ON s.run_id = r.id JOIN json_each(s.outputs) j "
            "JOIN metrics m ON m.atom_id = j.value "
            "WHERE r.sweep_id = ? AND s.status = ? AND json_valid(s.outputs)",
            (sweep_id, Status.FINISHED),
        )

    def metrics_of_atoms(self, atom_ids: Iterable[str]) -> list[Row]:
        """``(atom_id, task, metric, value)`` rows of the given evaluation atoms."""
        return self.rows(
            "SELECT atom_id, task, metric, value FROM metrics WHERE atom_id IN (SELECT value FROM json_each(?)) "
            "ORDER BY atom_id, task, metric",
            (json.dumps(sorted(set(atom_ids))),),
        )

    def run_metrics(
        self, sweep_id: int, *, finished_runs_only: bool = False, run_ids: Iterable[int] | None = None
    ) -> dict[int, dict[str, dict[str, float]]]:
        """``{run_id: {task: {metric: value}}}`` over every evaluation result of the runs."""
        found = self.result_atoms(sweep_id, finished_runs_only=finished_runs_only, run_ids=run_ids)
        by_atom: dict[str, dict[str, dict[str, float]]] = {}
        for r in self.metrics_of_atoms(a["atom_id"] for a in found):
            by_atom.setdefault(r["atom_id"], {}).setdefault(r["task"], {})[r["metric"]] = r["value"]
        out: dict[int, dict[str, dict[str, float]]] = {}
        for a in found:
            for task, values in by_atom.get(a["atom_id"], {}).items():
                out.setdefault(a["run_id"], {}).setdefault(task, {}).update(values)
        return out

    def sample_rows(self, atom_ids: Iterable[str]) -> list[Row]:
        """Per-sample rows (answer, target) of the given evaluation atoms."""
        return self.rows(
            "SELECT atom_id, task, sample_id, epoch, score, answer, target, explanation FROM samples "
            "WHERE atom_id IN (SELECT value FROM json_each(?)) ORDER BY atom_id, task, epoch, sample_id",
            (json.dumps(sorted(set(atom_ids))),),
        )

    def sample_score_rows(self, atom_ids: Iterable[str]) -> list[Row]:
        """Every score of every sample of the given evaluation atoms (long format)."""
        return self.rows(
            "SELECT atom_id, task, sample_id, epoch, name, value, text, explanation FROM sample_scores "
            "WHERE atom_id IN (SELECT value FROM json_each(?))",
            (json.dumps(sorted(set(atom_ids))),),
        )

    def sample_table(self, atom_ids: Iterable[str]) -> tuple[list[str], list[str], list[tuple[Any, ...]]]:
        """Every sample of the given evaluation atoms, one row each, with one column per score
        (pivoted here, in SQL, and read as plain tuples: a million scores must not become a
        million Python objects).

        Returns ``(score names, columns, tuples)``; columns are ``atom_id, task, sample_id,
        epoch``, the score names in order of first appearance, then ``answer, target``.
        """
        ids = json.dumps(sorted(set(atom_ids)))
        cur = self.conn.cursor()
        cur.row_factory = None
        names = [
            r[0]
            for r in cur.execute(
                "SELECT name FROM sample_scores WHERE atom_id IN (SELECT value FROM json_each(?)) "
                "GROUP BY name ORDER BY MIN(rowid)",
                (ids,),
            )
        ]
        picks = "".join(", MAX(CASE WHEN name = ? THEN COALESCE(value, text) END)" for _ in names)
        order = " ORDER BY atom_id, task, sample_id, epoch"
        scores = cur.execute(
            f"SELECT atom_id, task, sample_id, epoch{picks} FROM sample_scores "
            "WHERE atom_id IN (SELECT value FROM json_each(?)) GROUP BY atom_id, task, sample_id, epoch" + order,
            (*names, ids),
        ).fetchall()
        texts = cur.execute(
            "SELECT atom_id, task, sample_id, epoch, answer, target FROM samples "
            "WHERE atom_id IN (SELECT value FROM json_each(?))" + order,
            (ids,),
        ).fetchall()
        if len(texts) == len(scores) and all(a[:4] == b[:4] for a, b in zip(scores, texts, strict=True)):
            rows = [(*row, text[4], text[5]) for row, text in zip(scores, texts, strict=True)]
        else:  # a sample without scores, or scores without their sample row: match by key
            by_key = {t[:4]: t[4:] for t in texts}
            rows = [(*row, *by_key.get(row[:4], (None, None))) for row in scores]
        return names, ["atom_id", "task", "sample_id", "epoch", *names, "answer", "target"], rows

    # -- atoms --------------------------------------------------------------------------------
    def atom(self, atom_id: str) -> Row | None:
        return self.one("SELECT * FROM atoms WHERE id = ?", (atom_id,))

    def atom_summaries(self, atom_ids: Iterable[str]) -> dict[str, Row]:
        """``{id: (id, kind, path, data, size)}`` for the given atoms."""
        return {
            r["id"]: r
            for r in self.rows(
                "SELECT id, kind, path, data, size FROM atoms WHERE id IN (SELECT value FROM json_each(?))",
                (json.dumps(sorted(set(atom_ids))),),
            )
        }

    def has_atom(self, atom_id: str) -> bool:
        return self.one("SELECT 1 AS x FROM atoms WHERE id = ?", (atom_id,)) is not None

    def metrics_for(self, atom_id: str) -> list[Row]:
        return self.rows("SELECT * FROM metrics WHERE atom_id = ? ORDER BY task, metric", (atom_id,))

    # -- events -------------------------------------------------------------------------------
    def events(
        self, *, sweep_id: int | None = None, run_id: int | None = None, after_id: int = 0, limit: int = 1000
    ) -> list[Row]:
        if run_id is not None:
            return self.rows(
                "SELECT * FROM events WHERE run_id = ? AND id > ? ORDER BY id LIMIT ?", (run_id, after_id, limit)
            )
        return self.rows(
            "SELECT * FROM events WHERE sweep_id = ? AND id > ? ORDER BY id LIMIT ?", (sweep_id, after_id, limit)
        )

    def sweep_warnings(self, sweep_id: int) -> list[str]:
        """The sweep's own warnings (not a run's), each once, oldest first."""
        rows = self.rows(
            "SELECT message, MIN(id) AS first FROM events WHERE sweep_id = ? AND run_id IS NULL AND level = 'warning' "
            "GROUP BY message ORDER BY first",
            (sweep_id,),
        )
        return [r["message"] for r in rows]

    def latest_events(self, sweep_id: int, after_id: int) -> list[Row]:
        """The newest event of each run (and of the sweep itself, ``run_id`` NULL) after ``after_id``."""
        return self.rows(
            "SELECT run_id, message, MAX(id) AS id FROM events WHERE sweep_id = ? AND id > ? GROUP BY run_id",
            (sweep_id, after_id),
        )

    # -- the cache ----------------------------------------------------------------------------
    def cache_entries(self, *, step: str | None = None, sweep_id: int | None = None) -> list[Row]:
        """Cached step results, newest first, with the sweep and run that produced each."""
        sql = (
            "SELECT c.cache_key, c.step_name, c.workflow, c.created_at, c.run_id, r.idx AS run_idx, "
            "w.name AS sweep FROM cache c LEFT JOIN runs r ON r.id = c.run_id "
            "LEFT JOIN sweeps w ON w.id = r.sweep_id WHERE 1 = 1"
        )
        params: list[Any] = []
        if step is not None:
            sql += " AND c.step_name = ?"
            params.append(step)
        if sweep_id is not None:
            sql += " AND r.sweep_id = ?"
            params.append(sweep_id)
        return self.rows(sql + " ORDER BY c.created_at DESC", params)

    def cached_outputs(self, step_names: Iterable[str]) -> list[Row]:
        """``(cache_key, outputs)`` of every cached result of the given steps."""
        return self.rows(
            "SELECT cache_key, outputs FROM cache WHERE step_name IN (SELECT value FROM json_each(?))",
            (json.dumps(list(step_names)),),
        )

    def checkpoints(self) -> list[Row]:
        return self.rows("SELECT cache_key, state FROM checkpoints")


__all__ = ["ReadModel", "Row"]
