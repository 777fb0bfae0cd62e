"""The SQLite store: one file holds specs, sweeps, runs, steps, atoms, metrics and events.

Its names load on first use, so a light submodule (``motools.store.paths``) can be imported
without the store itself: the command line reads a spec and starts a process pool before it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from motools.store.db import Store, close_stores, open_store
    from motools.store.paths import resolve_home
    from motools.store.schema import SCHEMA_VERSION

_LAZY = {
    "Store": "motools.store.db",
    "close_stores": "motools.store.db",
    "open_store": "motools.store.db",
    "resolve_home": "motools.store.paths",
    "SCHEMA_VERSION": "motools.store.schema",
}

__all__ = ["SCHEMA_VERSION", "Store", "close_stores", "open_store", "resolve_home"]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'motools.store' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
