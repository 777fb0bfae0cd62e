"""The ``processes`` executor: CPU-heavy steps run in a pool of local worker processes.

Inspect's evaluation loop is CPU-bound inside one Python process; a pool spreads evaluations
over the machine's cores. Each pool process (:mod:`motools.executors.pool_worker`) imports the
workflow and Inspect once and runs several steps at a time on its own event loop, so requests
that reach it together are batched into one ``eval_async`` as in the worker. Requests go to
the process with the fewest steps in flight.

The pool starts when the sweep starts running (each process warming up with its steps'
``warmup`` meanwhile) and stops when the sweep's execution ends.
A process that dies fails only the steps it was running, with a
:class:`~motools.errors.TransientError` (the runner retries them with backoff), and is
replaced. Processes run in sessions of their own and exit when the driver's end of their
stdin closes, so killing the driver leaves none behind. Input atoms are passed as paths
(same machine); everything a step makes comes back to the driver, which writes the store.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import signal
import sys
from typing import Any

from motools.errors import TransientError
from motools.executors.base import Placeable, StepRequest, StepResult, StepSink, default_workers
from motools.executors.pool_worker import frame, read_message
from motools.liveness import this_host
from motools.store.records import Placement

log = logging.getLogger("motools.executors")

SHUTDOWN_WAIT_S = 5.0
_ids = itertools.count(1)


def _ended(code: int | None) -> str:
    if code is None:
        return "stopped answering"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = str(-code)
        return f"was killed ({name})"
    return f"exited with code {code}"


def _child_env() -> dict[str, str]:
    """The driver's environment, with its module search path: a pool process imports exactly the
    code the driver runs (the sweep's import paths are added per request, as on Ray)."""
    paths = [p for p in sys.path if p and os.path.isdir(p)]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}


def _log_failure(fut: asyncio.Future[Any]) -> None:
    if not fut.cancelled() and fut.exception() is not None:
        log.warning("the process pool could not start ahead of its first step: %s", fut.exception())


class _PoolProcess:
    """One child process and the steps it is running."""

    def __init__(self) -> None:
        self.proc: asyncio.subprocess.Process | None = None
        self.pid = 0
        self.dead = False
        self.calls: dict[int, tuple[asyncio.Future[StepResult], StepSink]] = {}
        self._reader: asyncio.Task[None] | None = None
        self._asks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-P",
            "-m",
            "motools.executors.pool_worker",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            start_new_session=True,
            env=_child_env(),
        )
        self.pid = self.proc.pid
        self._reader = asyncio.create_task(self._read(), name=f"motools-pool-{self.pid}")

    def send(self, message: Any) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        if self.dead or self.proc.stdin.is_closing():
            raise TransientError(f"pool process {self.pid} {_ended(self.proc.returncode)}")
        self.proc.stdin.write(frame(message))

    async def call(self, request: StepRequest, sink: StepSink) -> StepResult:
        rid = next(_ids)
        fut: asyncio.Future[StepResult] = asyncio.get_running_loop().create_future()
        self.calls[rid] = (fut, sink)
        try:
            self.send(("run", rid, request))
            sink.placed(Placement(this_host(), self.pid))
            return await fut
        except asyncio.CancelledError:
            if not self.dead:
                with contextlib.suppress(Exception):
                    self.send(("cancel", rid))
            raise
        finally:
            self.calls.pop(rid, None)

    async def _read(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        try:
            while True:
                message = await read_message(self.proc.stdout)
                if message is None:
                    break
                self._dispatch(message)
        except Exception:  # a garbled message: this process cannot be trusted any more
            log.exception("pool process %d sent something unreadable; stopping it", self.pid)
            self.kill()
        finally:
            self.dead = True
            code = await self.proc.wait()
            if self.calls:
                error = TransientError(f"pool process {self.pid} {_ended(code)} while running this step")
                for fut, _ in list(self.calls.values()):
                    if not fut.done():
                        fut.set_exception(error)

    def _dispatch(self, message: Any) -> None:
        kind = message[0]
        if kind == "done":
            _, rid, result = message
            call = self.calls.get(rid)
            if call is not None and not call[0].done():
                call[0].set_result(result)
        elif kind == "note":
            _, rid, note = message
            call = self.calls.get(rid)
            if call is not None:
                call[1].note(note)
        elif kind == "ask":
            _, rid, seq, what, payload = message
            call = self.calls.get(rid)
            if call is not None:
                task = asyncio.create_task(self._answer(rid, seq, call[1], what, payload))
                self._asks.add(task)
                task.add_done_callback(self._asks.discard)

    async def _answer(self, rid: int, seq: int, sink: StepSink, what: str, payload: Any) -> None:
        from motools.executors.remote import sendable

        try:
            value = await sink.ask(what, payload)
        except Exception as exc:
            reply = ("answer", rid, seq, False, sendable(exc))
        else:
            reply = ("answer", rid, seq, True, value)
        with contextlib.suppress(TransientError):
            self.send(reply)

    def close(self) -> None:
        """Ask the process to leave (it exits when its stdin ends)."""
        if self.proc is not None and self.proc.stdin is not None and not self.proc.stdin.is_closing():
            self.proc.stdin.close()

    def kill(self) -> None:
        """SIGKILL the process's group (it leads its own session), if it has not been reaped."""
        if self.proc is not None and self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, signal.SIGKILL)

    async def wait(self) -> None:
        if self._reader is not None:
            await asyncio.shield(self._reader)


class ProcessPoolExecutor:
    """A pool of ``workers`` local processes for steps declared ``cpu_heavy`` (and ``remote_ok``)."""

    name = "processes"
    ships_files = False

    def __init__(self, workers: int | None = None):
        self.size = max(1, int(workers)) if workers else default_workers()
        self._procs: list[_PoolProcess] = []
        self._lock: asyncio.Lock | None = None
        self._warm: tuple[Any, ...] | None = None
        self._starting: asyncio.Future[Any] | None = None
        self.started = 0  # processes started, replacements included

    def takes(self, step: Placeable) -> bool:
        return step.resources.cpu_heavy

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self._procs if not p.dead]

    def warm(self, workflow: str, import_paths: tuple[str, ...], configs: dict[str, dict[str, Any]]) -> None:
        """Start the pool now, each process importing what the steps need (their ``warmup``),
        while the sweep's first steps run in the driver."""
        self._warm = ("warm", workflow, import_paths, configs)
        if self._starting is None:
            self._starting = asyncio.ensure_future(self._fill())
            self._starting.add_done_callback(_log_failure)

    async def run(self, request: StepRequest, sink: StepSink) -> StepResult:
        await self._fill()
        proc = min(self._procs, key=lambda p: len(p.calls))
        return await proc.call(request, sink)

    async def _fill(self) -> None:
        """Replace dead processes and start missing ones (warmed up, if the sweep said how)."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            self._procs = [p for p in self._procs if not p.dead]
            while len(self._procs) < self.size:
                proc = _PoolProcess()
                try:
                    await proc.start()
                except OSError as exc:  # out of processes or memory for now: the runner retries
                    raise TransientError(f"cannot start a pool process: {exc}") from exc
                self.started += 1
                self._procs.append(proc)
                if self._warm is not None:
                    with contextlib.suppress(TransientError):
                        proc.send(self._warm)

    async def shutdown(self) -> None:
        if self._starting is not None:
            await asyncio.gather(self._starting, return_exceptions=True)
        procs, self._procs = self._procs, []
        for p in procs:
            p.close()
        if not procs:
            return
        waits = [asyncio.ensure_future(p.wait()) for p in procs]
        _done, pending = await asyncio.wait(waits, timeout=SHUTDOWN_WAIT_S)
        for p in procs:
            p.kill()
        if pending:
            await asyncio.wait(pending, timeout=SHUTDOWN_WAIT_S)


__all__ = ["ProcessPoolExecutor"]
