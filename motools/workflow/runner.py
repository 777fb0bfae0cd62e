"""Running one step of one run: cache lookup, in-flight sharing, retries, checkpoints.

A step whose cache key has a finished result is never run again (unless the sweep was asked
to re-run it); identical steps that start together run once and share the result, across the
sweeps of one process too. Transient errors are retried with exponential backoff and jitter.
A step counts as finished only once its outputs are committed.
"""

from __future__ import annotations

import asyncio
import random
import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from motools.atoms import Atom
from motools.errors import ClaimLost, StepFailed, StoreError, TransientError
from motools.status import Status
from motools.store.records import SweepRecords
from motools.workflow.base import Step, Workflow
from motools.workflow.cache import step_cache_key
from motools.workflow.context import StepContext
from motools.workflow.handoff import Handoff
from motools.workflow.plan import RunPlan
from motools.workflow.services import WorkerServices
from motools.workflow.state import StepState

Outputs = dict[str, str]

# Shared by every sweep of this process and event loop on the same store, so two sweeps
# started together still build an identical dataset once.
_INFLIGHT: dict[tuple[int, str], dict[str, asyncio.Future[Outputs]]] = {}


@dataclass(frozen=True)
class CachePolicy:
    """Which cached results a sweep may reuse: all (default), none, or all but some steps'."""

    use_cache: bool = True
    rerun: frozenset[str] = field(default_factory=frozenset)

    def reuses(self, step: str) -> bool:
        return self.use_cache and step not in self.rerun

    @property
    def forces_work(self) -> bool:
        """Whether finished runs must run again (``--rerun``/``--no-cache`` asked for new results)."""
        return not self.use_cache or bool(self.rerun)


@dataclass(frozen=True)
class RetryPolicy:
    retries: int = 2
    base_s: float = 0.5

    def delay(self, attempt: int) -> float:
        """Exponential backoff with jitter: ``base · 2^attempt · U[0.5, 1.5)``."""
        return self.base_s * (2**attempt) * (0.5 + random.random())


class StepRunner:
    """Runs steps for one sweep execution."""

    def __init__(
        self,
        workflow: Workflow,
        records: SweepRecords,
        services: WorkerServices,
        cache: dict[str, Outputs],
        *,
        retry: RetryPolicy,
        policy: CachePolicy,
        db_path: str,
        handoff: Handoff | None = None,
    ):
        self.workflow = workflow
        self.handoff = handoff
        self.records = records
        self.services = services
        self.cache = cache
        self.retry = retry
        self.policy = policy
        self._fresh: set[str] = set()  # keys computed by this execution (re-run ones included)
        self._inflight = _INFLIGHT.setdefault((id(asyncio.get_running_loop()), db_path), {})

    async def run(self, plan: RunPlan, step: Step, idx: int, namespace: Mapping[str, str], sstate: StepState) -> None:
        """Run (or reuse) ``step`` of ``plan``; fills ``sstate``; raises :class:`StepFailed`."""
        missing = [k for k in step.inputs if k not in namespace]
        if missing:
            raise StepFailed(step.name, KeyError(f"missing input atoms: {', '.join(missing)}"))
        inputs = {k: namespace[k] for k in step.inputs}
        step_config = getattr(plan.config, step.name)
        key = step_cache_key(step, step_config, inputs, self.workflow.name)
        sstate.cache_key = key
        hit = self.cache.get(key) if (self.policy.reuses(step.name) or key in self._fresh) else None
        if hit is None and key in self._inflight:
            try:
                hit = await asyncio.shield(self._inflight[key])
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._failed(plan, step, idx, key, sstate, exc, time.time())
                await self.records.flush()
                raise StepFailed(step.name, exc) from exc
        if hit is not None:
            now = time.time()
            sstate.status, sstate.cached, sstate.output_atoms = Status.FINISHED, True, dict(hit)
            sstate.started_at = sstate.finished_at = now
            self.records.step_cached(plan.run_id, step.name, idx, key, hit)
            return
        fut: asyncio.Future[Outputs] = asyncio.get_running_loop().create_future()
        fut.add_done_callback(_consume)
        self._inflight[key] = fut
        try:
            outputs = await self._execute(plan, step, idx, key, inputs, step_config, sstate)
        except BaseException as exc:
            if isinstance(exc, StepFailed):
                fut.set_exception(exc.error)
            else:
                fut.cancel()
            raise
        else:
            fut.set_result(outputs)
            self.cache[key] = outputs
            self._fresh.add(key)
        finally:
            self._inflight.pop(key, None)

    async def _execute(
        self,
        plan: RunPlan,
        step: Step,
        idx: int,
        key: str,
        inputs: dict[str, str],
        step_config: BaseModel,
        sstate: StepState,
    ) -> Outputs:
        started = time.time()
        sstate.status, sstate.started_at = Status.RUNNING, started
        self.records.step_started(plan.run_id, step.name, idx, key, started)
        checkpoint = self.services.checkpoints.get(key)
        ctx = StepContext(self.services, plan.run_id, step.name, key, checkpoint)
        attempt = 0
        while True:
            try:
                outputs = await self._call(step, ctx, step_config, inputs)
                undeclared = set(step.outputs) - set(outputs)
                if undeclared:
                    raise RuntimeError(f"step {step.name!r} did not produce {sorted(undeclared)}")
                break
            except (asyncio.CancelledError, StoreError, ClaimLost):
                raise
            except TransientError as exc:
                if attempt >= self.retry.retries:
                    await self._give_up(plan, step, idx, key, sstate, exc, started)
                delay = self.retry.delay(attempt)
                attempt += 1
                ctx.log(f"transient error ({exc}); retry {attempt}/{self.retry.retries} in {delay:.4g} s", "warning")
                await asyncio.sleep(delay)
            except Exception as exc:
                await self._give_up(plan, step, idx, key, sstate, exc, started)
        finished = time.time()
        sstate.status, sstate.finished_at, sstate.output_atoms = Status.FINISHED, finished, outputs
        self.records.step_finished(
            plan.run_id, step.name, key, outputs, workflow=self.workflow.name, had_checkpoint=ctx.checkpoint is not None
        )
        if ctx.checkpoint is not None:
            self.services.checkpoints.pop(key, None)
        self.services.log(plan.run_id, step.name, f"{step.name} finished in {finished - started:.2f} s")
        await self.records.flush()
        return outputs

    async def _call(self, step: Step, ctx: StepContext, step_config: BaseModel, inputs: dict[str, str]) -> Outputs:
        """One attempt: on the sweep's executor if it takes the step, else here."""
        if self.handoff is not None and self.handoff.takes(step):
            return await self.handoff.run(step, ctx, step_config, inputs)
        atoms = {k: await self.services.load_atom(v) for k, v in inputs.items()}
        result = await step.fn(ctx, step_config, atoms)
        return {k: (a.id if isinstance(a, Atom) else str(a)) for k, a in dict(result).items()}

    async def _give_up(
        self, plan: RunPlan, step: Step, idx: int, key: str, sstate: StepState, exc: Exception, started: float
    ) -> None:
        self._failed(plan, step, idx, key, sstate, exc, started)
        await self.records.flush()
        raise StepFailed(step.name, exc) from exc

    def _failed(
        self, plan: RunPlan, step: Step, idx: int, key: str, sstate: StepState, exc: BaseException, started: float
    ) -> None:
        sstate.status, sstate.error, sstate.finished_at = Status.FAILED, f"{type(exc).__name__}: {exc}", time.time()
        tb = "".join(traceback.format_exception(exc))
        self.records.step_failed(plan.run_id, step.name, idx, key, started, sstate.error, tb)
        self.services.log(plan.run_id, step.name, f"{step.name} failed: {sstate.error}", "error")


def _consume(fut: asyncio.Future[Any]) -> None:
    """Mark a shared step future's exception as seen (followers may not exist)."""
    if not fut.cancelled():
        fut.exception()


__all__ = ["CachePolicy", "RetryPolicy", "StepRunner"]
