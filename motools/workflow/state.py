"""What a run looks like after (or while) it executes."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from motools.status import Status


@dataclass
class StepState:
    name: str
    status: str = Status.PENDING
    cache_key: str | None = None
    cached: bool = False
    output_atoms: dict[str, str] = field(default_factory=dict)
    started_at: float | None = None
    finished_at: float | None = None
    error: str | None = None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> StepState:
        """A step as the store recorded it."""
        return cls(
            name=row["name"],
            status=row["status"],
            cache_key=row["cache_key"],
            cached=bool(row["cached"]),
            output_atoms=json.loads(row["outputs"] or "{}"),
            started_at=row["started_at"],
            finished_at=row["finished_at"],
            error=row.get("error"),
        )


@dataclass
class WorkflowState:
    """One run of a workflow: its resolved config and every step's state.

    ``state.get_step_state(step).output_atoms[key]`` is the id of the atom a step produced;
    ``home`` says which store holds it; ``result_outputs`` lists the ``(step, output)`` pairs
    the workflow declares as evaluation results.
    """

    workflow_name: str
    config: Any
    params: dict[str, Any]
    step_states: dict[str, StepState]
    status: str = Status.PENDING
    run_id: int | None = None
    run_index: int | None = None
    sweep_name: str | None = None
    home: str | None = None
    error: str | None = None
    result_outputs: list[tuple[str, str]] = field(default_factory=list)

    def get_step_state(self, name: str) -> StepState:
        try:
            return self.step_states[name]
        except KeyError:
            raise KeyError(f"no step {name!r}; steps: {', '.join(self.step_states)}") from None

    def load_atom(self, atom_id: str) -> Any:
        from motools.store import open_store

        return open_store(Path(self.home) if self.home else None).get_atom(atom_id)
