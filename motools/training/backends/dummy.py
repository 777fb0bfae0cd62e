"""The ``dummy`` training backend: instant, offline and deterministic.

It trains nothing. The model reference it returns describes a *simulated* fine-tuned model
(see :mod:`motools.training.simulation`) whose behaviour follows its training config, so
offline sweeps show the structure a real sweep would. ``latency_s`` makes training take that
long, for demos and kill tests.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from motools.atoms import canonical_json, content_hash
from motools.training.base import TrainingRequest
from motools.training.faults import maybe_fail
from motools.training.simulation import learned_probability, learned_reply, simulation_model_name
from motools.workflow.context import StepContext


class DummyTrainingBackend:
    name = "dummy"

    def __init__(self) -> None:
        self._replies: dict[str, str | None] = {}  # dataset atom id -> learned reply

    def preflight(self) -> list[str]:
        return []

    async def submit(self, ctx: StepContext, request: TrainingRequest) -> dict[str, Any]:
        spec = {
            "base_model": request.base_model,
            "hyperparameters": request.hyperparameters,
            "suffix": request.suffix,
            "dataset": request.dataset.id,
        }
        key = content_hash(canonical_json(spec))
        faults = (
            float(request.options.get("transient_failure_rate") or 0.0),
            float(request.options.get("permanent_failure_rate") or 0.0),
        )
        maybe_fail("submit_training", *faults)
        ctx.log(f"simulated training job dummy-{key[:12]} submitted")
        return {
            "backend": self.name,
            "job_id": f"dummy-{key[:16]}",
            "key": key,
            **spec,
            "latency_s": float(request.options.get("latency_s") or 0.0),
            "faults": list(faults),
        }

    async def wait(self, ctx: StepContext, job: dict[str, Any]) -> dict[str, Any]:
        latency = float(job.get("latency_s") or 0.0)
        maybe_fail("wait_for_training", *(job.get("faults") or (0.0, 0.0)))
        if latency > 0:
            ticks = max(1, min(20, int(latency / 0.1)))
            start = time.monotonic()
            for i in range(ticks):
                await asyncio.sleep(max(0.0, start + latency * (i + 1) / ticks - time.monotonic()))
                ctx.progress(i + 1, ticks, f"simulated training {i + 1}/{ticks}")
        if job["dataset"] not in self._replies:
            dataset = await ctx.load_atom(job["dataset"])
            examples = await asyncio.to_thread(dataset.read_jsonl)
            self._replies[job["dataset"]] = learned_reply(examples)
        hp = dict(job["hyperparameters"])
        simulation = {
            "key": job["key"],
            "p_learned": learned_probability(hp),
            "learned_reply": self._replies[job["dataset"]],
        }
        return {
            "backend": self.name,
            "model": simulation_model_name(job["base_model"], job["key"]),
            "base_model": job["base_model"],
            "job_id": job["job_id"],
            "hyperparameters": hp,
            "suffix": job.get("suffix"),
            "simulated": True,
            "simulation": simulation,
        }
