"""Parameter grids: dot paths into a config, expanded as a cartesian product.

A grid maps a dot path to the values it takes (``{"submit_training.hyperparameters.seed": [1, 2, 3]}``);
every combination of the keys runs. Parameters that vary *together* are linked: one key names
several paths, separated by commas (or, in Python, a tuple of paths), and each of its values
gives one value per path::

    "submit_training.hyperparameters.learning_rate, submit_training.suffix":
      - [1e-4, lr-1e4]
      - [5e-5, lr-5e5]

so a learning rate comes with its own label instead of being crossed with every label. Each
linked path is a parameter (and a column) of its own.
"""

from __future__ import annotations

import itertools
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel

LINK = ","


def key_paths(key: Any) -> list[str]:
    """The dot paths a grid key names: one, or several linked ones (``"a.b, c.d"`` or a tuple)."""
    if isinstance(key, tuple):
        return [str(k).strip() for k in key]
    return [part.strip() for part in str(key).split(LINK)]


def spec_key(key: Any) -> str:
    """A grid key as a spec stores it (linked paths joined by ``", "``)."""
    return ", ".join(key_paths(key))


def expand_grid(param_grid: Mapping[Any, Sequence[Any]]) -> list[dict[str, Any]]:
    """All combinations, in order, with the last key varying fastest (like nested for loops);
    linked paths take their values together."""
    axes: list[list[dict[str, Any]]] = []
    for key, values in param_grid.items():
        paths = key_paths(key)
        if len(paths) == 1:
            axes.append([{paths[0]: v} for v in values])
        else:
            axes.append([dict(zip(paths, v, strict=True)) for v in values])
    out = []
    for combo in itertools.product(*axes):
        point: dict[str, Any] = {}
        for part in combo:
            point.update(part)
        out.append(point)
    return out


def grid_size(param_grid: Mapping[Any, Sequence[Any]]) -> int:
    n = 1
    for values in param_grid.values():
        n *= len(values)
    return n


def get_path(data: Any, path: str) -> Any:
    """The value at ``a.b.c`` in nested mappings (``KeyError`` if absent)."""
    node = data
    for part in path.split("."):
        node = node[part]
    return node


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
    """A grid as a spec stores it: string keys (linked paths joined), plain values (numpy arrays
    and scalars become lists and numbers, tuples lists)."""
    out: dict[str, Any] = {}
    for key, values in param_grid.items():
        values = plain(values)
        if isinstance(values, list):
            values = [plain(v) for v in values]
        out[spec_key(key) if isinstance(key, (str, tuple)) else key] = values
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
    seen: set[str] = set()
    for key, values in param_grid.items():
        where = f"{prefix}.{key}"
        if not isinstance(key, (str, tuple)):
            problems.append((where, f"expected a dot path (a string), got {type(key).__name__}"))
            continue
        paths = key_paths(key)
        bad = [p for p in paths if not p or not check_path(model, p)]
        if bad:
            valid = valid_paths(model, config)
            problems.append((where, f"{bad[0]!r} is not a path in the config; valid paths: {', '.join(valid)}"))
            continue
        repeated = [p for p in paths if p in seen]
        seen.update(paths)
        if repeated:
            problems.append((where, f"{repeated[0]!r} is swept by more than one grid key"))
        if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
            problems.append((where, f"expected a list of values, got {type(values).__name__}"))
        elif len(values) == 0:
            problems.append((where, "expected a non-empty list of values, got an empty list"))
        elif len(paths) > 1:
            wrong = next(
                (
                    v
                    for v in values
                    if isinstance(v, (str, bytes)) or not isinstance(v, Sequence) or len(v) != len(paths)
                ),
                None,
            )
            if wrong is not None or any(isinstance(v, (str, bytes)) for v in values):
                problems.append(
                    (
                        where,
                        f"linked paths take a list of {len(paths)}-item lists (one value per path, "
                        f"in order: {', '.join(paths)}), got {wrong!r}",
                    )
                )
    return problems
