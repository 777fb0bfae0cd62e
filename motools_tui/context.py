"""What every screen is given: the store, the clock and the settings (no textual here).

Screens receive an :class:`AppContext` when they are created and never reach into the app for
anything else; they ask the app for navigation and shared actions with messages
(:mod:`motools_tui.messages`).
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from motools.store.paths import DB_NAME  # light: the store package loads its names on first use
from motools_tui.core.clock import Clock, system_clock


@dataclass(frozen=True)
class Settings:
    """How often screens poll, and how the app looks."""

    poll_interval: float = 0.3  # a sweep or a run, live
    list_interval: float = 1.0  # the specs and sweeps lists
    results_interval: float = 2.0  # the results screen
    theme: str = "textual-ansi"
    cursor_blink: bool = True  # off for snapshot tests: text cursors stay still


class StoreHandle:
    """The store, opened on first use. Open it from a worker thread the first time (opening
    may create or migrate the schema). ``home`` is resolved on first use too, by
    ``motools.store.paths.resolve_home`` (explicit, ``$MOTOOLS_HOME``, or ``./.motools``)."""

    def __init__(self, home: str | os.PathLike[str] | None = None, store: Any = None) -> None:
        self._home_arg = home
        self._home: Path | None = Path(store.home) if store is not None else None
        self._store = store
        self._lock = threading.Lock()

    @property
    def home(self) -> Path:
        if self._home is None:
            from motools.store.paths import resolve_home

            self._home = resolve_home(self._home_arg)
        return self._home

    @property
    def db_path(self) -> Path:
        return self.home / DB_NAME

    @property
    def is_open(self) -> bool:
        return self._store is not None

    def open(self) -> Any:
        """The :class:`motools.store.Store`."""
        if self._store is None:
            with self._lock:
                if self._store is None:
                    from motools.store.db import Store

                    self._store = Store(self.home)
        return self._store


@dataclass(frozen=True)
class AppContext:
    store: StoreHandle
    clock: Clock = system_clock
    settings: Settings = Settings()


__all__ = ["AppContext", "Settings", "StoreHandle"]
