"""Saved specs as the app lists them, and spec validation in the editor's terms.

Listing needs only YAML (workflow, grid, size); full validation (pydantic, the workflow's
config models, import strings) happens on save and launch, in a worker thread.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import pairwise
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


def validate(
    text: str, *, source: str | None = None, trust: bool = False, home: Any = None, origin: Any = None
) -> tuple[Any, list[Problem]]:
    """Parse and fully resolve a spec through :func:`motools.specs.load_spec_text` (the one
    entry, with its trust check; ``origin``: the spec file, beside which user modules are
    found); ``(spec, [])`` or ``(None, problems)``.

    ``UntrustedSpecError`` (its ``callables``) propagates: the caller asks, then calls again
    with ``trust=True``. Imports pydantic, the workflow and its step modules: call it from a
    worker thread.
    """
    from motools.errors import SpecError
    from motools.specs import UntrustedSpecError, load_spec_text

    try:
        spec = load_spec_text(text, source=source, trust=trust, home=home, origin=origin)
    except UntrustedSpecError:
        raise
    except SpecError as exc:
        return None, [_located(text, Problem(p.path, p.message, p.line)) for p in exc.problems]
    return spec, []


INDENTATION_ERRORS = (  # PyYAML's and libyaml's words for a line at the wrong depth
    "expected <block end>",
    "mapping values are not allowed",
    "could not find expected ':'",
    "did not find expected key",
    "did not find expected '-' indicator",
)


def _located(text: str, problem: Problem) -> Problem:
    """A YAML indentation error at the line of the mistake, not where the parser noticed it."""
    if problem.line is None or not problem.message.startswith("malformed YAML"):
        return problem
    if not any(e in problem.message for e in INDENTATION_ERRORS):
        return problem
    line = mistake_line(text, problem.line)
    if line == problem.line:
        return problem
    detail = problem.message.removeprefix("malformed YAML: ")
    return Problem(
        problem.path,
        f"malformed YAML: this line's indentation does not fit the lines around it (the parser noticed at {detail})",
        line,
    )


def mistake_line(text: str, noticed: int) -> int:
    """The 1-based line most likely holding an indentation mistake that YAML noticed at line
    ``noticed`` (the parser notices one line late when the mistake opens a block).

    Looked at: the noticed line L and the content line P before it. A line indented by an
    amount no other level of the document uses (3 spaces among multiples of 2) is the mistake;
    P is when it fell out of the block the line before it opened while L is deeper; a line
    deeper than P where P cannot open a block is L; a line that falls back to a level no open
    block has means P's block was indented wrongly: its first line.
    """
    lines = text.splitlines()
    if not 1 <= noticed <= len(lines):
        return noticed

    def indent(s: str) -> int:
        return len(s) - len(s.lstrip(" "))

    def content(i: int) -> bool:
        s = lines[i].strip()
        return bool(s) and not s.startswith("#")

    li = noticed - 1
    if not content(li):
        return noticed
    pi = next((i for i in range(li - 1, -1, -1) if content(i)), None)
    if pi is None:
        return noticed
    indents = [indent(lines[i]) for i in range(len(lines)) if content(i)]
    steps = [b - a for a, b in pairwise(indents) if b > a]
    unit = min(steps) if steps and min(steps) > 1 else 2
    unit = 2 if any(i % unit for i in indents if i % 2 == 0) else unit
    for i in (li, pi):
        if indent(lines[i]) % unit:
            return i + 1
    ind_l, ind_p = indent(lines[li]), indent(lines[pi])
    opens = lines[pi].rstrip().endswith(":") or lines[pi].lstrip().startswith("- ")
    ppi = next((i for i in range(pi - 1, -1, -1) if content(i)), None)
    if (
        ind_l > ind_p
        and ppi is not None
        and lines[ppi].rstrip().endswith(":")
        and ind_p <= indent(lines[ppi])
        and not lines[pi].lstrip().startswith("- ")
    ):
        return pi + 1  # P left the block the line before it opened (and L shows that block)
    if ind_l > ind_p and not opens:
        return noticed
    if ind_l < ind_p:
        open_levels = {0}
        level = ind_p
        for i in range(pi - 1, -1, -1):
            if content(i) and indent(lines[i]) < level:
                level = indent(lines[i])
                open_levels.add(level)
        if ind_l not in open_levels:
            first = pi
            for i in range(pi - 1, -1, -1):
                if not content(i):
                    continue
                if indent(lines[i]) != ind_p:
                    break
                first = i
            return first + 1
    return noticed


def line_of_key(text: str, key: str) -> int | None:
    """1-based line of a top-level key, for problems the engine does not locate."""
    for i, line in enumerate(text.splitlines(), 1):
        if line.startswith(f"{key}:"):
            return i
    return None
