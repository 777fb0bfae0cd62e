"""The worker's :class:`~motools.workflow.context.StepServices`: a step's writes become records.

Atoms are written as files (if large) before their rows are queued; checkpoints are flushed
before ``save_checkpoint`` returns, so a restarted worker always finds them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from motools.atoms import Atom
from motools.store.db import Store, atom_from_row
from motools.store.records import SampleRecord, SweepRecords

log = logging.getLogger("motools.run")


class WorkerServices:
    """Services for steps executing in the sweep's worker process."""

    def __init__(self, store: Store, records: SweepRecords, sweep_name: str, checkpoints: dict[str, dict[str, Any]]):
        self.store = store
        self.records = records
        self.home: Path = store.home
        self.sweep_name = sweep_name
        self.checkpoints = checkpoints
        self._atoms: dict[str, Atom] = {}

    def log(self, run_id: int | None, step: str | None, message: str, level: str = "info") -> None:
        self.records.event(run_id, step, message, level)
        if level in ("warning", "error"):
            log.log(logging.WARNING if level == "warning" else logging.ERROR, "%s", message)

    def progress(self, run_id: int, step: str, done: float, total: float | None, message: str | None) -> None:
        self.records.step_progress(run_id, step, done, total, message)

    async def save_checkpoint(self, cache_key: str, state: dict[str, Any]) -> None:
        self.checkpoints[cache_key] = state  # a later run of the same step resumes here
        self.records.checkpoint_saved(cache_key, state)
        await self.records.flush()

    async def put_atom(
        self, kind: str, payload: bytes | str, *, metadata: dict[str, Any] | None = None, as_json: Any = None
    ) -> Atom:
        atom, row, file_bytes = self.store.atom_row_for(kind, payload, metadata=metadata, as_json=as_json)
        if atom.id in self._atoms:
            return self._atoms[atom.id]
        if file_bytes is not None:
            await asyncio.to_thread(self.store.write_atom_file, atom, file_bytes)
        self.records.atom(row)
        self._atoms[atom.id] = atom
        return atom

    async def load_atom(self, atom_id: str) -> Atom:
        atom = self._atoms.get(atom_id)
        if atom is None:
            row = await asyncio.to_thread(lambda: self.store.read.atom(atom_id))
            if row is None:
                raise KeyError(f"atom {atom_id!r} is not in the store {self.store.db_path}")
            atom = atom_from_row(row, self.store.atoms_dir)
            self._atoms[atom_id] = atom
        return atom

    def record_results(
        self, atom_id: str, task: str, metrics: Mapping[str, float], samples: Iterable[SampleRecord]
    ) -> None:
        self.records.results(atom_id, task, dict(metrics), samples)


__all__ = ["WorkerServices"]
