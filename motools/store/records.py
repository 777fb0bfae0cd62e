"""What a sweep's worker writes, as named state transitions queued to its one writer.

Every write of runs, steps, results, atoms and events a worker makes goes through a
:class:`SweepRecords`, so the life of a run reads as a list of verbs (``run_started``,
``step_cached``, ``step_finished``...) and the SQL behind them lives here, in the store.
Nothing is committed until the writer's next batch; ``await flush()`` makes it durable.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from motools.atoms import canonical_json
from motools.liveness import this_host
from motools.status import UNFINISHED, Status
from motools.store.writer import StoreWriter

INSERT_ATOM = (
    "INSERT OR IGNORE INTO atoms(id, kind, content_hash, path, data, size, metadata, created_at) "
    "VALUES (?,?,?,?,?,?,?,?)"
)


@dataclass(frozen=True)
class Placement:
    """Where a step execution ran: host, process and (on a Ray cluster) node."""

    host: str
    pid: int
    node: str | None = None


def here() -> Placement:
    return Placement(this_host(), os.getpid())


@dataclass(frozen=True)
class SampleRecord:
    """One scored sample: ``scores`` maps ``<scorer>`` or ``<scorer>/<key>`` to a number or text."""

    sample_id: str
    epoch: int
    scores: dict[str, float | str | None]
    answer: str | None = None
    target: str | None = None
    explanations: dict[str, str] | None = None
    primary: float | None = None  # the first scorer's numeric value, kept for quick reads


class SweepRecords:
    """The worker's write vocabulary for one sweep (all writes queued, group-committed)."""

    def __init__(self, writer: StoreWriter, sweep_id: int):
        self.writer = writer
        self.sweep_id = sweep_id

    async def flush(self) -> None:
        await self.writer.flush()

    # -- the sweep ----------------------------------------------------------------------------
    def heartbeat(self, now: float | None = None) -> None:
        self.writer.execute("UPDATE sweeps SET heartbeat_at = ? WHERE id = ?", (now or time.time(), self.sweep_id))

    def request_done(self, request_id: int) -> None:
        self.writer.execute("UPDATE requests SET done = 1 WHERE id = ?", (request_id,))

    def unfinished_runs_cancelled(self, now: float | None = None) -> None:
        """Runs that never got to start (queued behind the parallel limit) end cancelled."""
        self.writer.execute(
            "UPDATE runs SET status = ?, finished_at = ? WHERE sweep_id = ? AND status IN (?, ?)",
            (Status.CANCELLED, now or time.time(), self.sweep_id, *sorted(UNFINISHED)),
        )

    def sweep_ended(self, status: Status, message: str | None = None, now: float | None = None) -> None:
        now = now or time.time()
        self.writer.execute(
            "UPDATE sweeps SET status = ?, finished_at = ?, worker_pid = NULL, worker_token = NULL, heartbeat_at = ?, "
            "message = COALESCE(?, message) WHERE id = ?",
            (status, now, now, message, self.sweep_id),
        )

    def event(self, run_id: int | None, step: str | None, message: str, level: str = "info") -> None:
        self.writer.execute(
            "INSERT INTO events(sweep_id, run_id, step, time, level, message) VALUES (?,?,?,?,?,?)",
            (self.sweep_id, run_id, step, time.time(), level, message),
        )

    # -- runs ---------------------------------------------------------------------------------
    def run_started(self, run_id: int) -> None:
        self.writer.execute(
            "UPDATE runs SET status = ?, started_at = ?, finished_at = NULL, attempts = attempts + 1, "
            "error = NULL, traceback = NULL WHERE id = ?",
            (Status.RUNNING, time.time(), run_id),
        )

    def run_at_step(self, run_id: int, step: str) -> None:
        self.writer.execute("UPDATE runs SET current_step = ? WHERE id = ?", (step, run_id))

    def run_finished(self, run_id: int) -> None:
        self.writer.execute(
            "UPDATE runs SET status = ?, finished_at = ?, current_step = NULL WHERE id = ?",
            (Status.FINISHED, time.time(), run_id),
        )

    def run_failed(self, run_id: int, error: str, traceback: str) -> None:
        self.writer.execute(
            "UPDATE runs SET status = ?, finished_at = ?, error = ?, traceback = ? WHERE id = ?",
            (Status.FAILED, time.time(), error, traceback, run_id),
        )

    def run_cancelled(self, run_id: int, running_steps: Sequence[str]) -> None:
        now = time.time()
        for step in running_steps:
            self.writer.execute(
                "UPDATE steps SET status = ?, finished_at = ? WHERE run_id = ? AND name = ?",
                (Status.CANCELLED, now, run_id, step),
            )
        self.writer.execute("UPDATE runs SET status = ?, finished_at = ? WHERE id = ?", (Status.CANCELLED, now, run_id))

    # -- steps --------------------------------------------------------------------------------
    def step_cached(self, run_id: int, step: str, idx: int, cache_key: str, outputs: dict[str, str]) -> None:
        now = time.time()
        self.writer.execute(
            "INSERT INTO steps(run_id, name, idx, status, cache_key, cached, outputs, started_at, finished_at, "
            "progress, progress_total) VALUES (?,?,?,?,?,1,?,?,?,1,1) "
            "ON CONFLICT(run_id, name) DO UPDATE SET status = excluded.status, cache_key = excluded.cache_key, "
            "cached = 1, outputs = excluded.outputs, started_at = excluded.started_at, "
            "finished_at = excluded.finished_at, error = NULL, traceback = NULL, progress = 1, progress_total = 1",
            (run_id, step, idx, Status.FINISHED, cache_key, canonical_json(outputs), now, now),
        )

    def step_started(
        self, run_id: int, step: str, idx: int, cache_key: str, started: float, where: Placement | None = None
    ) -> None:
        where = where or here()
        self.writer.execute(
            "INSERT INTO steps(run_id, name, idx, status, cache_key, cached, started_at, host, pid, node) "
            "VALUES (?,?,?,?,?,0,?,?,?,?) ON CONFLICT(run_id, name) DO UPDATE SET status = excluded.status, "
            "cache_key = excluded.cache_key, cached = 0, started_at = excluded.started_at, finished_at = NULL, "
            "outputs = NULL, error = NULL, traceback = NULL, progress = NULL, progress_total = NULL, "
            "progress_message = NULL, host = excluded.host, pid = excluded.pid, node = excluded.node",
            (run_id, step, idx, Status.RUNNING, cache_key, started, where.host, where.pid, where.node),
        )

    def step_placed(self, run_id: int, step: str, where: Placement) -> None:
        """Where a step really ran, once an executor says (a pool process, a Ray node)."""
        self.writer.execute(
            "UPDATE steps SET host = ?, pid = ?, node = ? WHERE run_id = ? AND name = ?",
            (where.host, where.pid, where.node, run_id, step),
        )

    def step_progress(self, run_id: int, step: str, done: float, total: float | None, message: str | None) -> None:
        self.writer.execute(
            "UPDATE steps SET progress = ?, progress_total = ?, progress_message = ? WHERE run_id = ? AND name = ?",
            (done, total, message, run_id, step),
        )

    def step_finished(
        self, run_id: int, step: str, cache_key: str, outputs: dict[str, str], *, workflow: str, had_checkpoint: bool
    ) -> None:
        """The step's outputs, and its cache entry, in the same batch: both or neither."""
        finished = time.time()
        out_json = canonical_json(outputs)
        self.writer.execute(
            "UPDATE steps SET status = ?, outputs = ?, finished_at = ?, progress = COALESCE(progress_total, 1), "
            "progress_total = COALESCE(progress_total, 1) WHERE run_id = ? AND name = ?",
            (Status.FINISHED, out_json, finished, run_id, step),
        )
        self.writer.execute(
            "INSERT INTO cache(cache_key, step_name, workflow, outputs, run_id, created_at) VALUES (?,?,?,?,?,?) "
            "ON CONFLICT(cache_key) DO UPDATE SET outputs = excluded.outputs, run_id = excluded.run_id, "
            "created_at = excluded.created_at",
            (cache_key, step, workflow, out_json, run_id, finished),
        )
        if had_checkpoint:
            self.writer.execute("DELETE FROM checkpoints WHERE cache_key = ?", (cache_key,))

    def step_failed(
        self, run_id: int, step: str, idx: int, cache_key: str, started: float, error: str, traceback: str
    ) -> None:
        self.writer.execute(
            "INSERT INTO steps(run_id, name, idx, status, cache_key, started_at, finished_at, error, traceback) "
            "VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT(run_id, name) DO UPDATE SET status = excluded.status, "
            "finished_at = excluded.finished_at, error = excluded.error, traceback = excluded.traceback",
            (run_id, step, idx, Status.FAILED, cache_key, started, time.time(), error, traceback),
        )

    def checkpoint_saved(self, cache_key: str, state: dict[str, Any]) -> None:
        self.writer.execute(
            "INSERT INTO checkpoints(cache_key, state, updated_at) VALUES (?,?,?) ON CONFLICT(cache_key) "
            "DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
            (cache_key, canonical_json(state), time.time()),
        )

    # -- atoms and results --------------------------------------------------------------------
    def atom(self, row: tuple[Any, ...]) -> None:
        self.writer.execute(INSERT_ATOM, row)

    def results(self, atom_id: str, task: str, metrics: dict[str, float], samples: Iterable[SampleRecord]) -> None:
        """An evaluation's metrics and every score of every sample, keyed by its result atom."""
        w = self.writer
        w.executemany(
            "INSERT OR REPLACE INTO metrics(atom_id, task, metric, value) VALUES (?,?,?,?)",
            [(atom_id, task, k, float(v)) for k, v in metrics.items()],
        )
        sample_rows, score_rows = [], []
        for s in samples:
            sample_rows.append(
                (
                    atom_id,
                    task,
                    s.sample_id,
                    s.epoch,
                    s.primary,
                    s.answer,
                    s.target,
                    json.dumps(s.explanations) if s.explanations else None,
                )
            )
            for name, value in s.scores.items():
                number = float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
                text = None if number is not None or value is None else str(value)
                explanation = (s.explanations or {}).get(name.split("/", 1)[0])
                score_rows.append((atom_id, task, s.sample_id, s.epoch, name, number, text, explanation))
        w.executemany(
            "INSERT OR REPLACE INTO samples(atom_id, task, sample_id, epoch, score, answer, target, explanation) "
            "VALUES (?,?,?,?,?,?,?,?)",
            sample_rows,
        )
        w.executemany(
            "INSERT OR REPLACE INTO sample_scores(atom_id, task, sample_id, epoch, name, value, text, explanation) "
            "VALUES (?,?,?,?,?,?,?,?)",
            score_rows,
        )


__all__ = ["INSERT_ATOM", "Placement", "SampleRecord", "SweepRecords", "here"]
