"""Is a sweep's worker still beating? One rule for the engine, the CLI and the app.

Kept free of heavy imports (no pydantic, no workflow package) so the app's polling path and
the CLI can ask cheaply.
"""

from __future__ import annotations

import os
import socket
import time
from typing import Any

HEARTBEAT_S = 2.0
STALE_AFTER_S = 15.0


def worker_alive(sweep: dict[str, Any], now: float | None = None) -> bool:
    """Status 'running', a heartbeat younger than the stale limit and, on this host, a live pid.

    A worker on another host cannot be probed, so there the heartbeat alone decides.
    """
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
