"""Workflows: an ordered set of named steps, each with a typed config and atom inputs/outputs."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from motools.executors.base import StepResources

if TYPE_CHECKING:
    from motools.atoms import Atom
    from motools.workflow.context import StepContext

StepFn = Callable[["StepContext", Any, Mapping[str, "Atom"]], Awaitable[Mapping[str, "Atom"]]]


@dataclass(frozen=True)
class Step:
    """One unit of cached work.

    By default the cache key covers the step function's source, so editing the step re-runs
    it; pin ``version`` (any string) to keep results across edits that do not change them,
    and change it when they do.

    ``remote_ok`` lets an executor run the step away from the sweep's worker (a pool process,
    a Ray node): the step then gets its input atoms and returns what it made, and must not
    rely on state of the worker process or on durable mid-step checkpoints (see
    ``docs/scaling.md``). Steps are local unless they say so.
    """

    name: str
    fn: StepFn
    config_model: type[BaseModel]
    inputs: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()
    version: str | None = None
    cache_ignore: tuple[str, ...] = ()  # config fields that do not change the result (poll intervals)
    resources: StepResources = field(default_factory=StepResources)
    remote_ok: bool = False
    # Called once in each fresh process that will run this step (a pool process), with a config
    # of the step, before any request arrives: import heavy modules here (Inspect, a task).
    warmup: Callable[[Any], Any] | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Workflow:
    """A named pipeline. ``config_model`` has one field per step, holding that step's config.

    ``results`` names the step outputs that hold evaluation results (``"step.output"``); every
    reader (collation, ``sweep show``/``export``, the app) looks there. Left empty, any output
    whose atom carries metrics counts.

    ``preflight`` checks things a config cannot check by itself (credentials, for instance);
    it returns ``(field_path, message)`` problems and must not touch the network.

    ``import_path`` (``"package.module:attribute"``) is how a worker process finds the workflow
    again to resume or retry a sweep; when left out it is found from the module that created
    the workflow.
    """

    name: str
    config_model: type[BaseModel]
    steps: tuple[Step, ...]
    import_path: str | None = None
    preflight: Callable[[Any], list[tuple[str, str]]] | None = None
    description: str = ""
    results: tuple[str, ...] = ()
    module: str | None = field(default=None, compare=False)
    _by_name: dict[str, Step] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        names = [s.name for s in self.steps]
        if len(set(names)) != len(names):
            raise ValueError(f"workflow {self.name!r} has duplicate step names: {names}")
        for step in self.steps:
            if step.name not in self.config_model.model_fields:
                raise ValueError(f"{self.config_model.__name__} has no field for step {step.name!r}")
            self._by_name[step.name] = step
        for ref in self.results:
            step_name, _, key = ref.partition(".")
            if step_name not in self._by_name or key not in self._by_name[step_name].outputs:
                raise ValueError(f"workflow {self.name!r}: results entry {ref!r} is not a 'step.output' of it")
        if self.module is None:
            # The module that built this workflow, so a worker can import it again.
            object.__setattr__(self, "module", sys._getframe(2).f_globals.get("__name__"))

    def step(self, name: str) -> Step:
        return self._by_name[name]

    @property
    def result_outputs(self) -> list[tuple[str, str]]:
        """``(step, output)`` pairs that hold evaluation results (empty: any output with metrics)."""
        return [(r.partition(".")[0], r.partition(".")[2]) for r in self.results]

    def locate(self) -> str | None:
        """``module:attribute`` under which this very workflow can be imported, if any."""
        if self.import_path:
            from motools.imports import resolve_import

            try:
                found = resolve_import(self.import_path, what="object")
            except ValueError:
                return None
            return self.import_path if found == self else None
        module = sys.modules.get(self.module or "")
        if module is None or self.module == "__main__":
            return None
        for attr, value in vars(module).items():
            if value is self:
                return f"{self.module}:{attr}"
        return None

    def validate_config(self, config: Any) -> BaseModel:
        if isinstance(config, self.config_model):
            return config
        if isinstance(config, BaseModel):
            config = config.model_dump()
        return self.config_model.model_validate(config)
