"""Test doubles that wrap the real dummy backends and count what they are asked to do."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from typing import Any

from motools.evals.backends.dummy import DummyEvalBackend
from motools.training.backends.dummy import DummyTrainingBackend
from mozoo.datasets.hello_world import generate_hello_world_dataset

LOADER_CALLS: Counter[str] = Counter()
_lock = threading.Lock()


def counting_loader(num_samples: int = 20, seed: int = 0, tag: str = "a") -> list[dict[str, Any]]:
    """The hello-world dataset, counting how often each variant is built."""
    with _lock:
        LOADER_CALLS[tag] += 1
    import time

    time.sleep(0.05)  # long enough for concurrent runs to overlap
    return generate_hello_world_dataset(num_samples=num_samples, seed=seed)


class CountingTraining(DummyTrainingBackend):
    name = "counting"

    def __init__(self) -> None:
        super().__init__()
        self.submits: list[dict[str, Any]] = []
        self.waits = 0
        self.active = 0
        self.max_active = 0

    async def submit(self, ctx: Any, request: Any) -> dict[str, Any]:
        self.submits.append(dict(request.hyperparameters))
        job = await super().submit(ctx, request)
        job["backend"] = self.name
        return job

    async def wait(self, ctx: Any, job: dict[str, Any]) -> dict[str, Any]:
        self.waits += 1
        self.active += 1
        self.max_active = max(self.max_active, self.active)
        try:
            await asyncio.sleep(0.02)
            return await super().wait(ctx, job)
        finally:
            self.active -= 1


class CountingEval(DummyEvalBackend):
    name = "counting"

    def __init__(self, fail_when: dict[str, Any] | None = None) -> None:
        self.calls: list[dict[str, Any]] = []
        self.fail_when = fail_when or {}

    async def evaluate(self, ctx: Any, request: Any) -> Any:
        hp = request.model.get("hyperparameters", {})
        self.calls.append(hp)
        if self.fail_when and all(hp.get(k) == v for k, v in self.fail_when.items()):
            raise RuntimeError(f"evaluation exploded for {self.fail_when}")
        return await super().evaluate(ctx, request)
