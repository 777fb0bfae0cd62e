"""``run_sweep`` and friends: record a sweep in the store, then execute or resume it."""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel

from motools.atoms import canonical_json
from motools.errors import MotoolsError, SpecError
from motools.store import Store, open_store
from motools.workflow.base import Workflow
from motools.workflow.execution import RunCallback, RunPlan, SweepExecution, config_hash, worker_alive
from motools.workflow.plan import build_plans
from motools.workflow.registry import resolve_workflow, workflow_ref
from motools.workflow.state import WorkflowState


def generate_sweep_name(prefix: str) -> str:
    return f"{prefix}-{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(2)}"


def _spec_for(workflow: Workflow, base: BaseModel, param_grid: Mapping[str, Sequence[Any]], name: str,
              max_parallel: int, retries: int, user: str | None, output: Any = None,
              retry_backoff_s: float = 0.5) -> Any:
    from motools.specs import SweepSpec

    return SweepSpec(
        name=name,
        workflow=workflow_ref(workflow),
        base_config=base.model_dump(mode="json", exclude_unset=True),
        param_grid={k: list(v) for k, v in param_grid.items()},
        execution={"max_parallel": max_parallel, "retries": retries, "user": user,
                   "retry_backoff_s": retry_backoff_s},
        output=output or {},
    )


def _create_or_reuse(store: Store, name: str, spec_name: str, spec_yaml: str, workflow: Workflow,
                     user: str | None, max_parallel: int,
                     plans: list[tuple[dict[str, Any], BaseModel]]) -> tuple[dict[str, Any], list[RunPlan]]:
    """Insert the sweep and its pending runs, or pick up an existing sweep of the same name."""
    run_plans = [RunPlan(i, params, cfg, config_hash(cfg)) for i, (params, cfg) in enumerate(plans)]
    now = time.time()
    with store.transaction() as c:
        row = c.execute("SELECT * FROM sweeps WHERE name = ?", (name,)).fetchone()
        if row is None:
            cur = c.execute(
                "INSERT INTO sweeps(name, spec_name, spec_yaml, workflow, user, status, n_runs, max_parallel, "
                "created_at, cancel_requested) VALUES (?,?,?,?,?,?,?,?,?,0)",
                (name, spec_name, spec_yaml, workflow_ref(workflow), user, "pending", len(run_plans),
                 max_parallel, now),
            )
            sweep_id = cur.lastrowid
            c.executemany(
                "INSERT INTO runs(sweep_id, idx, params, config, config_hash, status, attempts) "
                "VALUES (?,?,?,?,?, 'pending', 0)",
                [(sweep_id, p.index, canonical_json(p.params), canonical_json(p.config.model_dump(mode="json")),
                  p.config_hash) for p in run_plans],
            )
        else:
            sweep_id = row["id"]
        existing = {
            r["idx"]: r for r in c.execute("SELECT id, idx, config_hash, status FROM runs WHERE sweep_id = ?", (sweep_id,))
        }
        if row is not None:
            hashes = {i: r["config_hash"] for i, r in existing.items()}
            if hashes != {p.index: p.config_hash for p in run_plans}:
                raise MotoolsError(
                    f"a sweep named {name!r} already exists with a different grid or config; "
                    "choose another name"
                )
            c.execute("UPDATE sweeps SET max_parallel = ? WHERE id = ?", (max_parallel, sweep_id))
        sweep = dict(c.execute("SELECT * FROM sweeps WHERE id = ?", (sweep_id,)).fetchone())
    for p in run_plans:
        p.run_id = existing[p.index]["id"]
        p.status = existing[p.index]["status"]
    return sweep, run_plans


async def _execute(store: Store, sweep: dict[str, Any], workflow: Workflow, plans: list[RunPlan], *,
                   max_parallel: int, retries: int, input_atoms: Mapping[str, str] | None,
                   on_run: RunCallback | None, execution_hook: Any = None,
                   retry_backoff_s: float = 0.5) -> list[WorkflowState]:
    execution = SweepExecution(
        store, sweep, workflow, plans, max_parallel=max_parallel, retries=retries,
        input_atoms=dict(input_atoms or {}), on_run=on_run, retry_base_s=retry_backoff_s,
    )
    if execution_hook is not None:
        execution_hook(execution)
    return await execution.run()


async def run_sweep(
    workflow: Workflow | str,
    base_config: Any,
    param_grid: Mapping[str, Sequence[Any]] | None = None,
    input_atoms: Mapping[str, str] | None = None,
    user: str | None = None,
    max_parallel: int = 4,
    *,
    name: str | None = None,
    spec_name: str | None = None,
    retries: int = 2,
    retry_backoff_s: float = 0.5,
    store: Store | None = None,
    output: Any = None,
    on_run: RunCallback | None = None,
    execution_hook: Any = None,
) -> list[WorkflowState]:
    """Run ``workflow`` for every combination in ``param_grid`` and return the successful states.

    Each grid key is a dot path into the config (``"submit_training.hyperparameters.learning_rate"``).
    The sweep, its runs, steps, metrics and events are recorded in ``store`` (default: the store
    under ``$MOTOOLS_HOME`` or ``./.motools``) as they happen; failed runs are recorded with their
    error and skipped in the result. Re-running with the same ``name`` resumes that sweep.
    """
    wf = resolve_workflow(workflow)
    plans = await asyncio.to_thread(build_plans, wf, base_config, param_grid or {})
    base = wf.validate_config(base_config)
    store = store or await asyncio.to_thread(open_store)
    if input_atoms:
        missing = [f"{k}={v}" for k, v in input_atoms.items() if not store.has_atom(v)]
        if missing:
            raise SpecError([("input_atoms", f"no such atoms in {store.db_path}: {', '.join(missing)}")])
    sweep_name = name or generate_sweep_name(spec_name or wf.name)
    spec = _spec_for(wf, base, param_grid or {}, spec_name or sweep_name, max_parallel, retries, user, output,
                     retry_backoff_s)
    sweep, run_plans = await asyncio.to_thread(
        _create_or_reuse, store, sweep_name, spec_name or "", spec.to_yaml(), wf, user, max_parallel, plans
    )
    return await _execute(store, sweep, wf, run_plans, max_parallel=max_parallel, retries=retries,
                          input_atoms=input_atoms, on_run=on_run, execution_hook=execution_hook,
                          retry_backoff_s=retry_backoff_s)


async def resume_sweep(
    name: str,
    *,
    store: Store | None = None,
    max_parallel: int | None = None,
    on_run: RunCallback | None = None,
    execution_hook: Any = None,
) -> list[WorkflowState]:
    """Finish an interrupted, cancelled or failed sweep: finished runs are kept, the rest run."""
    from motools.specs import parse_spec_text

    store = store or await asyncio.to_thread(open_store)
    sweep = await asyncio.to_thread(store.get_sweep, name)
    if worker_alive(sweep):
        raise MotoolsError(
            f"sweep {name!r} is still running in process {sweep['worker_pid']} on {sweep['worker_host']}"
        )
    spec = parse_spec_text(sweep["spec_yaml"], source=f"sweep {name}", resolve=False)
    resolved = spec.resolve(source=f"sweep {name}")
    mp = max_parallel or sweep["max_parallel"] or spec.execution.max_parallel
    _, run_plans = await asyncio.to_thread(
        _create_or_reuse, store, name, sweep["spec_name"] or "", sweep["spec_yaml"], resolved.workflow,
        sweep["user"], mp, resolved.plans,
    )
    return await _execute(store, sweep, resolved.workflow, run_plans, max_parallel=mp,
                          retries=spec.execution.retries, input_atoms=None, on_run=on_run,
                          execution_hook=execution_hook, retry_backoff_s=spec.execution.retry_backoff_s)


def create_sweep(spec: Any, *, name: str | None = None, max_parallel: int | None = None,
                 store: Store | None = None) -> tuple[dict[str, Any], Any, list[RunPlan]]:
    """Validate ``spec`` and record a new sweep with its pending runs; nothing runs yet.

    Returns ``(sweep_row, workflow, run_plans)``. The app launches a detached worker after
    this, so the sweep is visible (all runs pending) before the worker starts.
    """
    resolved = spec.resolve()
    store = store or open_store()
    mp = max_parallel or spec.execution.max_parallel
    sweep_name = name or generate_sweep_name(spec.name)
    sweep, run_plans = _create_or_reuse(
        store, sweep_name, spec.name, spec.to_yaml(), resolved.workflow, spec.execution.user, mp, resolved.plans,
    )
    return sweep, resolved.workflow, run_plans


async def run_spec(
    spec: Any,
    *,
    name: str | None = None,
    max_parallel: int | None = None,
    store: Store | None = None,
    on_run: RunCallback | None = None,
    execution_hook: Any = None,
) -> list[WorkflowState]:
    """Launch a :class:`~motools.specs.SweepSpec` in this process (the CLI's entry point)."""
    store = store or await asyncio.to_thread(open_store)
    sweep, workflow, run_plans = await asyncio.to_thread(
        create_sweep, spec, name=name, max_parallel=max_parallel, store=store
    )
    return await _execute(store, sweep, workflow, run_plans, max_parallel=sweep["max_parallel"],
                          retries=spec.execution.retries, input_atoms=None, on_run=on_run,
                          execution_hook=execution_hook, retry_backoff_s=spec.execution.retry_backoff_s)


def launch_detached(spec: Any, *, name: str | None = None, max_parallel: int | None = None,
                    store: Store | None = None) -> dict[str, Any]:
    """Record a sweep, then run it in a worker process of its own session.

    The worker survives the terminal closing or the SSH link dropping; its output goes to
    ``<home>/workers/<sweep>.log``. Returns the sweep row.
    """
    import subprocess
    import sys

    store = store or open_store()
    sweep, _, _ = create_sweep(spec, name=name, max_parallel=max_parallel, store=store)
    spawn_worker(sweep["name"], store)
    return sweep


def spawn_worker(name: str, store: Store, max_parallel: int | None = None) -> None:
    """Start ``motools sweep resume NAME`` in its own session, detached from this terminal.

    Used to launch a recorded sweep and to retry its failed or cancelled runs; a second
    worker for a sweep that is already running refuses to start (one writer per sweep).
    """
    import subprocess
    import sys

    logs = store.home / "workers"
    logs.mkdir(exist_ok=True)
    cmd = [sys.executable, "-m", "motools.cli", "--home", str(store.home), "sweep", "resume", name, "--quiet"]
    if max_parallel:
        cmd += ["--max-parallel", str(max_parallel)]
    with open(logs / f"{name}.log", "ab") as out:
        subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            cwd=str(store.home.parent),
        )


def load_sweep_states(name: str, store: Store | None = None) -> list[WorkflowState]:
    """States of a stored sweep's finished runs, in grid order, without running anything."""
    from motools.specs import parse_spec_text
    from motools.workflow.state import StepState

    store = store or open_store()
    sweep = store.get_sweep(name)
    spec = parse_spec_text(sweep["spec_yaml"], source=f"sweep {name}", resolve=False)
    wf = resolve_workflow(spec.workflow)
    states = []
    for run in store.runs(sweep["id"]):
        if run["status"] != "finished":
            continue
        steps = {
            s["name"]: StepState(s["name"], s["status"], s["cache_key"], bool(s["cached"]),
                                 json.loads(s["outputs"] or "{}"), s["started_at"], s["finished_at"], s["error"])
            for s in store.steps(run["id"])
        }
        states.append(WorkflowState(
            workflow_name=wf.name, config=wf.config_model.model_validate(json.loads(run["config"])),
            params=json.loads(run["params"]), step_states=steps, status=run["status"], run_id=run["id"],
            run_index=run["idx"], sweep_name=name, home=str(store.home),
        ))
    return states
