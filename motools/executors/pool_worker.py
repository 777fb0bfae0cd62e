"""One process of the ``processes`` executor: ``python -P -m motools.executors.pool_worker``.

It reads step requests from stdin and runs them concurrently on its own event loop (so
Inspect's batching works inside it), sending log lines, progress, questions and results back
on the stdout it was started with; anything the steps print goes to stderr instead. Messages
are length-prefixed pickles between the driver and its own children.

It never outlives its driver: when stdin reaches its end (the driver closed it, or died and
the kernel closed it) or its parent changes, it exits at once. It runs in a session of its
own, so a Ctrl-C in the driver's terminal reaches only the driver, which cancels its steps.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import pickle
import signal
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


class _Out:
    """The line to the driver (blocking writes of whole frames; the driver always reads)."""

    def __init__(self, fd: int):
        self.fd = fd

    def send(self, message: Any) -> None:
        view = memoryview(frame(message))
        while view:
            view = view[os.write(self.fd, view) :]


class _PipeChannel:
    """A step's channel to the driver over the pipe: notes go at once, questions wait for answers."""

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
        result = await execute_request(request, _PipeChannel(out, rid, answers), placement)
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


async def serve(out: _Out) -> None:
    from motools.executors.remote import this_placement

    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(0, "rb", buffering=0))
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
        elif kind == "warm":
            from motools.executors.remote import warm_up

            warm_up(*message[1:])  # blocks this loop: nothing else can run here before it anyway
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
    # the driver closed the pipe (its pool shut down) or died: leave now, without waiting for
    # steps or threads (nobody is left to take their results)
    watchdog.cancel()
    sys.stderr.flush()
    os._exit(0)


def main() -> None:
    out = _Out(os.dup(1))
    os.dup2(2, 1)  # what steps print goes to stderr, never into the driver's messages
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        asyncio.run(serve(out))
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        sys.stderr.flush()
        os._exit(0)  # the driver is gone or done: leave without waiting for anything


if __name__ == "__main__":
    main()
