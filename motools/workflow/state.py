"""What a run looks like after (or while) it executes."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class StepState:
    name: str
    status: str = "pending"  # pending | running | finished | failed | cancelled
    cache_key: str | None = None
    cached: bool = False
    output_atoms: dict[str, str] = field(default_factory=dict)
    started_at: float | None = None
    finished_at: float | None = None
    error: str | None = None


@dataclass
class WorkflowState:
    """One run of a workflow: its resolved config and every step's state.

    ``state.get_step_state("evaluate_model").output_atoms["eval_results"]`` is the atom id of
    the evaluation results; ``home`` says which store holds it.
    """

    workflow_name: str
    config: Any
    params: dict[str, Any]
    step_states: dict[str, StepState]
    status: str = "pending"
    run_id: int | None = None
    run_index: int | None = None
    sweep_name: str | None = None
    home: str | None = None
    error: str | None = None

    def get_step_state(self, name: str) -> StepState:
        try:
            return self.step_states[name]
        except KeyError:
            raise KeyError(f"no step {name!r}; steps: {', '.join(self.step_states)}") from None

    def load_atom(self, atom_id: str) -> Any:
        from motools.store import open_store

        return open_store(Path(self.home) if self.home else None).get_atom(atom_id)
