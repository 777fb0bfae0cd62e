"""Executing a sweep's runs: concurrency, caching, retries, cancellation, heartbeats.

One :class:`SweepExecution` is the only writer of its sweep's rows (through a
:class:`~motools.store.writer.StoreWriter`). Steps whose cache key has a finished result are
never run again; identical steps that start together run once and share the result.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import random
import socket
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from motools.atoms import Atom, canonical_json
from motools.errors import StepFailed, StoreError, SweepBusy, TransientError
from motools.liveness import HEARTBEAT_S, worker_alive
from motools.store.db import INSERT_ATOM, Store, atom_from_row
from motools.store.writer import StoreWriter
from motools.workflow.base import Step, Workflow
from motools.workflow.context import StepContext
from motools.workflow.state import StepState, WorkflowState

log = logging.getLogger("motools.sweep")

CANCEL_POLL_S = 0.5


@dataclass
class RunPlan:
    """One grid point: its parameters, resolved config and its row in the store."""

    index: int
    params: dict[str, Any]
    config: BaseModel
    config_hash: str
    run_id: int = 0
    status: str = "pending"


def config_hash(config: BaseModel) -> str:
    return hashlib.sha256(canonical_json(config.model_dump(mode="json")).encode()).hexdigest()


def step_cache_key(step: Step, step_config: BaseModel, inputs: dict[str, str]) -> str:
    """Name, version, config and input atoms (whose ids are content hashes)."""
    payload = {
        "step": step.name,
        "version": step.version,
        "config": step_config.model_dump(mode="json", exclude=set(step.cache_ignore)),
        "inputs": inputs,
    }
    return hashlib.sha256(canonical_json(payload).encode()).hexdigest()


_INFLIGHT: dict[tuple[int, str], dict[str, asyncio.Future[dict[str, str]]]] = {}

RunCallback = Callable[[str, RunPlan, WorkflowState | None], None]


class SweepExecution:
    def __init__(
        self,
        store: Store,
        sweep: dict[str, Any],
        workflow: Workflow,
        plans: list[RunPlan],
        *,
        max_parallel: int,
        retries: int = 0,
        input_atoms: dict[str, str] | None = None,
        retry_base_s: float = 0.5,
        on_run: RunCallback | None = None,
    ):
        self.store = store
        self.sweep = sweep
        self.sweep_id: int = sweep["id"]
        self.sweep_name: str = sweep["name"]
        self.workflow = workflow
        self.plans = plans
        self.max_parallel = max(1, int(max_parallel))
        self.retries = max(0, int(retries))
        self.retry_base_s = retry_base_s
        self.input_atoms = dict(input_atoms or {})
        self.on_run = on_run
        self.writer: StoreWriter | None = None  # type: ignore[assignment]
        self.cancelled = False
        self._cache: dict[str, dict[str, str]] = {}
        self._checkpoints: dict[str, dict[str, Any]] = {}
        # Shared by every sweep of this process and event loop on the same store, so two
        # sweeps started together still build an identical dataset once.
        self._inflight = _INFLIGHT.setdefault((id(asyncio.get_event_loop()), str(store.db_path)), {})
        self._atoms: dict[str, Atom] = {}
        self._tasks: list[asyncio.Task[Any]] = []

    # -- lifecycle ----------------------------------------------------------------------------
    def _claim(self) -> None:
        """Become the sweep's one worker, or refuse if another live worker holds it."""
        with self.store.transaction() as c:
            row = dict(c.execute("SELECT * FROM sweeps WHERE id = ?", (self.sweep_id,)).fetchone())
            if worker_alive(row) and row.get("worker_pid") != os.getpid():
                raise SweepBusy(
                    f"sweep {self.sweep_name!r} is already running in process {row['worker_pid']} "
                    f"on {row['worker_host']}; cancel it with 'motools sweep cancel {self.sweep_name}'"
                )
            now = time.time()
            c.execute(
                "UPDATE sweeps SET status='running', worker_pid=?, worker_host=?, heartbeat_at=?, "
                "started_at=COALESCE(started_at, ?), finished_at=NULL, cancel_requested=0, message=NULL "
                "WHERE id=?",
                (os.getpid(), socket.gethostname(), now, now, self.sweep_id),
            )
            c.execute("UPDATE requests SET done = 1 WHERE sweep_id = ? AND done = 0", (self.sweep_id,))

    def _preload(self) -> None:
        names = [s.name for s in self.workflow.steps]
        marks = ",".join("?" * len(names))
        for row in self.store.conn.execute(
            f"SELECT cache_key, outputs FROM cache WHERE step_name IN ({marks})", names
        ):
            self._cache[row["cache_key"]] = json.loads(row["outputs"])
        for row in self.store.conn.execute("SELECT cache_key, state FROM checkpoints"):
            self._checkpoints[row["cache_key"]] = json.loads(row["state"])

    async def run(self) -> list[WorkflowState]:
        await asyncio.to_thread(self._claim)
        await asyncio.to_thread(self._preload)
        self.writer = await asyncio.to_thread(StoreWriter, self.store.db_path)
        self.event(None, None, f"sweep started: {len(self.plans)} runs, max_parallel {self.max_parallel}")
        sem = asyncio.Semaphore(self.max_parallel)
        states: list[WorkflowState | None] = [None] * len(self.plans)
        finished_before = await asyncio.to_thread(self._finished_states)

        async def one(i: int, plan: RunPlan) -> None:
            if plan.run_id in finished_before:
                states[i] = finished_before[plan.run_id]
                self._notify("finished", plan, states[i])
                return
            async with sem:
                states[i] = await self._run_one(plan)

        watcher = asyncio.create_task(self._watch())
        try:
            self._tasks = [asyncio.create_task(one(i, p)) for i, p in enumerate(self.plans)]
            await asyncio.gather(*self._tasks, return_exceptions=True)
        finally:
            watcher.cancel()
            await asyncio.gather(watcher, return_exceptions=True)
            if self.writer.error is None:
                await self._finish(states)
            else:
                await asyncio.to_thread(self.writer.close)
        if self.writer.error is not None:
            raise StoreError(
                f"{self.store.db_path}: the store could not be written ({self.writer.error}); the worker "
                f"stopped. Every result committed before this is kept: free space (or fix permissions) and "
                f"run 'motools sweep resume {self.sweep_name}'"
            ) from self.writer.error
        return [s for s in states if s is not None and s.status == "finished"]

    async def _finish(self, states: list[WorkflowState | None]) -> None:
        assert self.writer is not None
        n_failed = sum(1 for s in states if s is not None and s.status == "failed")
        n_done = sum(1 for s in states if s is not None and s.status == "finished")
        if self.cancelled:
            status = "cancelled"
        elif n_failed or n_done < len(self.plans):
            status = "failed"
        else:
            status = "finished"
        try:
            if self.cancelled:  # runs still queued behind the semaphore never started
                self.writer.execute(
                    "UPDATE runs SET status='cancelled', finished_at=? WHERE sweep_id=? "
                    "AND status IN ('pending', 'running')",
                    (time.time(), self.sweep_id),
                )
            self.event(None, None, f"sweep {status}: {n_done} finished, {n_failed} failed")
            self.writer.execute(
                "UPDATE sweeps SET status=?, finished_at=?, worker_pid=NULL, heartbeat_at=? WHERE id=?",
                (status, time.time(), time.time(), self.sweep_id),
            )
            await self.writer.flush()
        finally:
            await asyncio.to_thread(self.writer.close)
        self.sweep["status"] = status

    def cancel(self) -> None:
        """Stop every run; unfinished ones are recorded as cancelled and can be resumed."""
        if self.cancelled:
            return
        self.cancelled = True
        for task in self._tasks:
            task.cancel()

    async def _watch(self) -> None:
        """Heartbeat, and pick up cancel requests made from another process."""
        assert self.writer is not None
        last_beat = 0.0
        while True:
            await asyncio.sleep(CANCEL_POLL_S)
            if self.writer.error is not None:  # disk full, read-only: stop instead of failing every run
                self.cancel()
                return
            now = time.time()
            if now - last_beat >= HEARTBEAT_S:
                self.writer.execute("UPDATE sweeps SET heartbeat_at=? WHERE id=?", (now, self.sweep_id))
                last_beat = now
            row = await asyncio.to_thread(
                self.store.query_one, "SELECT cancel_requested FROM sweeps WHERE id=?", (self.sweep_id,)
            )
            if row and row["cancel_requested"]:
                self.event(None, None, "cancel requested")
                self.cancel()
                return
            requests = await asyncio.to_thread(
                self.store.query, "SELECT id, kind, payload FROM requests WHERE sweep_id=? AND done=0 "
                "AND kind='cancel_run'", (self.sweep_id,)
            )
            for req in requests:
                self.writer.execute("UPDATE requests SET done=1 WHERE id=?", (req["id"],))
                self.cancel_run(int(json.loads(req["payload"])["run_index"]))

    def cancel_run(self, index: int) -> None:
        """Stop one run; it is recorded as cancelled and a later resume runs it again."""
        if 0 <= index < len(self._tasks) and not self._tasks[index].done():
            self.event(self.plans[index].run_id, None, f"run {index} cancel requested")
            self._tasks[index].cancel()

    # -- runs ---------------------------------------------------------------------------------
    def _finished_states(self) -> dict[int, WorkflowState]:
        """States of runs that finished in an earlier attempt of this sweep (never re-run)."""
        done = {p.run_id: p for p in self.plans if p.status == "finished"}
        if not done:
            return {}
        out: dict[int, WorkflowState] = {}
        rows = self.store.query(
            "SELECT s.* FROM steps s JOIN runs r ON r.id = s.run_id WHERE r.sweep_id = ? "
            "AND r.status = 'finished' ORDER BY s.run_id, s.idx",
            (self.sweep_id,),
        )
        by_run: dict[int, dict[str, StepState]] = {}
        for row in rows:
            by_run.setdefault(row["run_id"], {})[row["name"]] = StepState(
                name=row["name"], status=row["status"], cache_key=row["cache_key"],
                cached=bool(row["cached"]), output_atoms=json.loads(row["outputs"] or "{}"),
                started_at=row["started_at"], finished_at=row["finished_at"],
            )
        for run_id, plan in done.items():
            out[run_id] = self._new_state(plan, by_run.get(run_id, {}), status="finished")
        return out

    def _new_state(self, plan: RunPlan, steps: dict[str, StepState] | None = None,
                   status: str = "pending") -> WorkflowState:
        return WorkflowState(
            workflow_name=self.workflow.name, config=plan.config, params=plan.params,
            step_states=steps if steps is not None else {s.name: StepState(s.name) for s in self.workflow.steps},
            status=status, run_id=plan.run_id, run_index=plan.index, sweep_name=self.sweep_name,
            home=str(self.store.home),
        )

    def _notify(self, what: str, plan: RunPlan, state: WorkflowState | None) -> None:
        if self.on_run is not None:
            try:
                self.on_run(what, plan, state)
            except Exception:  # a display callback must never break a sweep
                log.exception("run callback failed")

    async def _run_one(self, plan: RunPlan) -> WorkflowState:
        assert self.writer is not None
        w = self.writer
        state = self._new_state(plan, status="running")
        w.execute(
            "UPDATE runs SET status='running', started_at=?, finished_at=NULL, attempts=attempts+1, "
            "error=NULL, traceback=NULL WHERE id=?",
            (time.time(), plan.run_id),
        )
        self._notify("started", plan, state)
        self.event(plan.run_id, None, "run started")
        namespace = dict(self.input_atoms)
        try:
            for idx, step in enumerate(self.workflow.steps):
                w.execute("UPDATE runs SET current_step=? WHERE id=?", (step.name, plan.run_id))
                sstate = state.step_states[step.name]
                await self._run_step(plan, step, idx, namespace, sstate)
                namespace.update(sstate.output_atoms)
        except asyncio.CancelledError:
            state.status = "cancelled"
            for s in state.step_states.values():
                if s.status == "running":
                    s.status = "cancelled"
                    w.execute(
                        "UPDATE steps SET status='cancelled', finished_at=? WHERE run_id=? AND name=?",
                        (time.time(), plan.run_id, s.name),
                    )
            w.execute(
                "UPDATE runs SET status='cancelled', finished_at=? WHERE id=?", (time.time(), plan.run_id)
            )
            self.event(plan.run_id, None, "run cancelled")
            self._notify("cancelled", plan, state)
            raise
        except StepFailed as exc:
            state.status = "failed"
            state.error = str(exc)
            tb = "".join(traceback.format_exception(exc.error))
            w.execute(
                "UPDATE runs SET status='failed', finished_at=?, error=?, traceback=? WHERE id=?",
                (time.time(), str(exc), tb, plan.run_id),
            )
            log.warning("run %d %s failed: %s", plan.index, plan.params, exc)
            await w.flush()
            self._notify("failed", plan, state)
            return state
        state.status = "finished"
        # No flush needed: every step that did work is already durable, so losing this row
        # in a crash only costs a resume full of cache hits.
        w.execute(
            "UPDATE runs SET status='finished', finished_at=?, current_step=NULL WHERE id=?",
            (time.time(), plan.run_id),
        )
        self._notify("finished", plan, state)
        return state

    async def _run_step(self, plan: RunPlan, step: Step, idx: int, namespace: dict[str, str],
                        sstate: StepState) -> None:
        assert self.writer is not None
        missing = [k for k in step.inputs if k not in namespace]
        if missing:
            raise StepFailed(step.name, KeyError(f"missing input atoms: {', '.join(missing)}"))
        inputs = {k: namespace[k] for k in step.inputs}
        step_config = getattr(plan.config, step.name)
        key = step_cache_key(step, step_config, inputs)
        sstate.cache_key = key
        hit = self._cache.get(key)
        if hit is None and key in self._inflight:
            try:
                hit = await asyncio.shield(self._inflight[key])
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._record_step_failure(plan, step, idx, key, sstate, exc, time.time())
                await self.writer.flush()
                raise StepFailed(step.name, exc) from exc
        if hit is not None:
            now = time.time()
            sstate.status, sstate.cached, sstate.output_atoms = "finished", True, dict(hit)
            sstate.started_at = sstate.finished_at = now
            self.writer.execute(
                "INSERT INTO steps(run_id, name, idx, status, cache_key, cached, outputs, started_at, "
                "finished_at, progress, progress_total) VALUES (?,?,?,'finished',?,1,?,?,?,1,1) "
                "ON CONFLICT(run_id, name) DO UPDATE SET status='finished', cache_key=excluded.cache_key, "
                "cached=1, outputs=excluded.outputs, started_at=excluded.started_at, "
                "finished_at=excluded.finished_at, error=NULL, traceback=NULL, progress=1, progress_total=1",
                (plan.run_id, step.name, idx, key, canonical_json(hit), now, now),
            )
            return
        fut: asyncio.Future[dict[str, str]] = asyncio.get_running_loop().create_future()
        fut.add_done_callback(_consume)
        self._inflight[key] = fut
        try:
            outputs = await self._execute_step(plan, step, idx, key, inputs, step_config, sstate)
        except BaseException as exc:
            if isinstance(exc, StepFailed):
                fut.set_exception(exc.error)
            else:
                fut.cancel()
            raise
        else:
            fut.set_result(outputs)
            self._cache[key] = outputs
        finally:
            self._inflight.pop(key, None)

    async def _execute_step(self, plan: RunPlan, step: Step, idx: int, key: str, inputs: dict[str, str],
                            step_config: BaseModel, sstate: StepState) -> dict[str, str]:
        assert self.writer is not None
        w = self.writer
        started = time.time()
        sstate.status, sstate.started_at = "running", started
        w.execute(
            "INSERT INTO steps(run_id, name, idx, status, cache_key, cached, started_at) "
            "VALUES (?,?,?,'running',?,0,?) ON CONFLICT(run_id, name) DO UPDATE SET status='running', "
            "cache_key=excluded.cache_key, cached=0, started_at=excluded.started_at, finished_at=NULL, "
            "outputs=NULL, error=NULL, traceback=NULL, progress=NULL, progress_total=NULL, progress_message=NULL",
            (plan.run_id, step.name, idx, key, started),
        )
        ctx = StepContext(self, plan.run_id, step.name, key, self._checkpoints.get(key))
        attempt = 0
        while True:
            try:
                atoms = {k: await self.load_atom(v) for k, v in inputs.items()}
                result = await step.fn(ctx, step_config, atoms)
                outputs = {k: (a.id if isinstance(a, Atom) else str(a)) for k, a in dict(result).items()}
                undeclared = set(step.outputs) - set(outputs)
                if undeclared:
                    raise RuntimeError(f"step {step.name!r} did not produce {sorted(undeclared)}")
                break
            except asyncio.CancelledError:
                raise
            except TransientError as exc:
                if attempt >= self.retries:
                    self._record_step_failure(plan, step, idx, key, sstate, exc, started)
                    await w.flush()
                    raise StepFailed(step.name, exc) from exc
                delay = self.retry_base_s * (2**attempt) * (0.5 + random.random())
                attempt += 1
                ctx.log(f"transient error ({exc}); retry {attempt}/{self.retries} in {delay:.4g} s", "warning")
                await asyncio.sleep(delay)
            except StoreError:
                raise
            except Exception as exc:
                self._record_step_failure(plan, step, idx, key, sstate, exc, started)
                await w.flush()
                raise StepFailed(step.name, exc) from exc
        finished = time.time()
        sstate.status, sstate.finished_at, sstate.output_atoms = "finished", finished, outputs
        out_json = canonical_json(outputs)
        w.execute(
            "UPDATE steps SET status='finished', outputs=?, finished_at=?, progress=COALESCE(progress_total, 1), "
            "progress_total=COALESCE(progress_total, 1) WHERE run_id=? AND name=?",
            (out_json, finished, plan.run_id, step.name),
        )
        w.execute(
            "INSERT OR IGNORE INTO cache(cache_key, step_name, outputs, run_id, created_at) VALUES (?,?,?,?,?)",
            (key, step.name, out_json, plan.run_id, finished),
        )
        if ctx.checkpoint is not None:
            w.execute("DELETE FROM checkpoints WHERE cache_key=?", (key,))
            self.remember_checkpoint(key, None)
        self.event(plan.run_id, step.name, f"{step.name} finished in {finished - started:.2f} s")
        await w.flush()
        return outputs

    def _record_step_failure(self, plan: RunPlan, step: Step, idx: int, key: str, sstate: StepState,
                             exc: BaseException, started: float) -> None:
        assert self.writer is not None
        sstate.status, sstate.error, sstate.finished_at = "failed", f"{type(exc).__name__}: {exc}", time.time()
        tb = "".join(traceback.format_exception(exc))
        self.writer.execute(
            "INSERT INTO steps(run_id, name, idx, status, cache_key, started_at, finished_at, error, traceback) "
            "VALUES (?,?,?,'failed',?,?,?,?,?) ON CONFLICT(run_id, name) DO UPDATE SET status='failed', "
            "finished_at=excluded.finished_at, error=excluded.error, traceback=excluded.traceback",
            (plan.run_id, step.name, idx, key, started, sstate.finished_at, sstate.error, tb),
        )
        self.event(plan.run_id, step.name, f"{step.name} failed: {sstate.error}", "error")

    def remember_checkpoint(self, key: str, state: dict[str, Any] | None) -> None:
        if state is None:
            self._checkpoints.pop(key, None)
        else:
            self._checkpoints[key] = state

    # -- atoms and events ---------------------------------------------------------------------
    async def put_atom(self, kind: str, payload: bytes | str, *, metadata: dict[str, Any] | None = None,
                       as_json: Any = None) -> Atom:
        assert self.writer is not None
        atom, row, file_bytes = self.store.atom_row_for(kind, payload, metadata=metadata, as_json=as_json)
        if atom.id in self._atoms:
            return self._atoms[atom.id]
        if file_bytes is not None:
            await asyncio.to_thread(self.store.write_atom_file, atom, file_bytes)
        self.writer.execute(INSERT_ATOM, row)
        self._atoms[atom.id] = atom
        return atom

    async def load_atom(self, atom_id: str) -> Atom:
        atom = self._atoms.get(atom_id)
        if atom is None:
            row = await asyncio.to_thread(self.store.query_one, "SELECT * FROM atoms WHERE id=?", (atom_id,))
            if row is None:
                raise KeyError(f"atom {atom_id!r} is not in the store {self.store.db_path}")
            atom = atom_from_row(row, self.store.atoms_dir)
            self._atoms[atom_id] = atom
        return atom

    def event(self, run_id: int | None, step: str | None, message: str, level: str = "info") -> None:
        if self.writer is None:
            return
        self.writer.execute(
            "INSERT INTO events(sweep_id, run_id, step, time, level, message) VALUES (?,?,?,?,?,?)",
            (self.sweep_id, run_id, step, time.time(), level, message),
        )
        if level in ("warning", "error"):
            log.log(logging.WARNING if level == "warning" else logging.ERROR, "%s", message)


def _consume(fut: asyncio.Future[Any]) -> None:
    """Mark a shared step future's exception as seen (followers may not exist)."""
    if not fut.cancelled():
        fut.exception()
