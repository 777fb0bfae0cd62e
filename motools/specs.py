"""Saved sweep specs: a YAML document naming a workflow, a base config and a parameter grid.

``SweepSpec`` checks its own shape; :meth:`SweepSpec.resolve` checks it against the workflow
(config fields, grid paths, import strings, backends, credentials) and yields the run configs.
Every refusal is a :class:`~motools.errors.SpecError` naming the file, field path and line.

A spec read from text (a file, the app's import or editor, a saved spec) is untrusted input:
it is held to :mod:`motools.limits` before anything is built, refused if it holds NaN,
infinities or something that looks like an API key, and it is resolved only under a trust guard
(:func:`motools.imports.only_trusted`) after a scan listing every callable it names
(:mod:`motools.trust`). A spec built in Python is the caller's own code and resolves freely.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from motools.errors import SpecError
from motools.names import NAME_RULE, check_name
from motools.spec_files import declared_executor, load_text, read_spec_file
from motools.yamlio import dump_yaml, line_of

MAX_LOCATED = 50  # problems given a line number (each lookup walks the document)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


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
    name: str = Field(description=f"the spec's name: {NAME_RULE}")
    workflow: str = "train_and_evaluate"
    base_config: dict[str, Any]
    param_grid: dict[str, Annotated[list[Any], Field(min_length=1)]] = Field(default_factory=dict)
    execution: ExecutionSpec = Field(default_factory=ExecutionSpec)
    output: OutputSpec = Field(default_factory=OutputSpec)
    input_atoms: dict[str, str] = Field(default_factory=dict, description="atoms every run starts with, by key")

    # Where the spec came from: None for Python (the caller's own code, resolved freely); for
    # text, the modules the user trusted for it beyond the configured ones (resolved under a guard).
    _text_trust: tuple[str, ...] | None = PrivateAttr(default=None)

    @field_validator("name")
    @classmethod
    def _valid_name(cls, value: str) -> str:
        return check_name(value, "spec name")

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

    @property
    def from_text(self) -> bool:
        return self._text_trust is not None

    def resolve(
        self,
        *,
        source: str | None = None,
        text: str | None = None,
        preflight: bool = True,
        workflow: Any = None,
        home: str | os.PathLike[str] | None = None,
    ) -> ResolvedSpec:
        """Check the spec against its workflow; the runs it would launch, or a SpecError.

        A spec from text is scanned first: callables outside the trusted modules (of ``home``'s
        config) raise :class:`UntrustedSpecError` before anything is imported, and resolving
        happens under a guard that refuses any other import.
        """
        if self._text_trust is None:
            return self._resolve(source, text, preflight, workflow)
        from motools.imports import only_trusted
        from motools.trust import is_trusted, trusted_modules, untrusted_callables

        extra = self._text_trust
        document = {"workflow": self.workflow, "base_config": self.base_config, "param_grid": self.param_grid}
        unknown = [c for c in untrusted_callables(document, home) if not is_trusted(c, extra)]
        if unknown:
            raise UntrustedSpecError(unknown, source)
        with only_trusted([*trusted_modules(home), *extra]):
            return self._resolve(source, text, preflight, workflow)

    def _resolve(self, source: str | None, text: str | None, preflight: bool, workflow: Any) -> ResolvedSpec:
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
    if err.problems and all(p.line for p in err.problems):
        return err
    problems = []
    for i, p in enumerate(err.problems):
        if p.line or i >= MAX_LOCATED:
            problems.append((p.path, p.message, p.line))
            continue
        parts: list[str | int] = []
        if p.path.startswith("param_grid."):
            parts = ["param_grid", p.path.removeprefix("param_grid.")]
        else:
            parts = [int(x) if x.isascii() and x.isdigit() else x for x in p.path.split(".")] if p.path else []
        problems.append((p.path, p.message, p.line or line_of(text, parts)))
    return SpecError(problems, err.source)


def value_problems(data: dict[str, Any]) -> list[tuple[str, str]]:
    """Values no spec may hold, wherever they sit: NaN or infinite numbers, and secrets."""
    from motools.limits import non_finite_paths
    from motools.secrets import SECRET_ADVICE, secret_paths

    problems: list[tuple[str, str]] = []
    for section in ("base_config", "param_grid", "execution", "output", "input_atoms"):
        if section in data:
            for path in non_finite_paths(data[section], section):
                problems.append((path, "expected a finite number, got NaN or an infinity"))
    for path in secret_paths({k: v for k, v in data.items() if k != "name"}):
        problems.append((path, SECRET_ADVICE))
    return problems


def parse_spec(
    data: Any,
    *,
    source: str | None = None,
    text: str | None = None,
    resolve: bool = True,
    preflight: bool = True,
    home: str | os.PathLike[str] | None = None,
    trusted: Iterable[str] = (),
) -> SweepSpec:
    """A validated spec from loaded YAML data (and the text, for line numbers).

    The spec counts as text (see :meth:`SweepSpec.resolve`): its callables must lie in the
    trusted modules of ``home``'s config or in ``trusted`` (modules the user just confirmed).
    """
    from motools.workflow.plan import pydantic_problems

    if not isinstance(data, dict):
        raise SpecError([("", f"expected a mapping at the top level, got {type(data).__name__}")], source)
    problems = value_problems(data)
    if problems:
        raise _located(SpecError(problems, source), text)
    try:
        spec = SweepSpec.model_validate(data)
    except ValidationError as exc:
        raise _located(SpecError(pydantic_problems(exc, model=SweepSpec), source), text) from None
    spec._text_trust = tuple(trusted)
    if resolve:
        spec.resolve(source=source, text=text, preflight=preflight, home=home)
    return spec


def parse_spec_text(
    text: str,
    *,
    source: str | None = None,
    resolve: bool = True,
    preflight: bool = True,
    home: str | os.PathLike[str] | None = None,
) -> SweepSpec:
    """A spec from YAML text; with ``resolve``, refused (:class:`UntrustedSpecError`) if it names
    callables outside the trusted modules. :func:`load_spec_text` can also trust them."""
    return parse_spec(
        load_text(text, source), source=source, text=text, resolve=resolve, preflight=preflight, home=home
    )


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

    Callables outside installed motools content (the zoo) and the trusted modules are
    refused before anything is imported (:class:`UntrustedSpecError`, which lists them), unless
    ``trust`` is set, which trusts their modules for good. User modules are searched in
    ``origin``'s folder (the spec file) and the working directory.
    """
    from motools.trust import modules_of, trust_modules, untrusted_callables
    from motools.workflow.imports import add_import_paths, import_paths_for

    # The folders user modules are found in are on the import path before the scan, so the scan
    # sees every module the resolver could import (appending a folder imports nothing).
    add_import_paths(import_paths_for(origin))
    data = load_text(text, source)
    unknown = untrusted_callables(data, home) if isinstance(data, dict) else []
    if unknown and not trust:
        raise UntrustedSpecError(unknown, source)
    modules = modules_of(unknown)
    spec = parse_spec(data, source=source, text=text, resolve=resolve, preflight=preflight, home=home, trusted=modules)
    if modules:
        trust_modules(modules, home)
    return spec


def load_spec(
    path: str | os.PathLike[str],
    *,
    resolve: bool = True,
    preflight: bool = True,
    trust: bool = False,
    home: str | os.PathLike[str] | None = None,
) -> SweepSpec:
    """Read and validate a spec file (see :func:`load_spec_text`); errors name the file."""
    return load_spec_text(
        read_spec_file(path, home),
        source=str(Path(path)),
        resolve=resolve,
        preflight=preflight,
        trust=trust,
        home=home,
        origin=path,
    )


__all__ = [
    "ConfidenceIntervalSpec",
    "ExecutionSpec",
    "OutputSpec",
    "PlotSpec",
    "ResolvedSpec",
    "SweepSpec",
    "UntrustedSpecError",
    "declared_executor",
    "load_spec",
    "load_spec_text",
    "parse_spec",
    "parse_spec_text",
    "read_spec_file",
    "value_problems",
]
