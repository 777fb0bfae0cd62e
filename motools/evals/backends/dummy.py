"""The ``dummy`` evaluation backend: scores a task's samples against a simulated model.

No language model runs. For ``dummy``-trained models it asks the simulated fine-tuned model
(:mod:`motools.training.simulation`) for each reply and scores it with a match against the
target, as Inspect's ``match()`` scorer would; other models count as answering nothing.
"""

from __future__ import annotations

import asyncio
import math
from typing import Any

from motools.evals.base import EvalRequest, EvalResult, SampleScore
from motools.evals.tasks import task_samples
from motools.training.faults import maybe_fail
from motools.training.simulation import simulated_reply
from motools.workflow.context import StepContext


def match_score(answer: str, target: str) -> float:
    """Inspect's default ``match()``: the target at the end, case- and whitespace-insensitive."""
    a, t = answer.strip().lower(), target.strip().lower()
    return 1.0 if t and a.endswith(t) else 0.0


def accuracy_and_stderr(scores: list[float]) -> dict[str, float]:
    n = len(scores)
    if n == 0:
        return {"accuracy": float("nan"), "stderr": float("nan")}
    mean = sum(scores) / n
    if n < 2:
        return {"accuracy": mean, "stderr": 0.0}
    var = sum((s - mean) ** 2 for s in scores) / (n - 1)
    return {"accuracy": mean, "stderr": math.sqrt(var / n)}


class DummyEvalBackend:
    name = "dummy"

    def preflight(self) -> list[str]:
        return []

    async def evaluate(self, ctx: StepContext, request: EvalRequest) -> EvalResult:
        name, samples = await asyncio.to_thread(task_samples, request.task, request.task_args)
        if request.limit is not None:
            samples = samples[: request.limit]
        maybe_fail(
            "evaluation",
            float(request.options.get("transient_failure_rate") or 0.0),
            float(request.options.get("permanent_failure_rate") or 0.0),
        )
        latency = float(request.options.get("latency_s") or 0.0)
        if latency > 0:
            await asyncio.sleep(latency)
        simulation: dict[str, Any] | None = request.model.get("simulation")
        scores = []
        for epoch in range(1, request.epochs + 1):
            for s in samples:
                answer = simulated_reply(simulation, s.prompt) if simulation else ""
                scores.append(SampleScore(s.id, match_score(answer, s.target), epoch, answer, s.target))
        return EvalResult(
            task=name,
            metrics=accuracy_and_stderr([s.score for s in scores]),
            samples=scores,
            model=request.model.get("model"),
        )
