"""A detached sweep worker: ``python -P -m motools.workflow.worker --home HOME NAME``.

Started by :func:`motools.workflow.launch.detach_sweep` in a session of its own. It executes
the recorded sweep, writes the spec's ``output:`` files when the sweep finishes, and, when it
cannot even start (a workflow module that fails to import, a missing package), records why on
the sweep, so the sweep reads ``failed: <reason>`` rather than ``pending`` forever.

Exit status: 0 finished, 1 some runs failed, 2 could not run, 130 cancelled.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
import traceback
from collections.abc import Sequence
from typing import TYPE_CHECKING

from motools.errors import MotoolsError, SweepBusy
from motools.status import Status

if TYPE_CHECKING:
    from motools.executors.base import ExecutorOverride
    from motools.store import Store

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_CANCELLED = 0, 1, 2, 130

log = logging.getLogger("motools.worker")


class _SafeFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        from motools.text import safe_text

        return safe_text(super().format(record))


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="motools-worker", description="Run one recorded sweep (detached).")
    p.add_argument("--home", required=True)
    p.add_argument("name")
    p.add_argument("--max-parallel", type=int)
    p.add_argument("--rerun", default="", help="comma-separated step names to run again despite the cache")
    p.add_argument("--no-cache", action="store_true")
    p.add_argument("--force", action="store_true", help="let the spec's output files replace old ones")
    p.add_argument("--executor", help="run on this executor this time (not the spec's)")
    p.add_argument("--workers", type=int)
    p.add_argument("--ray-address")
    return p


def _override(args: argparse.Namespace) -> ExecutorOverride:
    from motools.executors.base import ExecutorOverride

    return ExecutorOverride(args.executor, args.workers, args.ray_address)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:  # the log is read with cat and less: no raw escapes
        handler.setFormatter(_SafeFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    from motools.store import open_store

    try:
        store = open_store(args.home)
        sweep = store.get_sweep(args.name)
    except MotoolsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    from motools.executors.early import start_for_spec

    start_for_spec(sweep["spec_yaml"], args.executor)  # before the loop: a process pool imports meanwhile
    try:
        return asyncio.run(_run(store, args))
    except SweepBusy as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except _StartFailure as exc:
        from motools.store.lease import record_start_failure

        reason = str(exc.__cause__ or exc)
        print(f"error: the sweep could not start: {reason}", file=sys.stderr)
        traceback.print_exception(exc.__cause__ or exc, file=sys.stderr)
        record_start_failure(store, sweep["id"], reason)
        return EXIT_USAGE
    except MotoolsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE


class _StartFailure(Exception):
    """The sweep could not be prepared (nothing ran, nothing was claimed)."""


async def _run(store: Store, args: argparse.Namespace) -> int:
    from motools.workflow.events import SweepControl
    from motools.workflow.launch import prepare_execution
    from motools.workflow.runner import CachePolicy

    cache = CachePolicy(not args.no_cache, frozenset(s for s in args.rerun.split(",") if s))
    try:
        execution = await asyncio.to_thread(
            lambda: prepare_execution(
                args.name, store=store, max_parallel=args.max_parallel, cache=cache, executor=_override(args) or None
            )
        )
    except SweepBusy:
        raise
    except Exception as exc:  # the user's module failed to import, a package is missing...
        raise _StartFailure(str(exc)) from exc
    control = SweepControl()
    control.attach(execution.cancel)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        try:
            loop.add_signal_handler(sig, control.cancel)
        except (NotImplementedError, RuntimeError):
            pass
    await execution.run()
    if execution.status == Status.FINISHED:
        _write_outputs(store, args.name, args.force)
        return EXIT_OK
    return EXIT_CANCELLED if execution.status == Status.CANCELLED else EXIT_FAILED


def _write_outputs(store: Store, name: str, force: bool) -> None:
    from motools.analysis.export import write_outputs_of

    try:
        for path in write_outputs_of(name, store=store, force=force):
            log.info("wrote %s", path)
    except MotoolsError as exc:
        log.error("the spec's output files were not written: %s", exc)


if __name__ == "__main__":
    from motools import heap
    from motools.store.db import close_stores

    heap.own_process()
    heap.pause()  # until the sweep starts: imports and validation
    try:
        code = main()
    finally:
        close_stores()
    sys.exit(code)
