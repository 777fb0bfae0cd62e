"""Hard limits on spec input, checked before anything is expanded.

A spec file may come from anyone, and the cost of a hostile one must stay small: an 831-byte
YAML alias bomb expands to gigabytes, a grid of ten lists of ten values is ten million configs,
a string of a megabyte is copied into every run. Every limit here is checked on the cheapest
representation available (the file's size before reading it, the YAML event stream before any
Python object is built, the grid's list lengths multiplied before any combination is made), and
every refusal names the limit and how to raise it.

Each limit can be raised (or lowered) with an environment variable ``MOTOOLS_LIMIT_<NAME>`` or a
``limits:`` mapping in ``<home>/config``::

    limits:
      grid_configs: 250000

Free of heavy imports (PyYAML is imported only by :func:`check_yaml_text`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from motools.errors import SpecError


@dataclass(frozen=True)
class Limit:
    name: str
    default: int
    what: str  # "a spec file's size", for the message
    unit: str = ""

    @property
    def env(self) -> str:
        return f"MOTOOLS_LIMIT_{self.name.upper()}"


LIMITS: dict[str, Limit] = {
    limit.name: limit
    for limit in (
        Limit("spec_bytes", 1_000_000, "the size of a spec file (and of its YAML with aliases expanded)", " bytes"),
        Limit("yaml_nodes", 20_000, "the number of values in a spec with YAML aliases expanded"),
        Limit("yaml_depth", 50, "the nesting depth of a spec"),
        Limit("grid_configs", 100_000, "the number of configs in a grid"),
        Limit("string_chars", 65_536, "the length of one string in a spec", " characters"),
    )
}


class LimitExceeded(SpecError):
    """Input over one of the :data:`LIMITS`; the message names it and how to raise it."""

    def __init__(self, limit: Limit, found: str, *, path: str = "", line: int | None = None, source: str | None = None):
        self.limit = limit
        super().__init__([(path, limit_message(limit, found), line)], source)


def limit_message(limit: Limit, found: str) -> str:
    return (
        f"{found}: over the limit on {limit.what} ({limit.name} = {limit_value(limit.name):,}{limit.unit}); "
        f"if this is intended, raise it with the environment variable {limit.env}=N or "
        f"'limits: {{{limit.name}: N}}' in the motools config (<home>/config)"
    )


def _configured(home: str | os.PathLike[str] | None) -> Mapping[str, Any]:
    try:
        from motools.trust import load_config

        found = load_config(home).get("limits")
    except Exception:  # an unreadable config must not hide the limit (its own command says why)
        return {}
    return found if isinstance(found, Mapping) else {}


def limit_value(name: str, home: str | os.PathLike[str] | None = None) -> int:
    """The current value of limit ``name``: environment, then ``<home>/config``, then the default."""
    limit = LIMITS[name]
    for raw in (os.environ.get(limit.env), _configured(home).get(name)):
        if raw is None or isinstance(raw, bool):
            continue
        try:
            value = int(str(raw).replace("_", "").replace(",", ""))
        except ValueError:
            continue
        if value > 0:
            return value
    return limit.default


@dataclass(frozen=True)
class Limits:
    """The values of every limit at one moment (read once per spec, not once per value)."""

    spec_bytes: int
    yaml_nodes: int
    yaml_depth: int
    grid_configs: int
    string_chars: int

    @classmethod
    def current(cls, home: str | os.PathLike[str] | None = None) -> Limits:
        return cls(**{name: limit_value(name, home) for name in LIMITS})

    def refuse(self, name: str, found: str, **kw: Any) -> LimitExceeded:
        return LimitExceeded(LIMITS[name], found, **kw)


def check_file_size(size: int, limits: Limits, source: str | None = None) -> None:
    if size > limits.spec_bytes:
        raise limits.refuse("spec_bytes", f"the file is {size:,} bytes", source=source)


def check_yaml_text(text: str, limits: Limits | None = None, source: str | None = None) -> None:
    """Refuse a YAML document over the limits from its event stream, before building anything.

    Counts every value with aliases expanded (an alias adds the size of what it names, so an
    alias bomb is refused after a few hundred events), the nesting depth, each string's length
    and the expanded text's size; a recursive alias is refused outright. Malformed YAML is left
    to the loader, which reports it with its line.
    """
    import yaml

    limits = limits or Limits.current()
    if len(text) > limits.spec_bytes:
        raise limits.refuse("spec_bytes", f"the document is {len(text):,} characters", source=source)
    loader = _event_loader()(text)
    # One entry per open collection: (anchor, nodes and chars counted when it opened), so an
    # anchored value's expanded size is what was counted between its start and its end.
    stack: list[tuple[str | None, int, int]] = []
    anchors: dict[str, tuple[int, int]] = {}
    open_anchors: set[str] = set()
    nodes = chars = 0
    max_nodes, max_chars, max_depth, max_string = (
        limits.yaml_nodes,
        limits.spec_bytes,
        limits.yaml_depth,
        limits.string_chars,
    )
    starts = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
    ends = (yaml.MappingEndEvent, yaml.SequenceEndEvent)

    def line(event: Any) -> int | None:
        mark = getattr(event, "start_mark", None)
        return mark.line + 1 if mark is not None else None

    def over(event: Any) -> LimitExceeded:
        if nodes > max_nodes:
            return limits.refuse("yaml_nodes", f"more than {max_nodes:,} values", line=line(event), source=source)
        return limits.refuse(
            "spec_bytes",
            f"with aliases expanded the document holds more than {max_chars:,} characters",
            line=line(event),
            source=source,
        )

    try:
        for event in _events(loader):
            kind = type(event)
            if kind is yaml.ScalarEvent:
                size = len(event.value)
                if size > max_string:
                    raise limits.refuse(
                        "string_chars", f"a string of {size:,} characters", line=line(event), source=source
                    )
                nodes += 1
                chars += size + 1
                if event.anchor:
                    anchors[event.anchor] = (1, size + 1)
            elif kind in starts:
                if len(stack) >= max_depth:
                    raise limits.refuse(
                        "yaml_depth", f"values nested more than {max_depth} deep", line=line(event), source=source
                    )
                stack.append((event.anchor, nodes, chars))
                nodes += 1
                chars += 1
                if event.anchor:
                    open_anchors.add(event.anchor)
            elif kind in ends:
                anchor, n0, c0 = stack.pop()
                if anchor:
                    open_anchors.discard(anchor)
                    anchors[anchor] = (nodes - n0, chars - c0)
                continue
            elif kind is yaml.AliasEvent:
                if event.anchor in open_anchors:
                    message = f"the alias *{event.anchor} refers to a value that contains it (a recursive alias)"
                    raise SpecError([("", message, line(event))], source)
                n, c = anchors.get(event.anchor, (1, 1))
                nodes += n
                chars += c
            else:
                continue
            if nodes > max_nodes or chars > max_chars:
                raise over(event)
    except yaml.YAMLError:
        return  # malformed: load_yaml reports it with its line
    finally:
        loader.dispose()


def _event_loader() -> Any:
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _events(loader: Any) -> Iterator[Any]:
    while loader.check_event():
        yield loader.get_event()


# -- grids --------------------------------------------------------------------------------------
def grid_size_of(lengths: list[int]) -> int:
    return math.prod(lengths) if lengths else 1


def check_grid_size(param_grid: Mapping[str, Any], limits: Limits | None = None, source: str | None = None) -> int:
    """The grid's number of configs (lengths multiplied, nothing expanded), or a refusal."""
    lengths = [len(v) if isinstance(v, (list, tuple)) else 1 for v in param_grid.values()]
    size = grid_size_of(lengths)
    limit = (limits.grid_configs if limits else None) or limit_value("grid_configs")
    if size > limit:
        shown = " × ".join(str(n) for n in lengths)
        raise LimitExceeded(
            LIMITS["grid_configs"], f"the grid has {size:,} configs ({shown})", path="param_grid", source=source
        )
    return size


# -- values -------------------------------------------------------------------------------------
def non_finite_paths(data: Any, prefix: str = "", max_nodes: int = 1_000_000) -> list[str]:
    """Dot paths of every NaN or infinite number under ``data`` (iterative; shared objects once)."""
    found: list[str] = []
    seen: set[int] = set()
    stack: list[tuple[str, Any]] = [(prefix, data)]
    visited = 0
    while stack and visited < max_nodes:
        path, node = stack.pop()
        visited += 1
        if isinstance(node, float):
            if not math.isfinite(node):
                found.append(path)
        elif isinstance(node, (dict, list, tuple)):
            if id(node) in seen:
                continue
            seen.add(id(node))
            items = node.items() if isinstance(node, dict) else enumerate(node)
            children = [(f"{path}.{k}" if path else str(k), v) for k, v in items]
            stack.extend(reversed(children))
        elif type(node).__module__ == "numpy" and hasattr(node, "item"):
            stack.append((path, node.item()) if getattr(node, "ndim", 0) == 0 else (path, node.tolist()))
    return found


__all__ = [
    "LIMITS",
    "Limit",
    "LimitExceeded",
    "Limits",
    "check_file_size",
    "check_grid_size",
    "check_yaml_text",
    "limit_message",
    "limit_value",
    "non_finite_paths",
]
