"""The step's side of an executor: run one :class:`StepRequest` in this process.

Used by every process that runs steps for a driver (a pool process, a Ray worker). The step
function is found by importing the workflow again (``module:attribute`` plus the sweep's
import paths) and must be the same code the driver hashed into the cache key. The step talks
to a :class:`BufferedServices`, which keeps what it makes (atoms, evaluation results) for the
:class:`StepResult` and passes log lines, progress and checkpoints to a :class:`Channel`: the
driver's socket for pool processes, a list returned with the result on Ray.
"""

from __future__ import annotations

import asyncio
import os
import pickle
import shutil
import tempfile
import time
import traceback
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Protocol

from motools.atoms import INLINE_LIMIT, Atom, atom_id_for, content_hash
from motools.errors import TransientError
from motools.executors.base import AtomPayload, EvalRecord, NewAtom, Note, RemoteStepError, StepRequest, StepResult
from motools.imports import resolve_import
from motools.store.records import Placement, SampleRecord
from motools.workflow.base import Step, Workflow
from motools.workflow.cache import step_version
from motools.workflow.context import StepContext
from motools.workflow.imports import add_import_paths


class StepCodeChanged(RuntimeError):
    """The step's code where it runs differs from the code the driver hashed into its cache key."""


class Channel(Protocol):
    """How a running step reaches its driver (see :class:`~motools.executors.base.StepSink`)."""

    def note(self, note: Note) -> None: ...

    async def ask(self, kind: str, payload: Any) -> Any: ...

    def drain(self) -> list[Note]:
        """Notes not yet passed on (they travel with the result)."""
        ...


class BufferChannel:
    """For executors that cannot talk to the driver while a step runs (Ray): everything waits
    for the result. Checkpoints are kept too (a retry resumes from them), but are not durable
    before the step ends."""

    def __init__(self, where: str = "on Ray"):
        self.notes: list[Note] = []
        self.where = where

    def note(self, note: Note) -> None:
        self.notes.append(note)

    async def ask(self, kind: str, payload: Any) -> Any:
        if kind == "checkpoint":
            self.notes.append(("checkpoint", payload))
            return None
        raise KeyError(
            f"atom {payload!r} is not among this step's inputs: a step that runs {self.where} gets only the atoms "
            "its step declares as inputs"
        )

    def drain(self) -> list[Note]:
        notes, self.notes = self.notes, []
        return notes


class BufferedServices:
    """:class:`~motools.workflow.context.StepServices` away from the store: keeps what the step makes."""

    def __init__(self, channel: Channel, home: Path, sweep_name: str, inputs: Mapping[str, Atom], scratch: Path):
        self.channel = channel
        self.home = home
        self.sweep_name = sweep_name
        self.scratch = scratch
        self._atoms: dict[str, Atom] = {a.id: a for a in inputs.values()}
        self.made: list[NewAtom] = []
        self.evals: list[EvalRecord] = []

    def log(self, run_id: int | None, step: str | None, message: str, level: str = "info") -> None:
        self.channel.note(("log", time.time(), level, message))

    def progress(self, run_id: int, step: str, done: float, total: float | None, message: str | None) -> None:
        self.channel.note(("progress", done, total, message))

    async def save_checkpoint(self, cache_key: str, state: dict[str, Any]) -> None:
        await self.channel.ask("checkpoint", state)

    async def put_atom(
        self, kind: str, payload: bytes | str, *, metadata: dict[str, Any] | None = None, as_json: Any = None
    ) -> Atom:
        data = payload.encode() if isinstance(payload, str) else bytes(payload)
        digest = content_hash(data)
        atom_id = atom_id_for(kind, digest)
        if atom_id in self._atoms:
            return self._atoms[atom_id]
        meta = dict(metadata or {})
        if as_json is not None and len(data) <= INLINE_LIMIT:
            atom = Atom(atom_id, kind, digest, data=as_json, metadata=meta)
        else:
            atom = Atom(atom_id, kind, digest, path=_write(self.scratch / atom_id, data), metadata=meta)
        self.made.append(NewAtom(atom_id, kind, data, meta, as_json is not None))
        self._atoms[atom_id] = atom
        return atom

    async def load_atom(self, atom_id: str) -> Atom:
        atom = self._atoms.get(atom_id)
        if atom is None:
            atom = materialize(await self.channel.ask("atom", atom_id), self.scratch)
            self._atoms[atom_id] = atom
        return atom

    def record_results(
        self, atom_id: str, task: str, metrics: Mapping[str, float], samples: Iterable[SampleRecord]
    ) -> None:
        self.evals.append(EvalRecord(atom_id, task, {k: float(v) for k, v in metrics.items()}, list(samples)))


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def materialize(payload: AtomPayload, scratch: Path) -> Atom:
    """An :class:`Atom` the step can read, from what the driver shipped."""
    if payload.path is not None:
        path: Path | None = Path(payload.path)
    elif payload.content is not None:
        path = _write(scratch / payload.id, payload.content)
    else:
        path = None
    if path is None:
        return Atom(payload.id, payload.kind, payload.content_hash, data=payload.data, metadata=payload.metadata)
    return Atom(payload.id, payload.kind, payload.content_hash, path=path, metadata=payload.metadata)


def find_step(request: StepRequest) -> Step:
    """The step function, by importing the workflow as the driver named it."""
    add_import_paths(request.import_paths)
    workflow = resolve_import(request.workflow, what="object")
    if not isinstance(workflow, Workflow):
        raise TypeError(f"{request.workflow!r} is not a motools Workflow")
    step = workflow.step(request.step)
    here = step_version(step)
    if here != request.version:
        raise StepCodeChanged(
            f"step {request.step!r} of {request.workflow} is not the code the sweep's worker runs "
            f"(version {here} here, {request.version} there): install the same code where steps run"
        )
    return step


def preload() -> None:
    """Before the sweep's spec is validated: the one-time imports of motools' own evaluation
    backends (Inspect's), never the sweep's code. A failure is only reported."""
    from motools.evals.base import eval_backend_names, get_eval_backend

    for name in eval_backend_names():
        try:
            warm = getattr(get_eval_backend(name), "warm_up", None)
            if warm is not None:
                warm(None)
        except Exception:
            traceback.print_exc()


def warm_up(workflow: str, import_paths: tuple[str, ...], configs: dict[str, dict[str, Any]]) -> None:
    """Import the workflow and run the ``warmup`` of each step this process will run (imports of
    Inspect, a task...), before requests arrive. A failure here is only reported: the step's own
    execution will meet it again and fail properly."""
    try:
        add_import_paths(import_paths)
        found = resolve_import(workflow, what="object")
        for name, config in configs.items():
            step = found.step(name)
            if step.warmup is not None:
                step.warmup(step.config_model.model_validate(config))
    except Exception:
        traceback.print_exc()


def sendable(exc: BaseException) -> BaseException:
    """``exc`` as it can travel to the driver (pickled), carrying its traceback from here."""
    tb = "".join(traceback.format_exception(exc))
    try:
        clone = pickle.loads(pickle.dumps(exc))
    except Exception:
        kind = TransientError if isinstance(exc, TransientError) else RemoteStepError
        clone = kind(f"{type(exc).__name__}: {exc}")
    clone.remote_traceback = tb  # type: ignore[attr-defined]
    return clone


async def execute_request(
    request: StepRequest, channel: Channel, placement: Placement, *, home: Path | None = None
) -> StepResult:
    """Run the requested step here; every exception of the step comes back in the result."""
    scratch = Path(tempfile.mkdtemp(prefix="motools-step-"))
    try:
        try:
            step = find_step(request)
            config = step.config_model.model_validate(request.config)
            inputs = {k: materialize(p, scratch) for k, p in request.inputs.items()}
            services = BufferedServices(channel, home or Path(request.home), request.sweep_name, inputs, scratch)
            ctx = StepContext(services, request.run_id, request.step, request.cache_key, request.checkpoint)
            produced = await step.fn(ctx, config, inputs)
            outputs = {k: (a.id if isinstance(a, Atom) else str(a)) for k, a in dict(produced).items()}
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            return StepResult(placement, notes=channel.drain(), error=sendable(exc))
        return StepResult(placement, outputs, services.made, services.evals, channel.drain())
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def this_placement(node: str | None = None) -> Placement:
    from motools.liveness import this_host

    return Placement(this_host(), os.getpid(), node)


__all__ = [
    "BufferChannel",
    "BufferedServices",
    "Channel",
    "StepCodeChanged",
    "execute_request",
    "find_step",
    "materialize",
    "preload",
    "sendable",
    "this_placement",
    "warm_up",
]
