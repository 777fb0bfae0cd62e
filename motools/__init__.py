"""motools: fine-tune, evaluate and compare model organisms over parameter grids.

Importing this package is cheap on purpose: submodules (and their pydantic, sqlite-utils,
inspect_ai or tinker imports) load only when first used.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "run_sweep": "motools.workflow",
    "Workflow": "motools.workflow",
    "WorkflowState": "motools.workflow",
    "Store": "motools.store",
    "open_store": "motools.store",
    "SweepSpec": "motools.specs",
    "load_spec": "motools.specs",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'motools' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
