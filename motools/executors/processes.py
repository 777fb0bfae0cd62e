"""The ``processes`` executor: CPU-heavy steps run in a pool of local worker processes.

Inspect's evaluation loop is CPU-bound inside one Python process; a pool spreads evaluations
over the machine's cores. A template process (:mod:`motools.executors.pool_worker`) starts
early (:mod:`motools.executors.early`, before the command validates the spec) or with the sweep; it
imports the workflow and runs its steps' ``warmup`` (Inspect's imports) once, while the first
steps run in the driver, then forks ``workers`` processes that start warm. Each runs several
steps at a time on its own event loop, so requests that reach it together are batched into one
``eval_async`` as in the worker. Requests go to
the process with the fewest steps in flight; workers talk to the driver over a Unix socket.

A worker that dies fails only the steps it was running, with a
:class:`~motools.errors.TransientError` naming it and how it ended (the runner retries them
with backoff), and is replaced. The template leads a process group of its own (its workers
join it), so a Ctrl-C in the driver's terminal reaches only the driver, which cancels cleanly;
it stays in the driver's session, so the scheduler counts the sweep as one session. It exits
when the driver's end of its stdin closes and workers when their socket closes, so killing the
driver leaves none behind. The pool stops when the sweep's execution ends. Input
atoms are passed as paths (same machine); everything a step makes comes back to the driver,
which writes the store.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections import deque
from typing import Any

from motools.errors import TransientError
from motools.executors.base import Placeable, StepRequest, StepResult, StepSink, default_workers
from motools.executors.early import child_env, take_early
from motools.executors.pool_worker import frame, read_message
from motools.liveness import this_host
from motools.store.records import Placement

log = logging.getLogger("motools.executors")

SHUTDOWN_WAIT_S = 5.0
EXIT_REPORT_WAIT_S = 2.0
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


def _log_failure(fut: asyncio.Future[Any]) -> None:
    if not fut.cancelled() and fut.exception() is not None:
        log.warning("the process pool could not start ahead of its first step: %s", fut.exception())


class _PoolProcess:
    """One worker (forked by the template) and the steps it is running."""

    def __init__(self) -> None:
        loop = asyncio.get_running_loop()
        self.pid = 0
        self.dead = False
        self.calls: dict[int, tuple[asyncio.Future[StepResult], StepSink]] = {}
        self.connected: asyncio.Future[None] = loop.create_future()
        self.exit_code: asyncio.Future[int | None] = loop.create_future()
        self._writer: asyncio.StreamWriter | None = None
        self._reader: asyncio.Task[None] | None = None
        self._asks: set[asyncio.Task[None]] = set()
        for fut in (self.connected, self.exit_code):
            fut.add_done_callback(_consume)

    def attach(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writer = writer
        self._reader = asyncio.create_task(self._read(reader), name=f"motools-pool-{self.pid}")
        if not self.connected.done():
            self.connected.set_result(None)

    def lost(self, error: TransientError) -> None:
        """It will never connect (the template died first)."""
        self.dead = True
        if not self.connected.done():
            self.connected.set_exception(error)
        if not self.exit_code.done():
            self.exit_code.set_result(None)

    def send(self, message: Any) -> None:
        if self.dead or self._writer is None or self._writer.is_closing():
            raise TransientError(f"pool process {self.pid} is gone")
        self._writer.write(frame(message))

    async def call(self, request: StepRequest, sink: StepSink) -> StepResult:
        rid = next(_ids)
        fut: asyncio.Future[StepResult] = asyncio.get_running_loop().create_future()
        self.calls[rid] = (fut, sink)
        try:
            await asyncio.shield(self.connected)
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

    async def _read(self, reader: asyncio.StreamReader) -> None:
        try:
            while True:
                message = await read_message(reader)
                if message is None:
                    break
                self._dispatch(message)
        except Exception:  # a garbled message: this process cannot be trusted any more
            log.exception("pool process %d sent something unreadable; stopping it", self.pid)
            self.kill()
        finally:
            self.dead = True
            if self._writer is not None:
                self._writer.close()
            try:  # the template reports how it ended, in a moment
                code = await asyncio.wait_for(asyncio.shield(self.exit_code), EXIT_REPORT_WAIT_S)
            except TimeoutError:
                code = None
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
        """Ask the process to leave (it exits when its connection ends)."""
        if self._writer is not None:
            self._writer.close()

    def kill(self) -> None:
        """SIGKILL the process, if the template has not reported it gone (so the pid is still its)."""
        if self.pid and not self.exit_code.done():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(self.pid, signal.SIGKILL)

    async def wait(self) -> None:
        if self._reader is not None:
            await asyncio.shield(self._reader)


class _PipeWriter:
    """The stdin of a template started early: a blocking pipe, written a few hundred bytes at a time."""

    def __init__(self, fh: Any):
        self._fh = fh

    def write(self, data: bytes) -> None:
        try:
            self._fh.write(data)
            self._fh.flush()
        except (BrokenPipeError, ValueError):  # it died: its reader reports how
            self.close()

    def is_closing(self) -> bool:
        return bool(self._fh.closed)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._fh.close()


class _EarlyProcess:
    """A template started early, seen as the :class:`asyncio.subprocess.Process` it stands for."""

    def __init__(self, popen: subprocess.Popen[bytes], stdout: asyncio.StreamReader):
        self._popen = popen
        self.pid = popen.pid
        self.stdin = _PipeWriter(popen.stdin)
        self.stdout = stdout

    @property
    def returncode(self) -> int | None:
        return self._popen.poll()

    async def wait(self) -> int:
        return await asyncio.to_thread(self._popen.wait)


class _Template:
    """The process that warms up once and forks the pool's workers; it reports their exits."""

    def __init__(self, socket_path: str):
        self.socket_path = socket_path
        self.proc: asyncio.subprocess.Process | None = None
        self.dead = False
        self.workers: dict[int, _PoolProcess] = {}
        self._forking: deque[_PoolProcess] = deque()
        self._early: dict[int, tuple[asyncio.StreamReader, asyncio.StreamWriter]] = {}
        self._reader: asyncio.Task[None] | None = None

    async def start(self, warm: tuple[Any, ...] | None) -> None:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-P",
            "-m",
            "motools.executors.pool_worker",
            self.socket_path,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            process_group=0,  # not the terminal's foreground group: Ctrl-C reaches the driver only
            env=child_env(),
        )
        self._reader = asyncio.create_task(self._read(), name=f"motools-pool-template-{self.proc.pid}")
        if warm is not None:
            self._send(warm)

    async def adopt(self, popen: subprocess.Popen[bytes], warm: tuple[Any, ...] | None) -> None:
        """Take over a template started early (:func:`motools.executors.early.start_early`)."""
        stdout = asyncio.StreamReader()
        loop = asyncio.get_running_loop()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stdout), popen.stdout)
        self.proc = _EarlyProcess(popen, stdout)  # type: ignore[assignment]  # the same interface
        self._reader = asyncio.create_task(self._read(), name=f"motools-pool-template-{popen.pid}")
        if warm is not None:
            self._send(warm)

    def _send(self, message: Any) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        if self.dead or self.proc.stdin.is_closing():
            raise TransientError(f"the pool's template process {self.proc.pid} {_ended(self.proc.returncode)}")
        self.proc.stdin.write(frame(message))

    def fork(self, worker: _PoolProcess) -> None:
        self._send(("fork",))
        self._forking.append(worker)

    def connected(self, pid: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """A worker said hello on the socket (perhaps before the template said it forked it)."""
        worker = self.workers.get(pid)
        if worker is None:
            self._early[pid] = (reader, writer)
        else:
            worker.attach(reader, writer)

    async def _read(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        try:
            while True:
                message = await read_message(self.proc.stdout)
                if message is None:
                    break
                if message[0] == "forked":
                    worker = self._forking.popleft()
                    worker.pid = message[1]
                    self.workers[worker.pid] = worker
                    if worker.pid in self._early:
                        worker.attach(*self._early.pop(worker.pid))
                elif message[0] == "exited":
                    worker = self.workers.pop(message[1], None)
                    if worker is not None and not worker.exit_code.done():
                        worker.exit_code.set_result(message[2])
        finally:
            self.dead = True
            code = await self.proc.wait()
            error = TransientError(f"the pool's template process {self.proc.pid} {_ended(code)}")
            while self._forking:
                self._forking.popleft().lost(error)
            for worker in self.workers.values():  # orphans leave on their own (their parent changed)
                if not worker.exit_code.done():
                    worker.exit_code.set_result(None)

    def close(self) -> None:
        if self.proc is not None and self.proc.stdin is not None and not self.proc.stdin.is_closing():
            self.proc.stdin.close()

    async def stop(self) -> None:
        """Close its stdin, wait for it, then SIGKILL what is left of its process group."""
        self.close()
        if self.proc is None:
            return
        try:
            await asyncio.wait_for(self.proc.wait(), SHUTDOWN_WAIT_S)
        except TimeoutError:
            pass
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)  # its group: workers that did not leave
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)


def _consume(fut: asyncio.Future[Any]) -> None:
    if not fut.cancelled():
        fut.exception()


class ProcessPoolExecutor:
    """A pool of ``workers`` local processes for steps declared ``cpu_heavy`` (and ``remote_ok``)."""

    name = "processes"
    ships_files = False

    def __init__(self, workers: int | None = None):
        self.size = max(1, int(workers)) if workers else default_workers()
        self._procs: list[_PoolProcess] = []
        self._template: _Template | None = None
        self._server: asyncio.AbstractServer | None = None
        self._folder: str | None = None
        self._lock: asyncio.Lock | None = None
        self._warm: tuple[Any, ...] | None = None
        self._starting: asyncio.Future[Any] | None = None
        self.started = 0  # workers started, replacements included

    @property
    def slots(self) -> int:
        return self.size

    def takes(self, step: Placeable) -> bool:
        return step.resources.cpu_heavy

    def warm(self, workflow: str, import_paths: tuple[str, ...], configs: dict[str, dict[str, Any]]) -> None:
        """Start the pool now, warming up with the steps' ``warmup`` while the sweep's first
        steps run in the driver."""
        self._warm = ("warm", workflow, import_paths, configs)
        if self._starting is None:
            self._starting = asyncio.ensure_future(self._fill())
            self._starting.add_done_callback(_log_failure)

    async def run(self, request: StepRequest, sink: StepSink) -> StepResult:
        await self._fill()
        proc = min(self._procs, key=lambda p: len(p.calls))
        return await proc.call(request, sink)

    async def _fill(self) -> None:
        """Replace dead workers (and a dead template) and fork missing ones."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            try:
                early = None
                if self._server is None:
                    early = take_early()
                    self._folder = early[1] if early else tempfile.mkdtemp(prefix="motools-pool-")
                    path = os.path.join(self._folder, "s")
                    self._server = await asyncio.start_unix_server(self._hello, path)
                if self._template is None or self._template.dead:
                    self._template = _Template(os.path.join(self._folder or "", "s"))
                    if early is not None:
                        await self._template.adopt(early[0], self._warm)
                    else:
                        await self._template.start(self._warm)
                self._procs = [p for p in self._procs if not p.dead]
                while len(self._procs) < self.size:
                    proc = _PoolProcess()
                    self._template.fork(proc)
                    self.started += 1
                    self._procs.append(proc)
            except OSError as exc:  # out of processes or memory for now: the runner retries
                raise TransientError(f"cannot start the process pool: {exc}") from exc

    async def _hello(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """A worker connected: it says its pid first."""
        try:
            message = await read_message(reader)
        except asyncio.CancelledError:  # the pool shut down first (end normally: asyncio's
            writer.close()  # stream callback in 3.11 logs a cancelled handler as an error)
            return
        if not (isinstance(message, tuple) and message[:1] == ("ready",)) or self._template is None:
            writer.close()
            return
        self._template.connected(message[1], reader, writer)

    async def shutdown(self) -> None:
        if self._starting is not None:
            await asyncio.gather(self._starting, return_exceptions=True)
        procs, self._procs = self._procs, []
        for p in procs:
            p.close()
        waits = [asyncio.ensure_future(p.wait()) for p in procs]
        if waits:
            await asyncio.wait(waits, timeout=SHUTDOWN_WAIT_S)
        for p in procs:
            p.kill()
        if self._template is not None:
            await self._template.stop()
        if self._server is not None:
            self._server.close()
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)


__all__ = ["ProcessPoolExecutor"]
