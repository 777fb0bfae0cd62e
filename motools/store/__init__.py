"""The SQLite store: one file holds specs, sweeps, runs, steps, atoms, metrics and events."""

from motools.store.db import Store, close_stores, open_store
from motools.store.paths import resolve_home
from motools.store.schema import SCHEMA_VERSION

__all__ = ["SCHEMA_VERSION", "Store", "close_stores", "open_store", "resolve_home"]
