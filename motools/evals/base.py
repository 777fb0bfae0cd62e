"""Evaluation backends: a protocol, result types, and a registry imported on first use."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from motools.registry import Registry

if TYPE_CHECKING:
    from motools.store.records import SampleRecord
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
    """One sample's result. ``score`` is the first scorer's value as a number; ``scores`` holds
    every scorer's (``<scorer>`` or ``<scorer>/<key>``), a number where it converts, else text."""

    sample_id: str
    score: float
    epoch: int = 1
    answer: str | None = None
    target: str | None = None
    scores: dict[str, float | str | None] = field(default_factory=dict)
    explanations: dict[str, str] = field(default_factory=dict)


@dataclass
class EvalResult:
    """Metrics keyed by name (``accuracy``, ``stderr``; ``scorer/metric`` when several scorers)."""

    task: str
    metrics: dict[str, float]
    samples: list[SampleScore]
    log_path: str | None = None
    model: str | None = None

    def sample_records(self) -> list[SampleRecord]:
        """What the store keeps of every sample (see :meth:`StepContext.record_eval`)."""
        from motools.store.records import SampleRecord

        return [
            SampleRecord(
                s.sample_id,
                s.epoch,
                dict(s.scores) or {"score": s.score},
                s.answer,
                s.target,
                dict(s.explanations) or None,
                s.score,
            )
            for s in self.samples
        ]

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

    def preflight(self) -> list[str]: ...

    async def evaluate(self, ctx: StepContext, request: EvalRequest) -> EvalResult: ...


eval_backends = Registry[EvalBackend](
    "evaluation",
    {
        "dummy": "motools.evals.backends.dummy:DummyEvalBackend",
        "inspect": "motools.evals.backends.inspect:InspectEvalBackend",
    },
)
register_eval_backend = eval_backends.register
eval_backend_names = eval_backends.names
get_eval_backend = eval_backends.get
