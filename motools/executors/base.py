"""The executor interface: where a step execution runs, and what comes back from it.

The sweep's worker (the *driver*) keeps the store. When a step may run away from it
(``Step.remote_ok``) and the sweep's executor takes it, the driver sends a :class:`StepRequest`
(the workflow's import string, the step's name and config, its input atoms) to the executor,
which runs the step somewhere else (a pool process, a Ray node) and hands back a
:class:`StepResult`: the outputs, every atom made (as bytes), evaluation results (metrics and
sample scores), log lines, progress and checkpoints, and where it ran. The driver records all
of it through its own :class:`~motools.store.records.SweepRecords`; executors never write
the database.

While a step runs, an executor may pass its log lines and progress to the driver as they
happen and ask the driver for things (a checkpoint made durable, an atom that is not among
the step's inputs) through a :class:`StepSink`; an executor that cannot (Ray) returns them
with the result instead.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

from motools.errors import MotoolsError

if TYPE_CHECKING:
    from motools.store.records import Placement, SampleRecord

ExecutorName = Literal["local", "processes", "ray"]
EXECUTOR_NAMES: tuple[str, ...] = ("local", "processes", "ray")
RAY_INSTALL = "pip install 'motools[ray]'"


@dataclass(frozen=True)
class StepResources:
    """What one execution of a step needs, for executors that place steps (see ``docs/scaling.md``).

    ``cpu_heavy`` steps (Inspect evaluation) go to the ``processes`` pool; on Ray a step asks
    for ``num_cpus``, ``num_gpus`` and ``custom`` resources (``{"trainer": 1}``), so a step that
    asks for a GPU lands on a node that has one.
    """

    cpu_heavy: bool = False
    num_cpus: float = 1.0
    num_gpus: float = 0.0
    custom: Mapping[str, float] = field(default_factory=dict, hash=False)


# -- what goes out ----------------------------------------------------------------------------
@dataclass(frozen=True)
class AtomPayload:
    """An input atom as an executor ships it: inline JSON (``data``), a file the executor's
    processes can open where it lies (``path``, same machine), or the file's bytes (``content``)."""

    id: str
    kind: str
    content_hash: str
    metadata: dict[str, Any]
    data: Any = None
    path: str | None = None
    content: bytes | None = None


@dataclass(frozen=True)
class StepRequest:
    """One execution of one step, as the driver hands it to an executor."""

    workflow: str  # "module:attribute", imported again where the step runs
    import_paths: tuple[str, ...]  # the sweep's recorded folders for user modules
    step: str
    version: str  # the step's version (or code hash) on the driver: other code is refused
    config: dict[str, Any]  # the step's config as JSON
    inputs: dict[str, AtomPayload]
    run_id: int
    cache_key: str
    sweep_name: str
    home: str  # the store's folder on the driver's machine
    checkpoint: dict[str, Any] | None = None
    resources: StepResources = field(default_factory=StepResources)


# -- what comes back --------------------------------------------------------------------------
@dataclass(frozen=True)
class NewAtom:
    """An atom a step made: the driver stores it exactly as the step's own process would have."""

    id: str
    kind: str
    payload: bytes
    metadata: dict[str, Any]
    is_json: bool


@dataclass(frozen=True)
class EvalRecord:
    """``ctx.record_eval``'s metrics and sample scores, keyed by the result atom."""

    atom_id: str
    task: str
    metrics: dict[str, float]
    samples: list[SampleRecord]


# Log lines, progress and checkpoints, in the order the step made them:
# ("log", time, level, message) | ("progress", done, total, message) | ("checkpoint", state)
Note = tuple[Any, ...]


@dataclass
class StepResult:
    """What a step execution produced. ``error`` is set (and ``outputs`` is None) if it raised."""

    placement: Placement
    outputs: dict[str, str] | None = None
    atoms: list[NewAtom] = field(default_factory=list)
    evals: list[EvalRecord] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)  # those not already passed on through the sink
    error: BaseException | None = None


class RemoteStepError(Exception):
    """A step raised an exception that could not be sent back as itself; this names it."""


class RemoteTraceback(Exception):
    """The traceback of an exception raised where the step ran (the ``__cause__`` of the
    exception the driver re-raises, so the recorded traceback shows both sides)."""

    def __init__(self, tb: str):
        super().__init__(tb)
        self.tb = tb

    def __str__(self) -> str:
        return f'\n"""\n{self.tb}"""'


class Placeable(Protocol):
    """What an executor looks at to decide whether it takes a step (a :class:`~motools.workflow.base.Step`)."""

    name: str
    resources: StepResources
    remote_ok: bool


# -- the two sides ----------------------------------------------------------------------------
class StepSink(Protocol):
    """The driver's side of one step execution, for executors that talk while the step runs."""

    def placed(self, where: Placement) -> None:
        """Where the step is running (a pool process, a node), as soon as the executor knows."""

    def note(self, note: Note) -> None:
        """A log line or progress report, as it happens."""

    async def ask(self, kind: str, payload: Any) -> Any:
        """``("checkpoint", state)``: durably saved before this returns; ``("atom", id)``: an
        :class:`AtomPayload` of an atom in the driver's store (``KeyError`` if there is none)."""


class Executor(Protocol):
    """Runs step executions away from the driver (see the module docstring)."""

    name: str
    ships_files: bool  # input file atoms travel as bytes (other machines), not as paths
    slots: int | None  # how many steps it runs at once by itself (a pool's processes); None: no fixed number

    def takes(self, step: Placeable) -> bool:
        """Whether this executor runs ``step`` (the rest run in the driver, as ``local`` does)."""

    def warm(self, workflow: str, import_paths: tuple[str, ...], configs: dict[str, dict[str, Any]]) -> None:
        """The sweep is about to run: start what the executor needs (without waiting for it),
        and warm it up for these steps (``configs``: a config of each step it will take)."""

    async def run(self, request: StepRequest, sink: StepSink) -> StepResult:
        """Run the step; raise :class:`~motools.errors.TransientError` when the executor lost it
        (a crashed process, a dead node): the runner retries with backoff."""

    async def shutdown(self) -> None:
        """Stop what the executor started (pool processes, the Ray connection)."""


# -- choosing one -----------------------------------------------------------------------------
@dataclass(frozen=True)
class ExecutorSettings:
    """A sweep's ``execution.executor`` with its options."""

    name: str = "local"
    workers: int | None = None  # processes: pool size (default: cores - 1, at least 1)
    ray_address: str | None = None  # ray: "auto" (default), "local" or "host:port"

    @classmethod
    def from_spec(cls, execution: Any) -> ExecutorSettings:
        return cls(execution.executor, execution.workers, execution.ray_address)

    @classmethod
    def from_spec_text(cls, spec_yaml: str) -> ExecutorSettings:
        """A recorded spec's settings, read without validating it (it was validated when recorded)."""
        from motools.spec_files import declared_execution

        execution = declared_execution(spec_yaml)
        return cls(execution.get("executor") or "local", execution.get("workers"), execution.get("ray_address"))


class ExecutorChoiceError(MotoolsError, ValueError):
    """An executor, or an option of one, that cannot be used as asked (names the option)."""


@dataclass(frozen=True)
class ExecutorOverride:
    """Where a resumed or retried sweep runs this time, instead of where its spec says
    (``--executor``, ``--workers``, ``--ray-address``; the recorded spec is not changed)."""

    executor: str | None = None
    workers: int | None = None
    ray_address: str | None = None
    options: bool = True  # errors name command-line options (--workers), else Python arguments (workers)

    def _named(self, field: str) -> str:
        return "--" + field.replace("_", "-") if self.options else field

    def __bool__(self) -> bool:
        return any(v is not None for v in (self.executor, self.workers, self.ray_address))

    def apply(self, recorded: ExecutorSettings) -> ExecutorSettings:
        """The settings this execution uses; another executor drops the recorded one's options.
        Raises :class:`ExecutorChoiceError` naming the option that does not fit."""
        name = recorded.name if self.executor is None else self.executor
        problem = executor_problem(name) if isinstance(name, str) else f"expected a name, got {name!r}"
        if problem:
            raise ExecutorChoiceError(f"{self._named('executor')}: {problem}")
        same = name == recorded.name
        if self.workers is not None and name != "processes":
            raise ExecutorChoiceError(
                f"{self._named('workers')} applies to executor 'processes' only (this execution's executor: {name})"
            )
        workers_ok = isinstance(self.workers, int) and not isinstance(self.workers, bool) and 1 <= self.workers <= 1024
        if self.workers is not None and not workers_ok:
            raise ExecutorChoiceError(
                f"{self._named('workers')} must be a whole number from 1 to 1024, got {self.workers!r}"
            )
        if self.ray_address is not None and name != "ray":
            raise ExecutorChoiceError(
                f"{self._named('ray_address')} applies to executor 'ray' only (this execution's executor: {name})"
            )
        address = self.ray_address
        address_ok = isinstance(address, str) and bool(address) and not any(map(str.isspace, address))
        if self.ray_address is not None and not address_ok:
            expected = "expected auto, local or host:port"
            raise ExecutorChoiceError(f"{self._named('ray_address')}: {expected}, got {self.ray_address!r}")
        return ExecutorSettings(
            name,
            self.workers if self.workers is not None else (recorded.workers if same else None),
            self.ray_address if self.ray_address is not None else (recorded.ray_address if same else None),
        )

    def check(self, spec_yaml: str | None) -> ExecutorSettings:
        """:meth:`apply` to the execution section of a recorded sweep's spec (its text), so a
        choice that does not fit is refused before anything changes."""
        return self.apply(ExecutorSettings.from_spec_text(spec_yaml or ""))

    def as_arguments(self) -> list[str]:
        """The options that say it again (a detached worker's command line)."""
        args = ["--executor", self.executor] if self.executor else []
        if self.workers is not None:
            args += ["--workers", str(self.workers)]
        if self.ray_address is not None:
            args += ["--ray-address", self.ray_address]
        return args


def default_workers() -> int:
    """Pool size when a sweep does not say: every core but one (the driver's), at least one."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, cores - 1)


def executor_problem(name: str) -> str | None:
    """Why ``name`` cannot be used here (unknown, or its package is missing), else None."""
    import importlib.util

    if name not in EXECUTOR_NAMES:
        return f"unknown executor {name!r}; expected one of: {', '.join(EXECUTOR_NAMES)}"
    if name == "ray":
        try:
            found = importlib.util.find_spec("ray") is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            return f"executor 'ray' needs Ray, which is not installed: {RAY_INSTALL}"
    return None


def make_executor(settings: ExecutorSettings | str | None = None) -> Executor:
    """The executor a sweep's settings name (``local`` when none)."""
    if settings is None or isinstance(settings, str):
        settings = ExecutorSettings(settings or "local")
    problem = executor_problem(settings.name)
    if problem:
        raise MotoolsError(problem)
    if settings.name == "processes":
        from motools.executors.processes import ProcessPoolExecutor

        return ProcessPoolExecutor(settings.workers)
    if settings.name == "ray":
        from motools.executors.ray import RayExecutor

        return RayExecutor(settings.ray_address)
    from motools.executors.local import LocalExecutor

    return LocalExecutor()


__all__ = [
    "EXECUTOR_NAMES",
    "RAY_INSTALL",
    "AtomPayload",
    "EvalRecord",
    "Executor",
    "ExecutorChoiceError",
    "ExecutorName",
    "ExecutorOverride",
    "ExecutorSettings",
    "NewAtom",
    "Note",
    "Placeable",
    "RemoteStepError",
    "RemoteTraceback",
    "StepRequest",
    "StepResources",
    "StepResult",
    "StepSink",
    "default_workers",
    "executor_problem",
    "make_executor",
]
