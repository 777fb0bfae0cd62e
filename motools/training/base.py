"""Training backends: a protocol, and a registry that imports implementations on first use."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

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


TRAINING_BACKENDS: dict[str, str] = {
    "dummy": "motools.training.backends.dummy:DummyTrainingBackend",
    "tinker": "motools.training.backends.tinker:TinkerTrainingBackend",
}
_instances: dict[str, TrainingBackend] = {}


def register_training_backend(name: str, target: str | TrainingBackend) -> None:
    """Add a backend by ``"module:Class"`` path or instance (tests inject fakes this way)."""
    if isinstance(target, str):
        TRAINING_BACKENDS[name] = target
        _instances.pop(name, None)
    else:
        TRAINING_BACKENDS[name] = f"<instance {type(target).__name__}>"
        _instances[name] = target


def training_backend_names() -> list[str]:
    return sorted(TRAINING_BACKENDS)


def get_training_backend(name: str) -> TrainingBackend:
    if name in _instances:
        return _instances[name]
    path = TRAINING_BACKENDS.get(name)
    if path is None:
        raise ValueError(f"unknown training backend {name!r}; known: {', '.join(training_backend_names())}")
    module_name, _, cls_name = path.partition(":")
    try:
        backend = getattr(importlib.import_module(module_name), cls_name)()
    except ImportError as exc:
        raise ValueError(f"training backend {name!r} cannot be loaded: {exc}") from exc
    _instances[name] = backend
    return backend
