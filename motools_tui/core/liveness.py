"""Is a sweep's worker still beating? A light copy of the engine's rule.

``motools.workflow.execution.worker_alive`` is the reference; importing it pulls in pydantic
and the whole workflow package, which the app's polling path avoids. The rule is the same:
status 'running', a heartbeat younger than the stale limit and, on this host, a live pid.
"""

from __future__ import annotations

import os
import socket
import time
from typing import Any

# Matches motools.workflow.execution.STALE_AFTER_S (the worker beats every 2 s).
STALE_AFTER_S = 15.0


def worker_alive(sweep: dict[str, Any], now: float | None = None) -> bool:
    if sweep.get("status") != "running" or not sweep.get("heartbeat_at"):
        return False
    now = time.time() if now is None else now
    if now - float(sweep["heartbeat_at"]) > STALE_AFTER_S:
        return False
    pid, host = sweep.get("worker_pid"), sweep.get("worker_host")
    if pid and host == socket.gethostname():
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return False
        except (PermissionError, OverflowError, ValueError):
            return True
    return True


def display_status(sweep: dict[str, Any], alive: bool) -> str:
    """The sweep's status as a user should read it: a 'running' sweep without a worker is
    'interrupted' (resume or retry picks it up)."""
    status = sweep.get("status") or "pending"
    if status == "running" and not alive:
        return "interrupted"
    return status
