"""The ``local`` executor: every step runs in the sweep's worker, as asyncio tasks (the default).

It takes no step, so the runner calls each step function in the worker's own event loop with
the worker's own services: checkpoints are durable at once, atoms go straight to the store.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from motools.executors.base import Placeable, StepRequest, StepResult, StepSink


class LocalExecutor:
    name = "local"
    ships_files = False
    slots = None

    def takes(self, step: Placeable) -> bool:
        return False

    def warm(self, workflow: str, import_paths: tuple[str, ...], configs: dict[str, dict[str, Any]]) -> None:
        return None  # nothing to start ahead: steps run in the worker

    async def run(self, request: StepRequest, sink: StepSink) -> StepResult:
        raise RuntimeError("the local executor runs steps in the worker itself; nothing is handed to it")

    async def shutdown(self) -> None:
        return None


__all__ = ["LocalExecutor"]
