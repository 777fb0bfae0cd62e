"""Training backends: a protocol, and a registry that imports implementations on first use."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from motools.registry import Registry

if TYPE_CHECKING:
    from motools.atoms import Atom
    from motools.workflow.context import StepContext


@dataclass
class TrainingRequest:
    """What ``submit_training`` asks a backend for; ``dataset`` is a JSONL atom of chat examples."""

    base_model: str
    hyperparameters: dict[str, Any]
    dataset: Atom
    suffix: str | None = None
    options: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class TrainingBackend(Protocol):
    name: str

    def preflight(self) -> list[str]:
        """Problems that stop this backend from running at all (no key, say); no network."""
        ...

    async def submit(self, ctx: StepContext, request: TrainingRequest) -> dict[str, Any]:
        """Start training; return a JSON job record (persisted at once, so a restart reattaches)."""
        ...

    async def wait(self, ctx: StepContext, job: dict[str, Any]) -> dict[str, Any]:
        """Block until the job is done; return a JSON model reference for evaluation."""
        ...


training_backends = Registry[TrainingBackend](
    "training",
    {
        "dummy": "motools.training.backends.dummy:DummyTrainingBackend",
        "tinker": "motools.training.backends.tinker:TinkerTrainingBackend",
    },
)
register_training_backend = training_backends.register
training_backend_names = training_backends.names
get_training_backend = training_backends.get
