"""Saved sweep specs: a YAML document naming a workflow, a base config and a parameter grid.

``SweepSpec`` checks its own shape; :meth:`SweepSpec.resolve` checks it against the workflow
(config fields, grid paths, import strings, backends, credentials) and yields the run configs.
Every refusal is a :class:`~motools.errors.SpecError` naming the file, field path and line.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from motools.errors import SpecError
from motools.names import NAME_PATTERN
from motools.yamlio import YamlSyntaxError, dump_yaml, line_of, load_yaml


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ExecutionSpec(_Strict):
    max_parallel: int = Field(4, ge=1, le=10_000)
    retries: int = Field(2, ge=0, le=100)
    retry_backoff_s: float = Field(0.5, ge=0, le=600, description="first retry delay; doubles each time")
    user: str | None = None
    executor: Literal["local", "processes", "ray"] = Field(
        "local", description="where steps that may leave the worker run: here, a process pool, or Ray"
    )
    workers: int | None = Field(None, ge=1, le=1024, description="processes: pool size (default: cores - 1)")
    ray_address: str | None = Field(
        None,
        pattern=r"^\S+$",
        description="ray: 'auto' (default: RAY_ADDRESS, a running cluster, else a new one), 'local' or 'host:port'",
    )

    @field_validator("executor")
    @classmethod
    def _executor_installed(cls, v: str) -> str:
        from motools.executors.base import executor_problem

        problem = executor_problem(v)
        if problem:
            raise ValueError(problem)
        return v

    @model_validator(mode="after")
    def _options_fit(self) -> ExecutionSpec:
        if self.workers is not None and self.executor != "processes":
            raise ValueError(f"workers applies to executor 'processes' only (this spec's executor: {self.executor})")
        if self.ray_address is not None and self.executor != "ray":
            raise ValueError(f"ray_address applies to executor 'ray' only (this spec's executor: {self.executor})")
        return self


class ConfidenceIntervalSpec(_Strict):
    group_cols: list[str]
    value_col: str = "accuracy"
    confidence: float = Field(0.95, gt=0, lt=1)
    method: Literal["auto", "t", "wilson", "bootstrap"] = "auto"
    path: str | None = None


class PlotSpec(_Strict):
    x_col: str
    y_col: str = "accuracy"
    path: str
    title: str | None = None


class OutputSpec(_Strict):
    results_path: str | None = None
    confidence_intervals: ConfidenceIntervalSpec | None = None
    plot: PlotSpec | None = None


class SweepSpec(_Strict):
    name: str = Field(pattern=NAME_PATTERN)
    workflow: str = "train_and_evaluate"
    base_config: dict[str, Any]
    param_grid: dict[str, Annotated[list[Any], Field(min_length=1)]] = Field(default_factory=dict)
    execution: ExecutionSpec = Field(default_factory=ExecutionSpec)
    output: OutputSpec = Field(default_factory=OutputSpec)
    input_atoms: dict[str, str] = Field(default_factory=dict, description="atoms every run starts with, by key")

    # -- I/O ----------------------------------------------------------------------------------
    def to_yaml(self) -> str:
        data = self.model_dump(mode="json", exclude_none=True)
        if not data.get("input_atoms"):
            data.pop("input_atoms", None)
        return dump_yaml(data)

    @property
    def grid_size(self) -> int:
        from motools.workflow.grid import grid_size

        return grid_size(self.param_grid)

    def resolve(
        self, *, source: str | None = None, text: str | None = None, preflight: bool = True, workflow: Any = None
    ) -> ResolvedSpec:
        """Check the spec against its workflow; the runs it would launch, or a SpecError."""
        from motools.workflow.plan import build_plans
        from motools.workflow.registry import resolve_workflow

        if workflow is None:
            try:
                workflow = resolve_workflow(self.workflow)
            except ValueError as exc:
                raise _located(SpecError([("workflow", str(exc))], source), text) from None
        try:
            plans = build_plans(workflow, self.base_config, self.param_grid, source=source, preflight=preflight)
        except SpecError as exc:
            raise _located(exc, text) from None
        return ResolvedSpec(self, workflow, plans)


@dataclass
class ResolvedSpec:
    spec: SweepSpec
    workflow: Any
    plans: list[tuple[dict[str, Any], BaseModel]]


def _located(err: SpecError, text: str | None) -> SpecError:
    """Add YAML line numbers to a SpecError's problems when we have the document text."""
    if text is None:
        return err
    problems = []
    for p in err.problems:
        parts: list[str | int] = []
        if p.path.startswith("param_grid."):
            parts = ["param_grid", p.path.removeprefix("param_grid.")]
        else:
            parts = [int(x) if x.isascii() and x.isdigit() else x for x in p.path.split(".")] if p.path else []
        problems.append((p.path, p.message, p.line or line_of(text, parts)))
    return SpecError(problems, err.source)


def parse_spec(
    data: Any, *, source: str | None = None, text: str | None = None, resolve: bool = True, preflight: bool = True
) -> SweepSpec:
    """A validated spec from loaded YAML data (and the text, for line numbers)."""
    from motools.workflow.plan import pydantic_problems

    if not isinstance(data, dict):
        raise SpecError([("", f"expected a mapping at the top level, got {type(data).__name__}")], source)
    try:
        spec = SweepSpec.model_validate(data)
    except ValidationError as exc:
        raise _located(SpecError(pydantic_problems(exc, model=SweepSpec), source), text) from None
    if resolve:
        spec.resolve(source=source, text=text, preflight=preflight)
    return spec


def parse_spec_text(text: str, *, source: str | None = None, resolve: bool = True, preflight: bool = True) -> SweepSpec:
    try:
        data = load_yaml(text)
    except YamlSyntaxError as exc:
        raise SpecError([("", str(exc), exc.line)], source) from None
    return parse_spec(data, source=source, text=text, resolve=resolve, preflight=preflight)


class UntrustedSpecError(SpecError):
    """The file names callables outside the trusted modules; ``callables`` lists them."""

    def __init__(self, callables: list[str], source: str | None):
        from motools.trust import modules_of

        self.callables = callables
        self.modules = modules_of(callables)
        super().__init__(
            [
                (
                    "",
                    "this spec would import code from untrusted modules: "
                    f"{', '.join(callables)}. Check them, then trust them with --trust (adds "
                    f"{', '.join(self.modules)} to trusted_modules in the motools config)",
                )
            ],
            source,
        )


def load_spec_text(
    text: str,
    *,
    source: str | None = None,
    resolve: bool = True,
    preflight: bool = True,
    trust: bool = False,
    home: str | os.PathLike[str] | None = None,
    origin: str | os.PathLike[str] | None = None,
) -> SweepSpec:
    """Validate a spec document: the one entry for files, the app's import and its editor.

    Callables outside ``motools``, installed motools content and the trusted modules are
    refused before anything is imported (:class:`UntrustedSpecError`, which lists them), unless
    ``trust`` is set, which trusts their modules for good. User modules are then searched in
    ``origin``'s folder (the spec file) and the working directory.
    """
    from motools.trust import modules_of, trust_modules, untrusted_callables
    from motools.workflow.imports import add_import_paths, import_paths_for

    try:
        data = load_yaml(text)
    except YamlSyntaxError as exc:
        raise SpecError([("", str(exc), exc.line)], source) from None
    unknown = untrusted_callables(data, home)
    if unknown and not trust:
        raise UntrustedSpecError(unknown, source)
    add_import_paths(import_paths_for(origin))
    spec = parse_spec(data, source=source, text=text, resolve=resolve, preflight=preflight)
    if unknown:
        trust_modules(modules_of(unknown), home)
    return spec


def read_spec_file(path: str | os.PathLike[str]) -> str:
    """A spec file's text, or a :class:`SpecError` naming the file."""
    p = Path(path)
    try:
        return p.read_text()
    except FileNotFoundError:
        raise SpecError([("", "file not found")], str(p)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError([("", f"cannot read the file: {exc}")], str(p)) from None


def load_spec(
    path: str | os.PathLike[str], *, resolve: bool = True, preflight: bool = True, trust: bool = False
) -> SweepSpec:
    """Read and validate a spec file (see :func:`load_spec_text`); errors name the file."""
    return load_spec_text(
        read_spec_file(path), source=str(Path(path)), resolve=resolve, preflight=preflight, trust=trust, origin=path
    )


__all__ = [
    "ConfidenceIntervalSpec",
    "ExecutionSpec",
    "OutputSpec",
    "PlotSpec",
    "ResolvedSpec",
    "SweepSpec",
    "UntrustedSpecError",
    "load_spec",
    "load_spec_text",
    "parse_spec",
    "parse_spec_text",
    "read_spec_file",
]
