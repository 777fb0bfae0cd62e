"""Evaluation backends: a protocol, result types, and a registry imported on first use."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from motools.workflow.context import StepContext


@dataclass
class EvalRequest:
    """Evaluate ``model`` (a model reference from training) on ``task`` (``"module:function"``)."""

    task: str
    model: dict[str, Any]
    task_args: dict[str, Any] = field(default_factory=dict)
    limit: int | None = None
    epochs: int = 1
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class SampleScore:
    sample_id: str
    score: float
    epoch: int = 1
    answer: str | None = None
    target: str | None = None


@dataclass
class EvalResult:
    """Metrics keyed by name (``accuracy``, ``stderr``; ``scorer/metric`` when several scorers)."""

    task: str
    metrics: dict[str, float]
    samples: list[SampleScore]
    log_path: str | None = None
    model: str | None = None

    def summary(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "model": self.model,
            "metrics": self.metrics,
            "n_samples": len(self.samples),
            "log_path": self.log_path,
            "scores": [[s.sample_id, s.epoch, s.score] for s in self.samples],
        }


@runtime_checkable
class EvalBackend(Protocol):
    name: str

    def preflight(self) -> list[str]:
        ...

    async def evaluate(self, ctx: StepContext, request: EvalRequest) -> EvalResult:
        ...


EVAL_BACKENDS: dict[str, str] = {
    "dummy": "motools.evals.backends.dummy:DummyEvalBackend",
    "inspect": "motools.evals.backends.inspect:InspectEvalBackend",
}
_instances: dict[str, EvalBackend] = {}


def register_eval_backend(name: str, target: str | EvalBackend) -> None:
    if isinstance(target, str):
        EVAL_BACKENDS[name] = target
        _instances.pop(name, None)
    else:
        EVAL_BACKENDS[name] = f"<instance {type(target).__name__}>"
        _instances[name] = target


def eval_backend_names() -> list[str]:
    return sorted(EVAL_BACKENDS)


def get_eval_backend(name: str) -> EvalBackend:
    if name in _instances:
        return _instances[name]
    path = EVAL_BACKENDS.get(name)
    if path is None:
        raise ValueError(f"unknown evaluation backend {name!r}; known: {', '.join(eval_backend_names())}")
    module_name, _, cls_name = path.partition(":")
    try:
        backend = getattr(importlib.import_module(module_name), cls_name)()
    except ImportError as exc:
        raise ValueError(f"evaluation backend {name!r} cannot be loaded: {exc}") from exc
    _instances[name] = backend
    return backend
