"""Saved specs as the app lists them, and spec validation in the editor's terms.

Listing needs only YAML (workflow, grid, size); full validation (pydantic, the workflow's
config models, import strings) happens on save and launch, in a worker thread.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

DEFAULT_WORKFLOW = "train_and_evaluate"


@dataclass
class SpecSummary:
    """One row of the specs list (and the side pane's content)."""

    name: str
    yaml: str
    workflow: str = DEFAULT_WORKFLOW
    grid: dict[str, list[Any]] = field(default_factory=dict)
    size: int | None = None
    max_parallel: int = 4
    last_status: str | None = None
    updated_at: float | None = None
    problem: str | None = None  # set when the YAML does not even load

    @property
    def grid_text(self) -> str:
        return grid_lines(self.grid, self.size)


def grid_lines(grid: dict[str, list[Any]], size: int | None) -> str:
    from motools.params import param_labels
    from motools.text import format_value

    if size is None:
        return "grid: unreadable"
    if not grid:
        return "grid: 1 config (no parameters swept)"
    names = param_labels(list(grid))
    lines = [f"grid: {size} config{'s' if size != 1 else ''}"]
    for path, values in grid.items():
        shown = ", ".join(format_value(v) for v in values)
        lines.append(f"  {names[path]} ×{len(values)}: {shown}")
    return "\n".join(lines)


def summarize(row: dict[str, Any]) -> SpecSummary:
    """A list row from a ``specs`` row (plus ``last_status``), reading the YAML only."""
    from motools.yamlio import YamlSyntaxError, load_yaml

    summary = SpecSummary(
        name=row["name"],
        yaml=row.get("yaml") or "",
        last_status=row.get("last_status"),
        updated_at=row.get("updated_at"),
    )
    try:
        data = load_yaml(summary.yaml)
    except YamlSyntaxError as exc:
        summary.problem = str(exc)
        return summary
    if not isinstance(data, dict):
        summary.problem = "not a mapping"
        return summary
    summary.workflow = str(data.get("workflow") or DEFAULT_WORKFLOW)
    grid = data.get("param_grid") or {}
    if isinstance(grid, dict) and all(isinstance(v, list) for v in grid.values()):
        summary.grid = {str(k): list(v) for k, v in grid.items()}
        size = 1
        for values in summary.grid.values():
            size *= len(values)
        summary.size = size
    else:
        summary.problem = "param_grid is not a mapping of lists"
    execution = data.get("execution") or {}
    if isinstance(execution, dict) and isinstance(execution.get("max_parallel"), int):
        summary.max_parallel = max(1, execution["max_parallel"])
    return summary


def spec_name_of(text: str) -> str | None:
    """The ``name:`` of a YAML document, if it loads and has one."""
    from motools.yamlio import YamlSyntaxError, load_yaml

    try:
        data = load_yaml(text)
    except YamlSyntaxError:
        return None
    if isinstance(data, dict) and isinstance(data.get("name"), str):
        return data["name"]
    return None


def set_spec_name(text: str, name: str) -> str:
    """``text`` with its top-level ``name:`` replaced (or added), keeping comments and layout."""
    pattern = re.compile(r"^name:.*$", re.M)
    if pattern.search(text):
        return pattern.sub(f"name: {name}", text, count=1)
    return f"name: {name}\n{text}"


def unique_name(base: str, taken: set[str] | list[str]) -> str:
    """``base``, or ``base-2``, ``base-3``... whichever is free."""
    taken = set(taken)
    if base not in taken:
        return base
    i = 2
    while f"{base}-{i}" in taken:
        i += 1
    return f"{base}-{i}"


@dataclass
class Problem:
    """One validation problem as the editor shows it."""

    path: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        return f"{where}{self.path or '<root>'}: {self.message}"


def validate(text: str, *, source: str | None = None, preflight: bool = False) -> tuple[Any, list[Problem]]:
    """Parse and fully resolve a spec; ``(spec, [])`` or ``(None, problems)``.

    Imports pydantic, the workflow and its step modules: call it from a worker thread.
    """
    from motools.errors import SpecError
    from motools.specs import parse_spec_text

    try:
        spec = parse_spec_text(text, source=source, resolve=True, preflight=preflight)
    except SpecError as exc:
        return None, [Problem(p.path, p.message, p.line) for p in exc.problems]
    return spec, []


def line_of_key(text: str, key: str) -> int | None:
    """1-based line of a top-level key, for problems the engine does not locate."""
    for i, line in enumerate(text.splitlines(), 1):
        if line.startswith(f"{key}:"):
            return i
    return None
