"""Is a sweep's worker alive? One rule for the engine, the CLI and the app.

On this host the process decides: a worker whose process exists (the same process: its start
time is recorded with its pid, so a reused pid does not count) is alive whatever its heartbeat
age; an old heartbeat only makes it *stalled* (stopped with Ctrl-Z, blocked on a full pipe).
A worker on another host cannot be probed, so there a heartbeat older than
:data:`STALE_AFTER_S` means dead. Either way, the claim generation (see
:mod:`motools.store.lease`) keeps a second worker from ever writing beside a first.

Kept free of heavy imports so the app's polling path and the CLI can ask cheaply.
"""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass
from typing import Any

from motools.status import Status


def _seconds(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name) or default)
    except ValueError:
        return default
    return value if value > 0 and value == value and value != float("inf") else default


# A heartbeat older than this means dead on another host (``MOTOOLS_STALE_AFTER_S`` changes it:
# every process of one store must agree, so set it for all of them; the fault suite shortens it).
STALE_AFTER_S = _seconds("MOTOOLS_STALE_AFTER_S", 15.0)
HEARTBEAT_S = min(2.0, STALE_AFTER_S / 4)

_HOST = socket.gethostname()


def this_host() -> str:
    return _HOST


def process_token(pid: int) -> str | None:
    """What identifies process ``pid`` beyond its number: its start time (Linux ``/proc``).

    ``None`` where that cannot be read (another OS); then the pid alone is trusted.
    """
    try:
        with open(f"/proc/{int(pid)}/stat", "rb") as fh:
            stat = fh.read().decode(errors="replace")
    except (OSError, ValueError):
        return None
    # Field 22 (starttime) counts from the end of the command name, which may hold spaces.
    fields = stat.rpartition(")")[2].split()
    return fields[19] if len(fields) > 19 else None


def pid_alive(pid: Any, token: str | None = None) -> bool:
    """Whether process ``pid`` exists on this host (and, given ``token``, is the same process)."""
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by someone else
    except (OverflowError, ValueError, TypeError):
        return False
    if token:
        current = process_token(int(pid))
        if current is not None and current != token:
            return False  # the pid was reused by another process
    return True


@dataclass(frozen=True)
class Liveness:
    """A sweep's worker as readers see it."""

    alive: bool
    stalled: bool = False
    heartbeat_age: float | None = None
    never_started: bool = False  # a pending sweep whose detached worker exited before claiming it

    @property
    def dead(self) -> bool:
        return not self.alive


def worker_liveness(sweep: dict[str, Any], now: float | None = None) -> Liveness:
    """The liveness of the worker recorded on ``sweep`` (a sweeps row)."""
    if sweep.get("status") == Status.PENDING:
        pid, host = sweep.get("worker_pid"), sweep.get("worker_host")
        if pid and host == _HOST and not pid_alive(pid, sweep.get("worker_token")):
            return Liveness(False, never_started=True)
        return Liveness(False)
    if sweep.get("status") != Status.RUNNING:
        return Liveness(False)
    now = time.time() if now is None else now
    beat = sweep.get("heartbeat_at")
    age = max(0.0, now - float(beat)) if beat else None
    stale = age is None or age > STALE_AFTER_S
    pid, host = sweep.get("worker_pid"), sweep.get("worker_host")
    if pid and host == _HOST:
        if not pid_alive(pid, sweep.get("worker_token")):
            return Liveness(False, heartbeat_age=age)
        return Liveness(True, stalled=stale, heartbeat_age=age)
    return Liveness(not stale, heartbeat_age=age)


def worker_alive(sweep: dict[str, Any], now: float | None = None) -> bool:
    return worker_liveness(sweep, now).alive


def shown_status(sweep: dict[str, Any], now: float | None = None) -> Status:
    """The sweep's status as a person should read it: a running sweep whose worker is gone is
    ``interrupted`` (resume picks it up), one whose worker stopped beating is ``stalled``, and a
    pending one whose detached worker died before it started is ``interrupted`` too."""
    return status_shown(sweep.get("status"), worker_liveness(sweep, now))


def status_shown(stored: str | None, live: Liveness) -> Status:
    """``stored`` as read with the worker's ``live``-ness (see :func:`shown_status`)."""
    status = Status(stored or Status.PENDING)
    if status == Status.PENDING and live.never_started:
        return Status.INTERRUPTED
    if status != Status.RUNNING:
        return status
    if not live.alive:
        return Status.INTERRUPTED
    return Status.STALLED if live.stalled else Status.RUNNING


__all__ = [
    "HEARTBEAT_S",
    "STALE_AFTER_S",
    "Liveness",
    "pid_alive",
    "process_token",
    "shown_status",
    "status_shown",
    "this_host",
    "worker_alive",
    "worker_liveness",
]
