"""Turning a base config and a grid into validated run configs, with precise errors."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from motools.errors import SpecError
from motools.limits import check_grid_size, non_finite_paths
from motools.workflow.base import Workflow
from motools.workflow.grid import check_grid, expand_grid, get_path, key_paths, set_path


@dataclass
class RunPlan:
    """One grid point: its parameters, resolved config and its row in the store."""

    index: int
    params: dict[str, Any]
    config: BaseModel
    config_hash: str
    run_id: int = 0
    status: str = ""


def plans_from_rows(workflow: Workflow, rows: Sequence[Mapping[str, Any]]) -> list[RunPlan]:
    """The recorded runs of a sweep as plans (the worker runs what was recorded, as recorded)."""
    return [
        RunPlan(
            int(r["idx"]),
            json.loads(r["params"]),
            workflow.config_model.model_validate(json.loads(r["config"])),
            str(r["config_hash"]),
            int(r["id"]),
            str(r["status"]),
        )
        for r in rows
    ]


def pydantic_problems(
    exc: ValidationError, prefix: str = "", model: type[BaseModel] | None = None
) -> list[tuple[str, str]]:
    """``(dot.path, message)`` for each pydantic error, phrased for a person."""
    out = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        path = f"{prefix}.{loc}" if prefix and loc else (prefix or loc)
        kind = err["type"]
        if kind == "extra_forbidden":
            msg = "unknown key"
            parent_model = _parent_fields(model, err)
            if parent_model:
                msg += f"; expected one of: {', '.join(parent_model)}"
        elif kind == "missing":
            msg = "required field is missing"
        elif kind in ("value_error", "assertion_error"):
            msg = str(err.get("ctx", {}).get("error", err["msg"]))
        else:
            msg = f"{err['msg']} (got {err.get('input')!r})"
        out.append((path, msg))
    return out


def _parent_fields(model: type[BaseModel] | None, err: Any) -> list[str]:
    """The fields a model expects where ``err`` found an unknown key (for "expected one of")."""
    if model is None:
        return []
    node: Any = model
    for part in err["loc"][:-1]:
        field = getattr(node, "model_fields", {}).get(part)
        if field is None:
            return []
        from motools.workflow.grid import _model_of

        node = _model_of(field.annotation)
        if node is None:
            return []
    return list(getattr(node, "model_fields", {}))


def validate_model(model: type[BaseModel], data: Any, prefix: str) -> tuple[BaseModel | None, list[tuple[str, str]]]:
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        return None, pydantic_problems(exc, prefix, model)


def _as_validated(params: dict[str, Any], config: BaseModel) -> dict[str, Any]:
    """The grid point as the config holds it: ``"3"`` for an int field is recorded as ``3``."""
    dumped = config.model_dump(mode="json")
    out = {}
    for path, value in params.items():
        try:
            out[path] = get_path(dumped, path)
        except (KeyError, TypeError):
            out[path] = value
    return out


def build_plans(
    workflow: Workflow,
    base_config: Any,
    param_grid: Mapping[str, Sequence[Any]] | None,
    *,
    source: str | None = None,
    config_prefix: str = "base_config",
    preflight: bool = True,
) -> list[tuple[dict[str, Any], BaseModel]]:
    """Every grid point as ``(params, validated config)``, or a :class:`SpecError` listing all problems."""
    param_grid = dict(param_grid or {})
    check_grid_size(param_grid, source=source)  # lengths multiplied: before any import or expansion
    if isinstance(base_config, workflow.config_model):
        base_model: BaseModel | None = base_config
        problems: list[tuple[str, str]] = []
    else:
        if isinstance(base_config, BaseModel):
            base_config = base_config.model_dump()
        base_model, problems = validate_model(workflow.config_model, base_config, config_prefix)
    problems += check_grid(workflow.config_model, base_model, param_grid)
    if problems:
        raise SpecError(problems, source)
    problems = [
        (path, "expected a finite number, got NaN or an infinity")
        for path in non_finite_paths(param_grid, "param_grid")
        + non_finite_paths(base_model.model_dump(mode="python") if base_model is not None else None, config_prefix)
    ]
    if problems:
        raise SpecError(problems, source)
    assert base_model is not None
    base = base_model.model_dump(mode="python", exclude_unset=True)
    plans: list[tuple[dict[str, Any], BaseModel]] = []
    seen: set[tuple[str, str]] = set()
    key_of = {path: key for key in param_grid for path in key_paths(key)}
    for params in expand_grid(param_grid):
        data = copy.deepcopy(base)
        for path, value in params.items():
            set_path(data, path, value)
        config, errs = validate_model(workflow.config_model, data, "")
        for path, msg in errs:
            swept = next((k for k in params if path == k or path.startswith(k + ".")), None)
            where = f"param_grid.{key_of[swept]}" if swept else f"{config_prefix}.{path}"
            text = f"{msg} (at {path} for grid point {params})" if swept else msg
            if (where, text) not in seen:
                seen.add((where, text))
                problems.append((where, text))
        if config is not None:
            plans.append((_as_validated(params, config), config))
    if not problems and preflight and workflow.preflight is not None:
        found: list[tuple[str, str]] = []
        for _, config in plans:
            for path, msg in workflow.preflight(config):
                item = (f"{config_prefix}.{path}", msg)
                if item not in found:
                    found.append(item)
        problems = found
    if problems:
        raise SpecError(problems, source)
    return plans
