"""The app's one source of 'now', injectable so tests and snapshots are deterministic."""

from __future__ import annotations

import time
from collections.abc import Callable

Clock = Callable[[], float]


def system_clock() -> float:
    return time.time()


def fixed_clock(at: float) -> Clock:
    """A clock stuck at ``at`` (seconds since the epoch), for tests and snapshots."""
    return lambda: at
