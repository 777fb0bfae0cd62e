"""Workflows: an ordered set of named steps, each with a typed config and atom inputs/outputs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

if TYPE_CHECKING:
    from motools.atoms import Atom
    from motools.workflow.context import StepContext

StepFn = Callable[["StepContext", Any, Mapping[str, "Atom"]], Awaitable[Mapping[str, "Atom"]]]


@dataclass(frozen=True)
class Step:
    """One unit of cached work.

    ``version`` is part of the cache key: bump it when the step's behaviour changes so old
    results are not reused.
    """

    name: str
    fn: StepFn
    config_model: type[BaseModel]
    inputs: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()
    version: str = "1"
    cache_ignore: tuple[str, ...] = ()  # config fields that do not change the result (poll intervals)


@dataclass(frozen=True)
class Workflow:
    """A named pipeline. ``config_model`` has one field per step, holding that step's config.

    ``preflight`` checks things a config cannot check by itself (credentials, for instance);
    it returns ``(field_path, message)`` problems and must not touch the network.
    """

    name: str
    config_model: type[BaseModel]
    steps: tuple[Step, ...]
    import_path: str | None = None
    preflight: Callable[[Any], list[tuple[str, str]]] | None = None
    description: str = ""
    _by_name: dict[str, Step] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        names = [s.name for s in self.steps]
        if len(set(names)) != len(names):
            raise ValueError(f"workflow {self.name!r} has duplicate step names: {names}")
        for step in self.steps:
            if step.name not in self.config_model.model_fields:
                raise ValueError(f"{self.config_model.__name__} has no field for step {step.name!r}")
            self._by_name[step.name] = step

    def step(self, name: str) -> Step:
        return self._by_name[name]

    def validate_config(self, config: Any) -> BaseModel:
        if isinstance(config, self.config_model):
            return config
        if isinstance(config, BaseModel):
            config = config.model_dump()
        return self.config_model.model_validate(config)
