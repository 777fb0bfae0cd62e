"""The one launch path: record a sweep, execute it here, or detach it to a worker.

- :func:`record_sweep` checks a spec against its workflow and writes the sweep and its pending
  runs (or extends the sweep of that name with new grid points). Nothing runs.
- :func:`execute_sweep` runs a recorded sweep in this process, as its one worker.
- :func:`detach_sweep` starts a worker process of its own session that executes it, so it
  outlives the terminal, the SSH link and the app.

``run_sweep`` (Python), ``motools sweep run|resume|retry`` and the app are thin callers of
these three verbs. A worker runs what was recorded (each run's resolved config as stored),
so a resume never depends on re-expanding a grid.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from motools.atoms import canonical_json, content_hash
from motools.errors import MotoolsError, SpecError
from motools.executors.base import ExecutorOverride, ExecutorSettings
from motools.liveness import this_host
from motools.status import Status
from motools.store import Store, open_store
from motools.store.sweeps import Recorded, RunRecord, SweepRecord, prepare_to_run, record_launcher
from motools.store.sweeps import record_sweep as store_record_sweep
from motools.workflow.base import Workflow
from motools.workflow.cache import config_hash
from motools.workflow.events import RunObserver, SweepControl
from motools.workflow.execution import ExecutionOptions, SweepExecution
from motools.workflow.imports import add_import_paths, import_paths_for
from motools.workflow.plan import plans_from_rows
from motools.workflow.registry import resolve_workflow, workflow_ref
from motools.workflow.runner import CachePolicy, RetryPolicy
from motools.workflow.state import WorkflowState

if TYPE_CHECKING:
    from motools.specs import SweepSpec


def generate_sweep_name(prefix: str) -> str:
    """``<prefix>-<time>-<random>``, the prefix cut down to what the name rule allows."""
    from motools.names import safe_prefix

    return f"{safe_prefix(prefix, 70)}-{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(2)}"


@dataclass(frozen=True)
class SweepOutcome:
    """How an execution ended: the sweep's status and every finished run's state, in grid order."""

    name: str
    status: Status
    states: list[WorkflowState]


# -- record -------------------------------------------------------------------------------------
def record_sweep(
    spec: SweepSpec,
    *,
    name: str | None = None,
    store: Store | None = None,
    max_parallel: int | None = None,
    origin: str | os.PathLike[str] | None = None,
    workflow: Workflow | None = None,
) -> Recorded:
    """Validate ``spec`` and record its sweep with pending runs; nothing runs yet.

    ``origin`` is the spec file, whose folder a worker searches for user modules; ``workflow``
    skips resolving ``spec.workflow`` when the caller already holds the object.
    """
    from motools.names import check_name

    store = store or open_store()
    sweep_name = check_name(name, "sweep name") if name is not None else generate_sweep_name(spec.name)
    paths = import_paths_for(origin)
    add_import_paths(paths)
    resolved = spec.resolve(source=str(origin) if origin else None, workflow=workflow, home=store.home)
    base = resolved.workflow.validate_config(spec.base_config).model_dump(mode="json")
    runs = [
        RunRecord(json.dumps(params, default=str), canonical_json(cfg.model_dump(mode="json")), config_hash(cfg))
        for params, cfg in resolved.plans
    ]
    record = SweepRecord(
        name=sweep_name,
        spec_name=spec.name,
        spec_yaml=spec.to_yaml(),
        workflow=spec.workflow,
        user=spec.execution.user,
        max_parallel=max_parallel or spec.execution.max_parallel,
        base_hash=content_hash(canonical_json(base)),
        import_paths=paths,
        workdir=os.getcwd(),
    )
    return store_record_sweep(store, record, runs)


def spec_from_arguments(
    workflow: Workflow,
    base_config: Any,
    param_grid: Mapping[str, Sequence[Any]],
    *,
    name: str,
    max_parallel: int,
    retries: int,
    retry_backoff_s: float,
    user: str | None,
    output: Any = None,
    input_atoms: Mapping[str, str] | None = None,
    executor: ExecutorSettings | None = None,
) -> SweepSpec:
    """The spec a Python ``run_sweep`` call amounts to (stored, so the sweep can be resumed)."""
    from motools.specs import SweepSpec
    from motools.workflow.grid import grid_for_spec

    base = workflow.validate_config(base_config)
    return SweepSpec(
        name=name,
        workflow=workflow_ref(workflow),
        base_config=base.model_dump(mode="json", exclude_unset=True),
        param_grid=grid_for_spec(param_grid),
        execution={
            "max_parallel": max_parallel,
            "retries": retries,
            "user": user,
            "retry_backoff_s": retry_backoff_s,
            **_executor_fields(executor),
        },
        output=output or {},
        input_atoms=dict(input_atoms or {}),
    )


def _executor_fields(settings: ExecutorSettings | None) -> dict[str, Any]:
    if settings is None or settings.name == "local":
        return {}
    fields: dict[str, Any] = {"executor": settings.name}
    if settings.workers is not None:
        fields["workers"] = settings.workers
    if settings.ray_address is not None:
        fields["ray_address"] = settings.ray_address
    return fields


# -- execute ------------------------------------------------------------------------------------
def sweep_workflow(sweep: dict[str, Any]) -> tuple[Workflow, SweepSpec]:
    """The workflow (and frozen spec) of a recorded sweep, imported the way its worker would:
    through the sweep's recorded import paths. A :class:`MotoolsError` says what is missing."""
    from motools.specs import parse_spec_text

    add_import_paths(json.loads(sweep.get("import_paths") or "[]"))
    spec = parse_spec_text(sweep["spec_yaml"], source=f"sweep {sweep['name']}", resolve=False)
    try:
        return resolve_workflow(spec.workflow), spec
    except ValueError as exc:
        raise MotoolsError(f"sweep {sweep['name']}: cannot load its workflow: {exc}") from None


def prepare_execution(
    name: str,
    *,
    store: Store,
    max_parallel: int | None = None,
    observer: RunObserver | None = None,
    cache: CachePolicy | None = None,
    workflow: Workflow | None = None,
    executor: ExecutorOverride | None = None,
) -> SweepExecution:
    """Everything a worker needs before it claims the sweep: its workflow and recorded runs
    (``executor``: where it runs this time, if not where its spec says).

    Raises (``MotoolsError``, ``ValueError``, ``ImportError``) when the sweep cannot run here;
    a detached worker records that reason on the sweep.
    """
    sweep = store.get_sweep(name)
    if workflow is None:
        wf, spec = sweep_workflow(sweep)
    else:
        from motools.specs import parse_spec_text

        wf, spec = workflow, parse_spec_text(sweep["spec_yaml"], source=f"sweep {name}", resolve=False)
    plans = plans_from_rows(wf, store.read.runs(sweep["id"]))
    recorded = ExecutorSettings.from_spec(spec.execution)
    options = ExecutionOptions(
        max_parallel=max_parallel or sweep["max_parallel"] or spec.execution.max_parallel,
        retry=RetryPolicy(spec.execution.retries, spec.execution.retry_backoff_s),
        cache=cache or CachePolicy(),
        input_atoms=tuple(spec.input_atoms.items()),
        executor=executor.apply(recorded) if executor else recorded,
        spec_executor=recorded.name,
    )
    return SweepExecution(store, sweep, wf, plans, options, observer)


async def execute_sweep(
    name: str,
    *,
    store: Store | None = None,
    max_parallel: int | None = None,
    observer: RunObserver | None = None,
    control: SweepControl | None = None,
    cache: CachePolicy | None = None,
    workflow: Workflow | None = None,
    executor: ExecutorOverride | None = None,
) -> SweepOutcome:
    """Run a recorded sweep in this process until every run has ended (or it is cancelled).

    Finished runs are kept (never run again); the rest run. Raises ``SweepBusy`` if another live
    worker holds the sweep, ``StoreError`` if the store stops taking writes.
    """
    store = store or await asyncio.to_thread(open_store)
    execution = await asyncio.to_thread(
        lambda: prepare_execution(
            name,
            store=store,
            max_parallel=max_parallel,
            observer=observer,
            cache=cache,
            workflow=workflow,
            executor=executor,
        )
    )
    if control is not None:
        control.attach(execution.cancel)
    states = await execution.run()
    return SweepOutcome(name, execution.status, states)


# -- detach -------------------------------------------------------------------------------------
def worker_log(store: Store, name: str) -> Path:
    """``<home>/workers/<name>.log``; a name that breaks the name rule (recorded before it
    existed) gets a file named by its hash, so a log is never written outside the store."""
    from motools.names import is_valid_name

    if not is_valid_name(name):
        name = "sweep-" + content_hash(name)[:16]
    return store.home / "workers" / f"{name}.log"


def detach_sweep(
    name: str,
    *,
    store: Store | None = None,
    max_parallel: int | None = None,
    cache: CachePolicy | None = None,
    force_outputs: bool = False,
    executor: ExecutorOverride | None = None,
) -> int:
    """Start a worker for the recorded sweep ``name`` in a session of its own; returns its pid.

    The worker survives the terminal closing or the SSH link dropping; its output goes to
    ``<home>/workers/<name>.log``. It runs with ``python -P`` from the launching folder, so
    neither that folder nor the store's can shadow an installed module; user modules are found
    through the sweep's recorded import paths.
    """
    store = store or open_store()
    sweep = store.get_sweep(name)
    log_path = worker_log(store, name)
    log_path.parent.mkdir(exist_ok=True)
    cmd = [sys.executable, "-P", "-m", "motools.workflow.worker", "--home", str(store.home), name]
    if max_parallel:
        cmd += ["--max-parallel", str(max_parallel)]
    cache = cache or CachePolicy()
    if not cache.use_cache:
        cmd.append("--no-cache")
    if cache.rerun:
        cmd += ["--rerun", ",".join(sorted(cache.rerun))]
    if force_outputs:
        cmd.append("--force")
    if executor:
        cmd += executor.as_arguments()
    workdir = sweep.get("workdir")
    cwd = workdir if workdir and Path(workdir).is_dir() else str(store.home.parent)
    with open(log_path, "ab") as out:
        proc = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, cwd=cwd
        )
    record_launcher(store, sweep["id"], proc.pid, this_host())
    _CHILDREN.append(proc)
    return proc.pid


_CHILDREN: list[subprocess.Popen[bytes]] = []


def reap_workers() -> int:
    """Collect finished worker processes this process started (no zombies); returns how many."""
    done = [p for p in _CHILDREN if p.poll() is not None]
    for p in done:
        _CHILDREN.remove(p)
    return len(done)


# -- the callers --------------------------------------------------------------------------------
async def run_sweep(
    workflow: Workflow | str,
    base_config: Any,
    param_grid: Mapping[Any, Sequence[Any]] | None = None,
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
    observer: RunObserver | None = None,
    control: SweepControl | None = None,
    rerun: Sequence[str] = (),
    use_cache: bool = True,
    executor: str = "local",
    workers: int | None = None,
    ray_address: str | None = None,
) -> list[WorkflowState]:
    """Run ``workflow`` for every combination in ``param_grid`` and return the successful states.

    Each grid key is a dot path into the config (``"submit_training.hyperparameters.learning_rate"``).
    The sweep, its runs, steps, metrics and events are recorded in ``store`` (default: the store
    under ``$MOTOOLS_HOME`` or ``./.motools``) as they happen; failed runs are recorded with their
    error and skipped in the result. Re-running with the same ``name`` resumes that sweep (and
    runs only the configs that grid values added since).

    ``executor`` says where steps that may leave this process run (``docs/scaling.md``):
    ``"local"`` (here), ``"processes"`` (a pool of ``workers`` processes for CPU-heavy steps
    such as Inspect evaluation) or ``"ray"`` (Ray tasks on the cluster at ``ray_address``).
    """
    from motools.names import check_name

    _check_arguments(max_parallel=max_parallel, retries=retries, retry_backoff_s=retry_backoff_s)
    ExecutorOverride(executor, workers, ray_address, options=False).apply(ExecutorSettings())  # refused at once
    if name is not None:
        check_name(name, "sweep name")
    if spec_name is not None:
        check_name(spec_name, "spec name")
    wf = resolve_workflow(workflow)
    store = store or await asyncio.to_thread(open_store)
    if input_atoms:
        missing = [f"{k}={v}" for k, v in input_atoms.items() if not store.has_atom(v)]
        if missing:
            raise SpecError([("input_atoms", f"no such atoms in {store.db_path}: {', '.join(missing)}")])
    sweep_name = name or generate_sweep_name(spec_name or wf.name)
    spec = spec_from_arguments(
        wf,
        base_config,
        param_grid or {},
        name=spec_name or sweep_name,
        max_parallel=max_parallel,
        retries=retries,
        retry_backoff_s=retry_backoff_s,
        user=user,
        output=output,
        input_atoms=input_atoms,
        executor=ExecutorSettings(executor, workers, ray_address),
    )
    recorded = await asyncio.to_thread(
        lambda: record_sweep(spec, name=sweep_name, store=store, max_parallel=max_parallel, workflow=wf)
    )
    outcome = await execute_sweep(
        recorded.sweep["name"],
        store=store,
        max_parallel=max_parallel,
        observer=observer,
        control=control,
        cache=CachePolicy(use_cache, frozenset(rerun)),
        workflow=wf,
    )
    by_run = {s.run_id: s for s in outcome.states}
    return [by_run[rid] for rid in recorded.run_ids if rid in by_run]


async def resume_sweep(
    name: str,
    *,
    store: Store | None = None,
    max_parallel: int | None = None,
    observer: RunObserver | None = None,
    control: SweepControl | None = None,
    cache: CachePolicy | None = None,
    executor: str | None = None,
    workers: int | None = None,
    ray_address: str | None = None,
) -> SweepOutcome:
    """Finish an interrupted, cancelled or failed sweep: finished runs are kept, the rest run.

    ``executor`` (with ``workers`` or ``ray_address``) runs it elsewhere this time than its spec
    says: locally after its Ray cluster is gone, say. Finished steps are not repeated either way.
    """
    store = store or await asyncio.to_thread(open_store)
    override = ExecutorOverride(executor, workers, ray_address, options=False)

    def prepare(store: Store) -> None:
        if override:  # refused before anything changes
            override.check(store.get_sweep(name)["spec_yaml"])
        prepare_to_run(store, name, max_parallel=max_parallel)

    await asyncio.to_thread(prepare, store)
    return await execute_sweep(
        name,
        store=store,
        max_parallel=max_parallel,
        observer=observer,
        control=control,
        cache=cache,
        executor=override or None,
    )


def retry_count(store: Store, name: str) -> int:
    """How many runs a retry would run again; refuses a sweep that is running."""
    from motools.liveness import worker_alive

    sweep = store.get_sweep(name)
    if worker_alive(sweep):
        raise MotoolsError(
            f"sweep {name} is running (worker {sweep['worker_pid']} on {sweep['worker_host']}); "
            f"retry once it ends, or cancel it first with 'motools sweep cancel {name}'"
        )
    counts = store.read.status_counts(sweep["id"])
    return sum(n for status, n in counts.items() if status != Status.FINISHED)


def _check_arguments(*, max_parallel: Any, retries: Any, retry_backoff_s: Any) -> None:
    """Bad ``run_sweep`` arguments fail at once, naming the argument."""
    if isinstance(max_parallel, bool) or not isinstance(max_parallel, int) or max_parallel < 1:
        raise ValueError(f"max_parallel must be a whole number of at least 1, got {max_parallel!r}")
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise ValueError(f"retries must be a whole number of at least 0, got {retries!r}")
    if not isinstance(retry_backoff_s, (int, float)) or isinstance(retry_backoff_s, bool) or retry_backoff_s < 0:
        raise ValueError(f"retry_backoff_s must be a number of at least 0, got {retry_backoff_s!r}")


__all__ = [
    "SweepOutcome",
    "detach_sweep",
    "execute_sweep",
    "generate_sweep_name",
    "prepare_execution",
    "reap_workers",
    "record_sweep",
    "resume_sweep",
    "retry_count",
    "run_sweep",
    "spec_from_arguments",
    "worker_log",
]
