"""The ``dummy`` evaluation backend: the task's own scorers on a simulated model's answers.

No language model runs and no Inspect evaluation loop: for ``dummy``-trained models (and
``motools-simulated/...`` base models) the simulated model (:mod:`motools.training.simulation`)
answers each sample, then the task's own scorers score the answers and Inspect's own metric
code reduces them (:func:`motools.evals.scoring.score_answers`), so metric and score names equal
a real ``inspect`` evaluation's. Other models count as answering nothing.
"""

from __future__ import annotations

import asyncio
from typing import Any

from motools.evals.base import EvalRequest, EvalResult
from motools.evals.scoring import score_answers
from motools.evals.tasks import load_task, prompt_of
from motools.training.faults import maybe_fail
from motools.training.simulation import simulated_reply
from motools.workflow.context import StepContext


class DummyEvalBackend:
    name = "dummy"

    def preflight(self) -> list[str]:
        return []

    async def evaluate(self, ctx: StepContext, request: EvalRequest) -> EvalResult:
        task = await asyncio.to_thread(load_task, request.task, request.task_args)
        samples = list(task.dataset)
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
        answers = [
            (sample, epoch, simulated_reply(simulation, prompt_of(sample)) if simulation else "")
            for epoch in range(1, request.epochs + 1)
            for sample in samples
        ]
        model = str(request.model.get("model") or "none")
        metrics, scores = await score_answers(task, answers, model)
        return EvalResult(task=task.name, metrics=metrics, samples=scores, model=model)
