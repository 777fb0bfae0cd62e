"""Keeping the cyclic garbage collector off the long-lived heap of motools' own processes.

A process that evaluates holds a large heap that lives as long as it does (Inspect, its pydantic
models, the task, the model database: about 230,000 objects), and every full collection walks
all of it again; in a forked pool worker each walk also writes to memory pages it shares with
its siblings, so they stop being shared. ``gc.freeze()`` moves what is alive at that moment out
of the collector's reach. A process settles its heap once its one-time work is done (imports,
the first evaluation); the pool's template settles it before it forks, the documented way for a
pre-fork server.

Only processes motools owns do this (the ``motools`` command, a sweep's worker, the pool): in a
researcher's notebook, frozen objects that later became garbage cycles would never be freed.
"""

from __future__ import annotations

import gc
import os

_owned = False
_settled: set[tuple[int, str]] = set()


def own_process() -> None:
    """This process is motools' own (a command, a sweep's worker, a pool process)."""
    global _owned
    _owned = True


def settle(*, collect: bool = True) -> None:
    """Freeze the heap as it is now, in a process motools owns (a no-op elsewhere).

    ``collect`` first frees what is already garbage (a full collection: 0.1-0.3 s with Inspect
    loaded); without it the freeze itself costs nothing, and whatever garbage cycles exist at
    that moment are kept for the life of the process (a bounded, one-time cost).
    """
    if _owned:
        if collect:
            gc.collect()
        gc.freeze()


def settle_once(moment: str, *, collect: bool = True) -> None:
    """:func:`settle`, the first time this process (a forked one included) reaches ``moment``."""
    key = (os.getpid(), moment)
    if _owned and key not in _settled:
        _settled.add(key)
        settle(collect=collect)


__all__ = ["own_process", "settle", "settle_once"]
