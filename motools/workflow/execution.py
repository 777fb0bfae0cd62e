"""Executing a recorded sweep in this process: concurrency, cancellation and the sweep's end.

One :class:`SweepExecution` holds the sweep's lease (:mod:`motools.workflow.lease`), is the
only writer of its rows (through :class:`~motools.store.records.SweepRecords`), and runs each
run's steps in order with a :class:`~motools.workflow.runner.StepRunner`, at most
``max_parallel`` runs at a time.
"""

from __future__ import annotations

import asyncio
import json
import logging
import traceback
from dataclasses import dataclass, field

from motools import heap
from motools.errors import ClaimLost, StepFailed, StoreError
from motools.executors.base import ExecutorSettings, make_executor
from motools.status import Status
from motools.store.db import Store
from motools.store.records import SweepRecords
from motools.store.writer import Fence, StoreWriter
from motools.workflow.base import Workflow
from motools.workflow.events import RunEvent, RunObserver
from motools.workflow.handoff import Handoff
from motools.workflow.lease import CANCEL_POLL_S, Lease
from motools.workflow.plan import RunPlan
from motools.workflow.runner import CachePolicy, Outputs, RetryPolicy, StepRunner
from motools.workflow.services import WorkerServices
from motools.workflow.state import StepState, WorkflowState

log = logging.getLogger("motools.sweep")


@dataclass(frozen=True)
class ExecutionOptions:
    max_parallel: int = 4
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    cache: CachePolicy = field(default_factory=CachePolicy)
    input_atoms: tuple[tuple[str, str], ...] = ()
    executor: ExecutorSettings = field(default_factory=ExecutorSettings)
    spec_executor: str | None = None  # what the spec says, when this execution runs elsewhere


class SweepExecution:
    def __init__(
        self,
        store: Store,
        sweep: dict,
        workflow: Workflow,
        plans: list[RunPlan],
        options: ExecutionOptions,
        observer: RunObserver | None = None,
    ):
        self.store = store
        self.sweep = sweep
        self.sweep_id: int = sweep["id"]
        self.sweep_name: str = sweep["name"]
        self.workflow = workflow
        self.plans = plans
        self.options = options
        self.max_parallel = max(1, int(options.max_parallel))
        self.observer = observer
        self.cancelled = False
        self.status: Status = Status.PENDING
        self.lease = Lease(store, self.sweep_id)
        self._tasks: list[asyncio.Task[None]] = []
        self._records: SweepRecords | None = None
        self._writer: StoreWriter | None = None

    # -- lifecycle ----------------------------------------------------------------------------
    async def run(self) -> list[WorkflowState]:
        executor = make_executor(self.options.executor)  # refuses a missing package before the claim
        claim = await self.lease.acquire()
        cache, checkpoints = await asyncio.to_thread(self._preload)
        self._writer = await asyncio.to_thread(
            lambda: StoreWriter(self.store.db_path, fence=Fence(self.sweep_id, claim.generation))
        )
        records = self._records = SweepRecords(self._writer, self.sweep_id)
        services = WorkerServices(self.store, records, self.sweep_name, checkpoints)
        paths = tuple(json.loads(self.sweep.get("import_paths") or "[]"))
        handoff = Handoff(executor, self.workflow, services, records, paths)
        runner = StepRunner(
            self.workflow,
            records,
            services,
            cache,
            retry=self.options.retry,
            policy=self.options.cache,
            db_path=str(self.store.db_path),
            handoff=handoff,
        )
        self.lease.start_heartbeat(self._lost_claim)
        states: list[WorkflowState | None] = [None] * len(self.plans)
        try:
            if claim.cancel_requested:
                self.cancelled = True
                records.event(None, None, "cancelled before it started: nothing ran")
            else:
                started = f"sweep started: {len(self.plans)} runs, max_parallel {self.max_parallel}"
                chosen = self.options.spec_executor not in (None, executor.name)
                where = f" (chosen for this run of it; the spec says {self.options.spec_executor})" if chosen else ""
                records.event(None, None, f"{started}, executor {executor.name}{where}")
                # --rerun/--no-cache ask for new results: finished runs run again (cache hits aside).
                forced = self.options.cache.forces_work
                finished_before = {} if forced else await asyncio.to_thread(self._finished_states)
                todo = [p for p in self.plans if p.run_id not in finished_before]
                if todo:  # a pool starts (and imports what its steps need) while the first steps run here
                    configs = {s.name: getattr(todo[0].config, s.name) for s in self.workflow.steps}
                    handoff.warm(configs, self.max_parallel, len(todo))
                heap.settle_once("sweep start", collect=False)  # the spec's imports are done: keep GC off them
                await self._run_all(runner, services, states, finished_before)
        finally:
            try:
                await executor.shutdown()
            except Exception:  # never let a pool or cluster hiccup hide how the sweep ended
                log.exception("the %s executor did not shut down cleanly", executor.name)
            self.lease.release()
            await self._finish(states)
        return [s for s in states if s is not None and s.status == Status.FINISHED]

    async def _run_all(
        self,
        runner: StepRunner,
        services: WorkerServices,
        states: list[WorkflowState | None],
        finished_before: dict[int, WorkflowState],
    ) -> None:
        sem = asyncio.Semaphore(self.max_parallel)

        async def one(i: int, plan: RunPlan) -> None:
            if plan.run_id in finished_before:
                states[i] = finished_before[plan.run_id]
                self._notify(Status.FINISHED, plan, states[i], cached=True)
                return
            started = False
            try:
                async with sem:
                    if await self._cancel_seen():  # a cancel holds: no run starts after it
                        return
                    started = True
                    states[i] = await self._run_one(runner, services, plan)
            except asyncio.CancelledError:
                if not started and self._records is not None:  # cancelled while waiting for a slot
                    self._records.run_cancelled(plan.run_id, [])
                    self._notify(Status.CANCELLED, plan, None)
                raise

        watcher = asyncio.create_task(self._watch())
        try:
            self._tasks = [asyncio.create_task(one(i, p)) for i, p in enumerate(self.plans)]
            await asyncio.gather(*self._tasks, return_exceptions=True)
        finally:
            watcher.cancel()
            await asyncio.gather(watcher, return_exceptions=True)

    def _preload(self) -> tuple[dict[str, Outputs], dict[str, dict]]:
        read = self.store.read
        cache = {
            r["cache_key"]: json.loads(r["outputs"]) for r in read.cached_outputs(s.name for s in self.workflow.steps)
        }
        checkpoints = {r["cache_key"]: json.loads(r["state"]) for r in read.checkpoints()}
        return cache, checkpoints

    async def _finish(self, states: list[WorkflowState | None]) -> None:
        writer, records = self._writer, self._records
        if writer is None or records is None:
            return
        failed = writer.error is not None
        if not failed:
            n_failed = sum(1 for s in states if s is not None and s.status == Status.FAILED)
            n_done = sum(1 for s in states if s is not None and s.status == Status.FINISHED)
            n_cancelled = len(self.plans) - n_done - n_failed
            # A failure makes the sweep failed; configs the user cancelled (and nothing failed)
            # make it cancelled, never failed: resume runs them.
            if n_failed and not self.cancelled:
                status = Status.FAILED
            elif self.cancelled or n_cancelled:
                status = Status.CANCELLED
            else:
                status = Status.FINISHED
            summary = f"{n_done} finished, {n_failed} failed, {n_cancelled} cancelled"
            try:
                if self.cancelled:
                    records.unfinished_runs_cancelled()
                records.event(None, None, f"sweep {status}: {summary}")
                records.sweep_ended(status, message=summary if status != Status.FINISHED else None)
                await records.flush()
                self.status = status
            except (StoreError, ClaimLost):
                pass
        await asyncio.to_thread(writer.close)
        self.sweep["status"] = self.status
        if isinstance(writer.error, ClaimLost):
            raise writer.error
        if writer.error is not None:
            from motools.store.health import explain, wal_deleted

            if "disk i/o error" in str(writer.error).lower() and wal_deleted(self.store.db_path):
                raise StoreError(f"the worker stopped: {explain(self.store.db_path, writer.error)}") from writer.error
            raise StoreError(
                f"{self.store.db_path}: the store could not be written ({writer.error}); the worker stopped. "
                f"Every result committed before this is kept: free space (or fix permissions) and run "
                f"'motools sweep resume {self.sweep_name}'"
            ) from writer.error

    def cancel(self) -> None:
        """Stop every run; unfinished ones are recorded as cancelled and can be resumed."""
        if self.cancelled:
            return
        self.cancelled = True
        for task in self._tasks:
            task.cancel()

    def _lost_claim(self) -> None:
        log.error("sweep %s was claimed by another worker; this worker stops without writing", self.sweep_name)
        self.cancel()

    async def _watch(self) -> None:
        """Pick up cancel requests made from another process; stop if the store stops taking writes."""
        assert self._writer is not None and self._records is not None
        while True:
            await asyncio.sleep(CANCEL_POLL_S)
            if self._writer.error is not None:  # disk full, claim lost: stop instead of failing every run
                self.cancel()
                return
            state = await self.lease.cancel_requests()
            if state.sweep:
                self._records.event(None, None, "cancel requested")
                self.cancel()
                return
            for request_id, index in state.run_requests:
                self._records.request_done(request_id)
                self.cancel_run(index)

    async def _cancel_seen(self) -> bool:
        """Whether the sweep was cancelled (here, or by a request another process committed)."""
        if not self.cancelled:
            state = await self.lease.cancel_requests()
            if state.sweep and not self.cancelled:
                if self._records is not None:
                    self._records.event(None, None, "cancel requested")
                self.cancel()
        return self.cancelled

    def cancel_run(self, index: int) -> None:
        """Stop one run (by grid index); it is recorded as cancelled and a later resume runs it."""
        for plan, task in zip(self.plans, self._tasks, strict=False):
            if plan.index == index and not task.done():
                if self._records is not None:
                    self._records.event(plan.run_id, None, f"run {index} cancel requested")
                task.cancel()

    # -- runs ---------------------------------------------------------------------------------
    def _finished_states(self) -> dict[int, WorkflowState]:
        """States of runs that finished in an earlier attempt of this sweep (never re-run)."""
        done = {p.run_id: p for p in self.plans if p.status == Status.FINISHED}
        if not done:
            return {}
        by_run: dict[int, dict[str, StepState]] = {}
        for row in self.store.read.sweep_steps(self.sweep_id, run_status=Status.FINISHED):
            by_run.setdefault(row["run_id"], {})[row["name"]] = StepState.from_row(row)
        return {run_id: self._new_state(plan, by_run.get(run_id, {}), Status.FINISHED) for run_id, plan in done.items()}

    def _new_state(
        self, plan: RunPlan, steps: dict[str, StepState] | None = None, status: Status = Status.PENDING
    ) -> WorkflowState:
        return WorkflowState(
            workflow_name=self.workflow.name,
            config=plan.config,
            params=plan.params,
            step_states=steps if steps is not None else {s.name: StepState(s.name) for s in self.workflow.steps},
            status=status,
            run_id=plan.run_id,
            run_index=plan.index,
            sweep_name=self.sweep_name,
            home=str(self.store.home),
            result_outputs=self.workflow.result_outputs,
        )

    def _notify(self, kind: Status, plan: RunPlan, state: WorkflowState | None, cached: bool = False) -> None:
        if self.observer is not None:
            try:
                self.observer(RunEvent(kind, plan, state, cached))
            except Exception:  # a display callback must never break a sweep
                log.exception("run observer failed")

    async def _run_one(self, runner: StepRunner, services: WorkerServices, plan: RunPlan) -> WorkflowState:
        records = self._records
        assert records is not None
        state = self._new_state(plan, status=Status.RUNNING)
        records.run_started(plan.run_id)
        self._notify(Status.RUNNING, plan, state)
        services.log(plan.run_id, None, "run started")
        namespace = dict(self.options.input_atoms)
        try:
            for idx, step in enumerate(self.workflow.steps):
                records.run_at_step(plan.run_id, step.name)
                sstate = state.step_states[step.name]
                await runner.run(plan, step, idx, namespace, sstate)
                namespace.update(sstate.output_atoms)
        except asyncio.CancelledError:
            state.status = Status.CANCELLED
            running = [s.name for s in state.step_states.values() if s.status == Status.RUNNING]
            for name in running:
                state.step_states[name].status = Status.CANCELLED
            records.run_cancelled(plan.run_id, running)
            services.log(plan.run_id, None, "run cancelled")
            self._notify(Status.CANCELLED, plan, state)
            raise
        except StepFailed as exc:
            state.status = Status.FAILED
            state.error = str(exc)
            records.run_failed(plan.run_id, str(exc), "".join(traceback.format_exception(exc.error)))
            log.warning("run %d %s failed: %s", plan.index, plan.params, exc)
            await records.flush()
            self._notify(Status.FAILED, plan, state)
            return state
        state.status = Status.FINISHED
        # No flush needed: every step that did work is already durable, so losing this row
        # in a crash only costs a resume full of cache hits.
        records.run_finished(plan.run_id)
        self._notify(Status.FINISHED, plan, state)
        return state


__all__ = ["ExecutionOptions", "SweepExecution"]
