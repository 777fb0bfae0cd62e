"""How the app shows a sweep's liveness; the rule itself is :mod:`motools.liveness`."""

from __future__ import annotations

from typing import Any

from motools.liveness import STALE_AFTER_S, worker_alive

__all__ = ["STALE_AFTER_S", "display_status", "worker_alive"]


def display_status(sweep: dict[str, Any], alive: bool) -> str:
    """The sweep's status as a user should read it: a 'running' sweep without a worker is
    'interrupted' (resume or retry picks it up)."""
    status = sweep.get("status") or "pending"
    if status == "running" and not alive:
        return "interrupted"
    return status
