"""Holding a sweep: the claim, a heartbeat thread, and watching for cancel requests.

The heartbeat runs in a thread with its own connection, so a busy or blocked event loop (a
long synchronous step, stdout piped into a stopped ``less``) cannot stop it; only stopping the
whole process does, and then the pid check in :mod:`motools.liveness` still says "alive".
Both the heartbeat and every write batch check the claim generation, so a worker whose sweep
was taken over stops.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import threading
from collections.abc import Callable

from motools.liveness import HEARTBEAT_S
from motools.store.connection import connect
from motools.store.db import Store
from motools.store.lease import CancelState, Claim, beat, cancel_state, claim_sweep

log = logging.getLogger("motools.sweep")

CANCEL_POLL_S = 0.5


class Lease:
    """One worker's hold on one sweep."""

    def __init__(self, store: Store, sweep_id: int):
        self.store = store
        self.sweep_id = sweep_id
        self.claim: Claim | None = None
        self.lost = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._reader: sqlite3.Connection | None = None
        self._reader_lock = threading.Lock()

    async def acquire(self) -> Claim:
        self.claim = await asyncio.to_thread(claim_sweep, self.store, self.sweep_id, os.getpid())
        return self.claim

    def start_heartbeat(self, on_lost: Callable[[], None]) -> None:
        """Beat every :data:`HEARTBEAT_S` from a thread; ``on_lost`` runs on the event loop."""
        assert self.claim is not None
        loop = asyncio.get_running_loop()
        claim = self.claim

        def run() -> None:
            conn: sqlite3.Connection | None = None
            try:
                conn = connect(self.store.db_path)
                while not self._stop.wait(HEARTBEAT_S):
                    try:
                        if not beat(conn, claim):
                            self.lost = True
                            loop.call_soon_threadsafe(on_lost)
                            return
                    except sqlite3.Error as exc:  # busy or full: try again next beat
                        log.warning("heartbeat not written: %s", exc)
            except Exception:  # never let the heartbeat thread die silently
                log.exception("heartbeat thread failed")
            finally:
                if conn is not None:
                    conn.close()

        self._thread = threading.Thread(target=run, name="motools-heartbeat", daemon=True)
        self._thread.start()

    async def cancel_requests(self) -> CancelState:
        """Read cancel requests on a connection of the lease's own (off the event loop)."""

        def read() -> CancelState:
            with self._reader_lock:  # runs starting together share the one reader
                if self._reader is None:
                    self._reader = connect(self.store.db_path)
                return cancel_state(self._reader, self.sweep_id)

        return await asyncio.to_thread(read)

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=HEARTBEAT_S * 2)
        with self._reader_lock:
            if self._reader is not None:
                self._reader.close()
                self._reader = None


__all__ = ["CANCEL_POLL_S", "Lease"]
