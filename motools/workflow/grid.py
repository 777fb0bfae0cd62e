"""Parameter grids: dot paths into a config, expanded as a cartesian product."""

from __future__ import annotations

import itertools
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel


def expand_grid(param_grid: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """All combinations, in order, with the last key varying fastest (like nested for loops)."""
    keys = list(param_grid)
    return [dict(zip(keys, combo, strict=False)) for combo in itertools.product(*(param_grid[k] for k in keys))]


def grid_size(param_grid: Mapping[str, Sequence[Any]]) -> int:
    n = 1
    for values in param_grid.values():
        n *= len(values)
    return n


def set_path(data: dict[str, Any], path: str, value: Any) -> None:
    """Set ``a.b.c`` in nested dicts, creating intermediate dicts as needed."""
    parts = path.split(".")
    node = data
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[parts[-1]] = value


def plain(value: Any) -> Any:
    """numpy scalars and arrays as plain numbers and lists (what a spec and the store hold)."""
    if type(value).__module__ == "numpy":
        return value.tolist() if hasattr(value, "tolist") else value
    if isinstance(value, tuple):
        return [plain(v) for v in value]
    return value


def grid_for_spec(param_grid: Mapping[Any, Any]) -> dict[str, Any]:
    """A grid as a spec stores it: plain values (numpy arrays and scalars become lists and numbers)."""
    out: dict[str, Any] = {}
    for key, values in param_grid.items():
        values = plain(values)
        if isinstance(values, list):
            values = [plain(v) for v in values]
        out[key] = values
    return out


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model inside an annotation such as ``Model`` or ``Model | None``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            found = _model_of(arg)
            if found is not None:
                return found
    return None


def _is_mapping(annotation: Any) -> bool:
    origin = typing.get_origin(annotation) or annotation
    if origin in (typing.Union, types.UnionType):
        return any(_is_mapping(a) for a in typing.get_args(annotation))
    return isinstance(origin, type) and issubclass(origin, Mapping)


def valid_paths(model: type[BaseModel], config: Any = None, prefix: str = "") -> list[str]:
    """Every dot path a grid may sweep: model fields, and keys under free-form dict fields."""
    out: list[str] = []
    for name, field in model.model_fields.items():
        path = f"{prefix}{name}"
        sub = _model_of(field.annotation)
        value = getattr(config, name, None) if config is not None else None
        if sub is not None:
            out.extend(valid_paths(sub, value, path + "."))
        elif _is_mapping(field.annotation):
            out.append(path)
            if isinstance(value, Mapping):
                out.extend(f"{path}.{k}" for k in value)
        else:
            out.append(path)
    return out


def check_path(model: type[BaseModel], path: str) -> bool:
    """Whether ``path`` names a field of ``model`` (or a key inside one of its dict fields)."""
    parts = path.split(".")
    current: type[BaseModel] | None = model
    for i, part in enumerate(parts):
        if current is None:
            return False
        field = current.model_fields.get(part)
        if field is None:
            return False
        if _is_mapping(field.annotation) and _model_of(field.annotation) is None:
            return i >= len(parts) - 2  # the dict itself, or one key inside it
        current = _model_of(field.annotation)
        if current is None and i < len(parts) - 1:
            return False
    return True


def check_grid(
    model: type[BaseModel], config: Any, param_grid: Mapping[str, Any], prefix: str = "param_grid"
) -> list[tuple[str, str]]:
    """Problems with a grid's shape: unknown paths, non-list or empty value lists."""
    problems: list[tuple[str, str]] = []
    if not isinstance(param_grid, Mapping):
        return [(prefix, f"expected a mapping of dot paths to lists of values, got {type(param_grid).__name__}")]
    for path, values in param_grid.items():
        where = f"{prefix}.{path}"
        if not isinstance(path, str) or not check_path(model, path):
            paths = valid_paths(model, config)
            problems.append((where, f"{path!r} is not a path in the config; valid paths: {', '.join(paths)}"))
            continue
        if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
            problems.append((where, f"expected a list of values, got {type(values).__name__}"))
        elif len(values) == 0:
            problems.append((where, "expected a non-empty list of values, got an empty list"))
    return problems
