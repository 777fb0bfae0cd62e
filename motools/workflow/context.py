"""What a step sees while it runs: atoms, progress, logs, checkpoints, metrics."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from motools.atoms import Atom, canonical_json

if TYPE_CHECKING:
    from motools.workflow.execution import SweepExecution

log = logging.getLogger("motools.run")

PROGRESS_INTERVAL_S = 0.25


class StepContext:
    """Handed to every step function. Writes are queued to the worker's single writer."""

    def __init__(self, execution: SweepExecution, run_id: int, step_name: str, cache_key: str,
                 checkpoint: dict[str, Any] | None):
        self._ex = execution
        self.run_id = run_id
        self.step_name = step_name
        self.cache_key = cache_key
        self.checkpoint = checkpoint
        self._last_progress = 0.0

    @property
    def store(self) -> Any:
        return self._ex.store

    @property
    def sweep_name(self) -> str:
        return self._ex.sweep_name

    def log(self, message: str, level: str = "info") -> None:
        """A line for the live log pane and the run's event history."""
        self._ex.event(self.run_id, self.step_name, message, level)

    def progress(self, done: float, total: float | None = None, message: str | None = None) -> None:
        """Report progress; rate-limited, except that completion is always written."""
        now = time.monotonic()
        final = total is not None and done >= total
        if not final and now - self._last_progress < PROGRESS_INTERVAL_S:
            return
        self._last_progress = now
        self._ex.writer.execute(
            "UPDATE steps SET progress = ?, progress_total = ?, progress_message = ? "
            "WHERE run_id = ? AND name = ?",
            (done, total, message, self.run_id, self.step_name),
        )

    async def save_checkpoint(self, state: dict[str, Any]) -> None:
        """Durably record resumable state (a remote job id, a training step) before going on."""
        self.checkpoint = state
        self._ex.remember_checkpoint(self.cache_key, state)  # a later run of the same step resumes here
        self._ex.writer.execute(
            "INSERT INTO checkpoints(cache_key, state, updated_at) VALUES (?,?,?) "
            "ON CONFLICT(cache_key) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
            (self.cache_key, canonical_json(state), time.time()),
        )
        await self._ex.writer.flush()

    async def put_json_atom(self, kind: str, obj: Any, metadata: dict[str, Any] | None = None) -> Atom:
        return await self._ex.put_atom(kind, canonical_json(obj), metadata=metadata, as_json=obj)

    async def put_file_atom(self, kind: str, data: bytes, metadata: dict[str, Any] | None = None) -> Atom:
        return await self._ex.put_atom(kind, data, metadata=metadata)

    async def load_atom(self, atom_id: str) -> Atom:
        return await self._ex.load_atom(atom_id)

    def record_eval(self, atom_id: str, task: str, metrics: dict[str, float],
                    samples: Iterable[tuple[str, int, float, str | None, str | None]]) -> None:
        """Metric and per-sample rows for an evaluation atom (collation and CIs query these)."""
        w = self._ex.writer
        w.executemany(
            "INSERT OR REPLACE INTO metrics(atom_id, task, metric, value) VALUES (?,?,?,?)",
            [(atom_id, task, k, float(v)) for k, v in metrics.items()],
        )
        w.executemany(
            "INSERT OR REPLACE INTO samples(atom_id, task, sample_id, epoch, score, answer, target) "
            "VALUES (?,?,?,?,?,?,?)",
            [(atom_id, task, sid, ep, sc, ans, tgt) for sid, ep, sc, ans, tgt in samples],
        )
