"""The driver's side of an executor: hand a step over, record what comes back.

A :class:`Handoff` builds the :class:`~motools.executors.base.StepRequest` of a step (its input
atoms shipped as JSON, paths or bytes), runs it on the sweep's executor, and records the result
through the worker's own services and records: placement, log lines and progress (as they come
when the executor streams them), checkpoints (saved durably before the step goes on), atoms
(written by the driver), evaluation results. A step's exception is raised again here, with
the traceback from where it ran as its cause, so retries and failures work as for local steps.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import orjson
from pydantic import BaseModel

from motools.executors.base import AtomPayload, Executor, Note, RemoteTraceback, StepRequest
from motools.store.records import Placement, SweepRecords
from motools.workflow.base import Step, Workflow
from motools.workflow.cache import step_version
from motools.workflow.context import StepContext
from motools.workflow.services import WorkerServices

log = logging.getLogger("motools.executors")


class Handoff:
    """Runs the steps an executor takes, for one sweep execution."""

    def __init__(
        self,
        executor: Executor,
        workflow: Workflow,
        services: WorkerServices,
        records: SweepRecords,
        import_paths: tuple[str, ...] = (),
    ):
        self.executor = executor
        self.workflow = workflow
        self.services = services
        self.records = records
        self.import_paths = import_paths
        self.ref = workflow.locate()

    def takes(self, step: Step) -> bool:
        # a sweep's workflow can always be imported again (recording refuses one that cannot)
        return step.remote_ok and self.ref is not None and self.executor.takes(step)

    def warm(self, configs: dict[str, BaseModel], max_parallel: int, runs: int) -> None:
        """Let the executor start ahead of the first step it takes (``configs``: a config of each
        step of the workflow, from the first run that will execute; ``runs``: how many will).
        Says once, as a warning event, when the executor cannot be used, or not all of it."""
        taken = {name: c.model_dump(mode="json") for name, c in configs.items() if self.takes(self.workflow.step(name))}
        if taken and self.ref is not None:
            self.executor.warm(self.ref, self.import_paths, taken)
            slots = self.executor.slots
            if slots and max_parallel < min(slots, runs):  # more runs than max_parallel, processes idle
                self._warn(
                    f"max_parallel {max_parallel} lets at most {max_parallel} of the {slots} processes of the "
                    f"{self.executor.name} executor work at once: set execution.max_parallel to {slots} or more "
                    f"(a few per process, such as {4 * slots}, lets each batch its evaluations)"
                )
        elif self.executor.name != "local":
            self._warn(
                f"executor {self.executor.name}: no step of workflow {self.workflow.name!r} may run away "
                "from the worker, so every step runs here (a step opts in with remote_ok=True and "
                "resources=StepResources(...); see docs/scaling.md)"
            )

    def _warn(self, message: str) -> None:
        log.warning("%s", message)
        self.records.event(None, None, message, "warning")

    async def run(self, step: Step, ctx: StepContext, config: BaseModel, inputs: dict[str, str]) -> dict[str, str]:
        assert self.ref is not None
        request = StepRequest(
            workflow=self.ref,
            import_paths=self.import_paths,
            step=step.name,
            version=step_version(step),
            config=config.model_dump(mode="json"),
            inputs={k: await self.payload(v) for k, v in inputs.items()},
            run_id=ctx.run_id,
            cache_key=ctx.cache_key,
            sweep_name=self.services.sweep_name,
            home=str(self.services.home),
            checkpoint=ctx.checkpoint,
            resources=step.resources,
        )
        sink = _Sink(self, ctx)
        result = await self.executor.run(request, sink)
        sink.placed(result.placement)
        for note in result.notes:
            await sink.apply(note)
        if result.error is not None:
            error = result.error
            tb = getattr(error, "remote_traceback", None)
            if tb:
                raise error from RemoteTraceback(tb)
            raise error
        assert result.outputs is not None
        for made in result.atoms:
            as_json = orjson.loads(made.payload) if made.is_json else None
            atom = await self.services.put_atom(made.kind, made.payload, metadata=made.metadata, as_json=as_json)
            if atom.id != made.id:
                raise RuntimeError(f"atom {made.id} came back as {atom.id}: the step's process makes atoms differently")
        for ev in result.evals:
            self.services.record_results(ev.atom_id, ev.task, ev.metrics, ev.samples)
        return dict(result.outputs)

    async def payload(self, atom_id: str) -> AtomPayload:
        """An atom of the driver's store as the executor ships it."""
        atom = await self.services.load_atom(atom_id)
        base: dict[str, Any] = {
            "id": atom.id,
            "kind": atom.kind,
            "content_hash": atom.content_hash,
            "metadata": dict(atom.metadata),
        }
        if atom.path is None:
            return AtomPayload(**base, data=atom.data)
        if self.executor.ships_files:
            return AtomPayload(**base, content=await asyncio.to_thread(atom.path.read_bytes))
        return AtomPayload(**base, path=str(atom.path))


class _Sink:
    """One step execution's line back to the driver (see :class:`~motools.executors.base.StepSink`)."""

    def __init__(self, handoff: Handoff, ctx: StepContext):
        self.handoff = handoff
        self.ctx = ctx
        self._where: Placement | None = None

    def placed(self, where: Placement) -> None:
        if where != self._where:
            self._where = where
            self.handoff.records.step_placed(self.ctx.run_id, self.ctx.step_name, where)

    def note(self, note: Note) -> None:
        kind = note[0]
        if kind == "log":
            _, _at, level, message = note
            self.ctx.log(message, level)
        elif kind == "progress":
            _, done, total, message = note
            self.handoff.services.progress(self.ctx.run_id, self.ctx.step_name, done, total, message)

    async def apply(self, note: Note) -> None:
        if note[0] == "checkpoint":
            await self.ctx.save_checkpoint(note[1])
        else:
            self.note(note)

    async def ask(self, kind: str, payload: Any) -> Any:
        if kind == "checkpoint":
            await self.ctx.save_checkpoint(payload)
            return None
        if kind == "atom":
            return await self.handoff.payload(payload)
        raise ValueError(f"unknown request {kind!r} from a step")


__all__ = ["Handoff"]
