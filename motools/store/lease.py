"""A worker's lease on its sweep: claim (with a generation), heartbeat, and cancel requests.

Claiming bumps ``sweeps.claim_generation`` in one ``BEGIN IMMEDIATE`` transaction, after
checking that no live worker holds the sweep (:mod:`motools.liveness`). The worker's writer is
fenced by that generation (:class:`~motools.store.writer.Fence`), and so is its heartbeat, so
a worker that lost its claim stops instead of writing beside the new one.

A cancel asked before the claim (the sweep is cancelled while its detached worker starts) is
kept: the claim reports it, and the worker ends the sweep cancelled without running anything.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from motools.errors import SweepBusy
from motools.liveness import process_token, this_host, worker_alive
from motools.status import Status

if TYPE_CHECKING:
    from motools.store.db import Store


@dataclass(frozen=True)
class Claim:
    sweep_id: int
    name: str
    generation: int
    pid: int
    host: str
    cancel_requested: bool  # a cancel arrived before this worker started: run nothing


def claim_sweep(store: Store, sweep_id: int, pid: int, *, now: float | None = None) -> Claim:
    """Become the sweep's one worker, or raise :class:`SweepBusy` naming the live one."""
    now = time.time() if now is None else now
    host = this_host()
    with store.transaction() as c:
        row = c.execute("SELECT * FROM sweeps WHERE id = ?", (sweep_id,)).fetchone()
        if row is None:
            raise SweepBusy(f"sweep {sweep_id} no longer exists")
        sweep = dict(row)
        if worker_alive(sweep, now=now) and sweep.get("worker_pid") != pid:
            raise SweepBusy(
                f"sweep {sweep['name']!r} is already running in process {sweep['worker_pid']} on "
                f"{sweep['worker_host']}; cancel it with 'motools sweep cancel {sweep['name']}'"
            )
        generation = int(sweep.get("claim_generation") or 0) + 1
        c.execute(
            "UPDATE sweeps SET status = ?, worker_pid = ?, worker_host = ?, worker_token = ?, heartbeat_at = ?, "
            "started_at = COALESCE(started_at, ?), finished_at = NULL, message = NULL, claim_generation = ? "
            "WHERE id = ?",
            (Status.RUNNING, pid, host, process_token(pid), now, now, generation, sweep_id),
        )
        # Per-run requests were addressed to an earlier worker; a whole-sweep cancel is kept.
        c.execute("UPDATE requests SET done = 1 WHERE sweep_id = ? AND done = 0 AND kind != ?", (sweep_id, "cancel"))
    return Claim(sweep_id, sweep["name"], generation, pid, host, bool(sweep.get("cancel_requested")))


def beat(conn: sqlite3.Connection, claim: Claim, now: float | None = None) -> bool:
    """Write a heartbeat if the claim still holds; False once another worker took the sweep."""
    cur = conn.execute(
        "UPDATE sweeps SET heartbeat_at = ? WHERE id = ? AND claim_generation = ?",
        (time.time() if now is None else now, claim.sweep_id, claim.generation),
    )
    return cur.rowcount == 1


@dataclass(frozen=True)
class CancelState:
    sweep: bool
    run_requests: list[tuple[int, int]]  # (request id, run index)


def cancel_state(conn: sqlite3.Connection, sweep_id: int) -> CancelState:
    """Whether the whole sweep should stop, and which runs were asked to stop."""
    row = conn.execute("SELECT cancel_requested FROM sweeps WHERE id = ?", (sweep_id,)).fetchone()
    requests = conn.execute(
        "SELECT id, payload FROM requests WHERE sweep_id = ? AND done = 0 AND kind = ?", (sweep_id, "cancel_run")
    ).fetchall()
    runs = []
    for r in requests:
        try:
            runs.append((int(r[0]), int(json.loads(r[1])["run_index"])))
        except (ValueError, KeyError, TypeError):
            runs.append((int(r[0]), -1))
    return CancelState(bool(row and row[0]), runs)


def record_start_failure(store: Store, sweep_id: int, reason: str, *, now: float | None = None) -> bool:
    """A worker that could not start says why on its sweep (unless another worker holds it)."""
    now = time.time() if now is None else now
    with store.transaction() as c:
        row = c.execute("SELECT * FROM sweeps WHERE id = ?", (sweep_id,)).fetchone()
        if row is None or worker_alive(dict(row), now=now):
            return False
        c.execute(
            "UPDATE sweeps SET status = ?, message = ?, finished_at = ?, worker_pid = NULL, worker_token = NULL "
            "WHERE id = ?",
            (Status.FAILED, reason, now, sweep_id),
        )
        c.execute(
            "INSERT INTO events(sweep_id, run_id, step, time, level, message) VALUES (?, NULL, NULL, ?, ?, ?)",
            (sweep_id, now, "error", f"the worker could not start: {reason}"),
        )
    return True


__all__ = ["CancelState", "Claim", "beat", "cancel_state", "claim_sweep", "record_start_failure"]
