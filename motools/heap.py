"""Keeping the cyclic garbage collector off the long-lived heap of motools' own processes.

A process that evaluates holds a large heap that lives as long as it does (Inspect, its pydantic
models, the task, the model database: about 230,000 objects), and every full collection walks
all of it again; in a forked pool worker each walk also writes to memory pages it shares with
its siblings, so they stop being shared. ``gc.freeze()`` moves what is alive at that moment out
of the collector's reach. A process settles its heap once its one-time work is done (imports,
the first evaluation); the pool's template settles it before it forks, the documented way for a
pre-fork server.

Until it settles, such a process keeps the collector off altogether (:func:`pause`): its start is
a burst of imports (Inspect alone builds thousands of pydantic models), during which every
collection walks a heap that only grows, for nothing: import-time objects stay alive. That
burst is bounded (imports, validating a spec, recording its runs); a process that does not
settle leaves before long (a ``motools`` command other than ``sweep run|resume|retry`` never
pauses).

Only processes motools owns do this (the ``motools`` command, a sweep's worker, the pool): in a
researcher's notebook, frozen objects that later became garbage cycles would never be freed.
"""

from __future__ import annotations

import gc
import os

_owned = False
_paused = False
_settled: set[tuple[int, str]] = set()


def own_process() -> None:
    """This process is motools' own (a command, a sweep's worker, a pool process)."""
    global _owned
    _owned = True


def pause() -> None:
    """Keep the collector off until this process settles (its start: imports, validation)."""
    global _paused
    if _owned and gc.isenabled():
        gc.disable()
        _paused = True


def settle(*, collect: bool = True) -> None:
    """Freeze the heap as it is now, in a process motools owns (a no-op elsewhere).

    ``collect`` first frees what is already garbage (a full collection: 0.1-0.3 s with Inspect
    loaded); without it the freeze itself costs nothing, and whatever garbage cycles exist at
    that moment are kept for the life of the process (a bounded, one-time cost).
    """
    global _paused
    if _owned:
        if collect:
            gc.collect()
        gc.freeze()
        if _paused:
            _paused = False
            gc.enable()


def settle_once(moment: str, *, collect: bool = True) -> None:
    """:func:`settle`, the first time this process (a forked one included) reaches ``moment``."""
    key = (os.getpid(), moment)
    if _owned and key not in _settled:
        _settled.add(key)
        settle(collect=collect)


__all__ = ["own_process", "pause", "settle", "settle_once"]
