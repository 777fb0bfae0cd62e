"""The worker's single writer: a thread that commits queued writes in groups.

Every run of a sweep queues its writes here instead of touching SQLite on the event loop.
The thread drains whatever is queued into one transaction, so a thousand concurrent runs
cost a few hundred commits, not tens of thousands. ``await flush()`` returns once all writes
queued before it are committed: steps call it before reporting themselves finished, which
is what makes "finished" mean "durable".

A writer may be *fenced* by a sweep's claim generation: every batch first checks that the
sweep is still claimed with that generation, inside the batch's own transaction, so a worker
that lost its claim (another worker took the sweep over) rolls back and never writes again.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from motools.errors import ClaimLost, StoreError
from motools.store.connection import connect

log = logging.getLogger(__name__)

_STOP = object()


class _Flush:
    __slots__ = ("future", "loop")

    def __init__(self, loop: asyncio.AbstractEventLoop, future: asyncio.Future[None]):
        self.loop = loop
        self.future = future


class Fence(NamedTuple):
    """The claim a writer's batches must still hold: ``sweeps.claim_generation`` of ``sweep_id``."""

    sweep_id: int
    generation: int


class StoreWriter:
    """Owns the write connection of one worker process."""

    def __init__(self, db_path: Path, *, max_batch: int = 1000, fence: Fence | None = None):
        self._db_path = db_path
        self._fence = fence
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._max_batch = max_batch
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="motools-store-writer", daemon=True)
        self._conn: sqlite3.Connection | None = None
        self._started = threading.Event()
        self._thread.start()
        self._started.wait()
        if self._error is not None:
            raise self._error

    # -- producer side (any thread, usually the event loop) ---------------------------------
    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._check()
        self._queue.put((sql, params))

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        self._check()
        self._queue.put((sql, list(rows), True))

    async def flush(self) -> None:
        """Wait until every write queued so far is committed."""
        self._check()
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[None] = loop.create_future()
        self._queue.put(_Flush(loop, fut))
        while not fut.done():
            await asyncio.wait([fut], timeout=1.0)
            if not fut.done() and not self._thread.is_alive():  # died after our check: never wait forever
                self._check()
                raise StoreError("the store writer stopped")
        fut.result()

    def close(self) -> None:
        if self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join()

    @property
    def error(self) -> BaseException | None:
        return self._error

    def _check(self) -> None:
        if isinstance(self._error, ClaimLost):
            raise self._error
        if self._error is not None:
            raise StoreError(f"the store can no longer be written: {self._error}") from self._error

    def _check_fence(self, conn: sqlite3.Connection) -> None:
        fence = self._fence
        if fence is None:
            return
        row = conn.execute("SELECT claim_generation FROM sweeps WHERE id = ?", (fence.sweep_id,)).fetchone()
        if row is None or int(row[0] or 0) != fence.generation:
            raise ClaimLost(
                f"another worker claimed this sweep (generation {row[0] if row else '?'}, ours {fence.generation}); "
                "this worker stops without writing"
            )

    # -- writer thread ------------------------------------------------------------------------
    def _run(self) -> None:
        try:
            self._conn = connect(self._db_path)
        except BaseException as exc:  # surfaced by __init__
            self._error = exc
            self._started.set()
            return
        self._started.set()
        conn = self._conn
        stop = False
        while not stop:
            item = self._queue.get()
            batch = [item]
            while len(batch) < self._max_batch:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            waiters: list[Any] = []
            try:
                conn.execute("BEGIN IMMEDIATE")
                if any(op is not _STOP and not isinstance(op, _Flush) for op in batch):
                    self._check_fence(conn)
                for op in batch:
                    if op is _STOP:
                        stop = True
                    elif isinstance(op, _Flush):
                        waiters.append(op)
                    elif len(op) == 3:
                        conn.executemany(op[0], op[1])
                    else:
                        conn.execute(op[0], op[1])
                conn.execute("COMMIT")
            except BaseException as exc:  # disk full, read-only file, bug in a query
                log.error("store write failed: %s", exc)
                try:
                    conn.execute("ROLLBACK")
                except sqlite3.Error:
                    pass
                self._error = exc
                waiters.extend(op for op in batch if isinstance(op, _Flush))
                self._release(waiters, exc)
                self._fail_rest(exc)
                break
            self._release(waiters, None)
        conn.close()

    def _release(self, waiters: list[_Flush], exc: BaseException | None) -> None:
        for w in waiters:
            try:
                w.loop.call_soon_threadsafe(_resolve, w.future, exc)
            except RuntimeError:  # the loop has closed: nobody waits any more
                pass

    def _fail_rest(self, exc: BaseException) -> None:
        while True:
            try:
                op = self._queue.get_nowait()
            except queue.Empty:
                return
            if isinstance(op, _Flush):
                self._release([op], exc)


def _resolve(fut: asyncio.Future[None], exc: BaseException | None) -> None:
    if fut.done():
        return
    if exc is None:
        fut.set_result(None)
    elif isinstance(exc, ClaimLost):
        fut.set_exception(exc)
    else:
        fut.set_exception(StoreError(f"the store can no longer be written: {exc}"))
