"""What a step sees while it runs: atoms, progress, logs, checkpoints and results.

A :class:`StepContext` talks to whatever executes the step through the narrow
:class:`StepServices` protocol: in the sweep's worker that is the worker's own recorder (writes
queued to the store's one writer); in a pool process or on a Ray node it is a buffer whose
contents the executor hands back to the worker. Steps never see which.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from motools.atoms import Atom, canonical_json

if TYPE_CHECKING:
    from motools.store.records import SampleRecord

PROGRESS_INTERVAL_S = 0.25


class Evaluation(Protocol):
    """What :meth:`StepContext.record_eval` needs of a result (``motools.evals.EvalResult`` is one)."""

    task: str
    metrics: dict[str, float]

    def summary(self) -> dict[str, Any]: ...

    def sample_records(self) -> list[SampleRecord]: ...


class StepServices(Protocol):
    """The services a step execution needs, as the engine or an executor provides them."""

    home: Path
    sweep_name: str

    def log(self, run_id: int, step: str, message: str, level: str) -> None: ...

    def progress(self, run_id: int, step: str, done: float, total: float | None, message: str | None) -> None: ...

    async def save_checkpoint(self, cache_key: str, state: dict[str, Any]) -> None: ...

    async def put_atom(
        self, kind: str, payload: bytes | str, *, metadata: dict[str, Any] | None = None, as_json: Any = None
    ) -> Atom: ...

    async def load_atom(self, atom_id: str) -> Atom: ...

    def record_results(
        self, atom_id: str, task: str, metrics: Mapping[str, float], samples: Iterable[SampleRecord]
    ) -> None: ...


class StepContext:
    """Handed to every step function."""

    def __init__(
        self, services: StepServices, run_id: int, step_name: str, cache_key: str, checkpoint: dict[str, Any] | None
    ):
        self._services = services
        self.run_id = run_id
        self.step_name = step_name
        self.cache_key = cache_key
        self.checkpoint = checkpoint
        self._last_progress = 0.0

    @property
    def home(self) -> Path:
        """The store's folder (``.motools``): where Inspect logs and other files go."""
        return self._services.home

    @property
    def sweep_name(self) -> str:
        return self._services.sweep_name

    def log(self, message: str, level: str = "info") -> None:
        """A line for the live log pane and the run's event history."""
        self._services.log(self.run_id, self.step_name, message, level)

    def progress(self, done: float, total: float | None = None, message: str | None = None) -> None:
        """Report progress; rate-limited, except that completion is always written."""
        now = time.monotonic()
        final = total is not None and done >= total
        if not final and now - self._last_progress < PROGRESS_INTERVAL_S:
            return
        self._last_progress = now
        self._services.progress(self.run_id, self.step_name, done, total, message)

    async def save_checkpoint(self, state: dict[str, Any]) -> None:
        """Durably record resumable state (a remote job id, a training step) before going on."""
        self.checkpoint = state
        await self._services.save_checkpoint(self.cache_key, state)

    async def put_json_atom(self, kind: str, obj: Any, metadata: dict[str, Any] | None = None) -> Atom:
        return await self._services.put_atom(kind, canonical_json(obj), metadata=metadata, as_json=obj)

    async def put_file_atom(self, kind: str, data: bytes, metadata: dict[str, Any] | None = None) -> Atom:
        return await self._services.put_atom(kind, data, metadata=metadata)

    async def load_atom(self, atom_id: str) -> Atom:
        return await self._services.load_atom(atom_id)

    async def record_eval(self, result: Evaluation, kind: str = "evaluation") -> Atom:
        """Store an evaluation's result as an atom and record its metrics and every sample's
        scores, so collation, ``sweep show``/``export`` and the app find them. Return the atom
        (a step returns it as one of its outputs)."""
        atom = await self.put_json_atom(kind, result.summary())
        self._services.record_results(atom.id, result.task, result.metrics, result.sample_records())
        return atom


__all__ = ["Evaluation", "StepContext", "StepServices"]
