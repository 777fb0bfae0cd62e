"""The processes of the ``processes`` executor: ``python -P -m motools.executors.pool_worker SOCKET``.

The driver starts one *template* process (this module's :func:`main`), in a process group of
its own.
It imports the sweep's workflow and runs its steps' ``warmup`` (Inspect's imports, the task:
about 2 s of CPU) once, then forks the pool's workers on request, so each starts warm and
shares those pages with the others instead of importing everything again. The template is
single-threaded when it forks, and does nothing else: it reads the driver's messages on stdin,
answers on the stdout it was started with, and reports each worker's exit status.

A worker connects to the driver's Unix socket ``SOCKET`` and serves step requests there,
several at a time on its own event loop (so Inspect's batching works inside it), sending log
lines, progress, questions and results back. Messages are length-prefixed pickles between the
driver and its own children; anything steps print goes to stderr.

Nothing outlives the driver: the template exits when its stdin ends (the driver closed it or
died, even by ``kill -9``); a worker exits when its socket ends or its parent changes.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import pickle
import selectors
import shutil
import signal
import socket
import struct
import sys
from typing import Any

HEADER = struct.Struct(">I")
PARENT_POLL_S = 1.0


def frame(message: Any) -> bytes:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return HEADER.pack(len(data)) + data


async def read_message(reader: asyncio.StreamReader) -> Any | None:
    """The next message, or None at the end of the stream."""
    try:
        head = await reader.readexactly(HEADER.size)
        body = await reader.readexactly(HEADER.unpack(head)[0])
    except (asyncio.IncompleteReadError, ConnectionError):
        return None
    return pickle.loads(body)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


# -- the template -------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    socket_path = args[0]
    out = os.dup(1)
    os.dup2(2, 1)  # what warm-ups and steps print goes to stderr, never into the driver's messages
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the driver cancels steps; a terminal's Ctrl-C is its own
    try:
        _template(socket_path, out)
        # the driver is done or gone: its socket's private folder goes too (a killed driver
        # could not remove it)
        shutil.rmtree(os.path.dirname(socket_path), ignore_errors=True)
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        sys.stderr.flush()
        os._exit(0)


def _template(socket_path: str, out: int) -> None:
    """Read the driver's messages (warm, fork); report forks and exits; leave at end of stdin."""
    from motools import heap

    heap.own_process()
    heap.pause()  # until the fork: the template's life before it is imports
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    sel = selectors.DefaultSelector()
    sel.register(0, selectors.EVENT_READ, "driver")
    sel.register(wake_r, selectors.EVENT_READ, "child")
    buffer = b""
    while True:
        for key, _ in sel.select():
            if key.data == "child":
                os.read(wake_r, 4096)
                _reap(out)
                continue
            chunk = os.read(0, 1 << 16)
            if not chunk:
                return  # the driver is done, or gone
            buffer += chunk
            while len(buffer) >= HEADER.size and len(buffer) >= HEADER.size + HEADER.unpack_from(buffer)[0]:
                size = HEADER.unpack_from(buffer)[0]
                message = pickle.loads(buffer[HEADER.size : HEADER.size + size])
                buffer = buffer[HEADER.size + size :]
                if message[0] == "preload":
                    from motools.executors.remote import preload

                    preload()
                elif message[0] == "warm":
                    from motools.executors.remote import warm_up

                    warm_up(*message[1:])
                elif message[0] == "fork":
                    # what the workers inherit stays shared and out of their collections; no collection
                    # first: the first fork waits on it (0.13 s here), for ~90,000 objects of import-time
                    # garbage that then stay, shared, in a template that holds 110 MB anyway
                    heap.settle(collect=False)
                    pid = os.fork()
                    if pid == 0:
                        for fd in (0, out, wake_r, wake_w):
                            os.close(fd)
                        sel.close()
                        _worker(socket_path)  # never returns
                    _write_all(out, frame(("forked", pid)))
        _reap(out)


def _reap(out: int) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        _write_all(out, frame(("exited", pid, os.waitstatus_to_exitcode(status))))


# -- a worker -----------------------------------------------------------------------------------
def _worker(socket_path: str) -> None:
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    code = 0
    try:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(socket_path)
        except OSError:  # the pool was shut down before this worker got to start: nothing to do
            os._exit(0)
        asyncio.run(serve(sock))
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        sys.stderr.flush()
        os._exit(code)


class _Out:
    """The worker's line to the driver."""

    def __init__(self, writer: asyncio.StreamWriter):
        self.writer = writer

    def send(self, message: Any) -> None:
        self.writer.write(frame(message))


class _SocketChannel:
    """A step's channel to the driver: notes go at once, questions wait for answers."""

    _seq = itertools.count()

    def __init__(self, out: _Out, rid: int, answers: dict[tuple[int, int], asyncio.Future[Any]]):
        self.out = out
        self.rid = rid
        self.answers = answers

    def note(self, note: Any) -> None:
        self.out.send(("note", self.rid, note))

    async def ask(self, kind: str, payload: Any) -> Any:
        seq = next(self._seq)
        fut = asyncio.get_running_loop().create_future()
        self.answers[(self.rid, seq)] = fut
        try:
            self.out.send(("ask", self.rid, seq, kind, payload))
            return await fut
        finally:
            self.answers.pop((self.rid, seq), None)

    def drain(self) -> list[Any]:
        return []


async def _run(out: _Out, rid: int, request: Any, answers: dict, placement: Any) -> None:
    from motools.executors.base import StepResult
    from motools.executors.remote import execute_request, sendable

    try:
        result = await execute_request(request, _SocketChannel(out, rid, answers), placement)
    except asyncio.CancelledError:
        return  # the driver cancelled it and no longer waits for it
    except Exception as exc:  # a fault of this module, not of the step: still answer
        result = StepResult(placement, error=sendable(exc))
    try:
        out.send(("done", rid, result))
    except Exception as exc:  # the result does not pickle: say so instead
        problem = RuntimeError(f"the step's result could not be sent to the sweep's worker: {exc}")
        out.send(("done", rid, StepResult(placement, error=sendable(problem))))


async def _watch_parent(parent: int) -> None:
    while True:
        await asyncio.sleep(PARENT_POLL_S)
        if os.getppid() != parent:
            os._exit(0)


async def serve(sock: socket.socket) -> None:
    from motools.executors.remote import this_placement

    loop = asyncio.get_running_loop()
    reader, writer = await asyncio.open_unix_connection(sock=sock)
    out = _Out(writer)
    placement = this_placement()
    tasks: dict[int, asyncio.Task[None]] = {}
    answers: dict[tuple[int, int], asyncio.Future[Any]] = {}
    watchdog = loop.create_task(_watch_parent(os.getppid()))
    out.send(("ready", os.getpid()))
    while True:
        message = await read_message(reader)
        if message is None:
            break
        kind = message[0]
        if kind == "run":
            _, rid, request = message
            task = loop.create_task(_run(out, rid, request, answers, placement))
            tasks[rid] = task
            task.add_done_callback(lambda _t, rid=rid: tasks.pop(rid, None))
        elif kind == "cancel":
            task = tasks.get(message[1])
            if task is not None:
                task.cancel()
        elif kind == "answer":
            _, rid, seq, ok, value = message
            fut = answers.get((rid, seq))
            if fut is not None and not fut.done():
                if ok:
                    fut.set_result(value)
                else:
                    fut.set_exception(value)
    # the driver closed the connection (its pool shut down) or died: leave now, without waiting
    # for steps or threads (nobody is left to take their results)
    watchdog.cancel()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
