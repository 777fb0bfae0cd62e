"""Resolving ``"module:function"`` strings, with errors that say what went wrong."""

from __future__ import annotations

import importlib
from typing import Any

_resolved: dict[tuple[str, str], Any] = {}


def resolve_import(target: str, *, what: str = "callable") -> Any:
    """Import ``module:attr`` (or ``module.attr``) and return the attribute.

    Raises ``ValueError`` naming the string and the reason, which pydantic turns into a field
    error and the CLI prints without a traceback.
    """
    key = (target, what) if isinstance(target, str) else None
    if key is not None and key in _resolved:
        return _resolved[key]
    if not isinstance(target, str) or not target.strip():
        raise ValueError(f"expected a 'module:function' string, got {target!r}")
    if ":" in target:
        module_name, _, attr = target.partition(":")
    else:
        module_name, _, attr = target.rpartition(".")
    if not module_name or not attr:
        raise ValueError(f"expected a 'module:function' string, got {target!r}")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise ValueError(f"{target!r}: module {exc.name!r} not found") from None
    except Exception as exc:  # a module that fails on import is the user's to fix
        raise ValueError(f"{target!r}: importing {module_name!r} failed: {type(exc).__name__}: {exc}") from None
    obj: Any = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise ValueError(f"{target!r}: module {module_name!r} has no attribute {attr!r}")
        obj = getattr(obj, part)
    if what == "callable" and not callable(obj):
        raise ValueError(f"{target!r} is not callable")
    _resolved[(target, what)] = obj
    return obj
