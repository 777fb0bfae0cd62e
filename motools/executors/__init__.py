"""Executors: where step executions run (``local``, ``processes``, ``ray``); see ``base.py``.

Importing this package loads nothing heavy: the process pool and Ray load on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "AtomPayload": "motools.executors.base",
    "Executor": "motools.executors.base",
    "ExecutorOverride": "motools.executors.base",
    "ExecutorSettings": "motools.executors.base",
    "StepRequest": "motools.executors.base",
    "StepResources": "motools.executors.base",
    "StepResult": "motools.executors.base",
    "StepSink": "motools.executors.base",
    "default_workers": "motools.executors.base",
    "make_executor": "motools.executors.base",
    "LocalExecutor": "motools.executors.local",
    "ProcessPoolExecutor": "motools.executors.processes",
    "RayExecutor": "motools.executors.ray",
}

__all__ = list(_LAZY)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'motools.executors' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
