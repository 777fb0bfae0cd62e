"""Starting the process pool's template early, before the sweep's spec is validated.

Validating a spec imports its task, and so Inspect (1-2 s); a pool's template needs the same
imports before it can fork warm workers. ``motools sweep run|resume`` and a sweep's worker read
the spec's ``execution.executor`` first (:func:`motools.spec_files.declared_executor`, no
validation) and, for ``processes``, start the template at once: it preloads Inspect, which is
motools' own dependency, never the sweep's code (that waits for the spec to be validated and
trusted), on another core while the driver validates. The sweep's
:class:`~motools.executors.processes.ProcessPoolExecutor` adopts it. Light to import: nothing
here loads the engine.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import tempfile

log = logging.getLogger("motools.executors")


def child_env() -> dict[str, str]:
    """The driver's environment, with its module search path: a pool process imports exactly the
    code the driver runs (the sweep's import paths are added per request, as on Ray)."""
    paths = [p for p in sys.path if p and os.path.isdir(p)]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}


_early: tuple[subprocess.Popen[bytes], str] | None = None


def start_early() -> None:
    """Start the pool's template now, before the sweep's spec is validated.

    The command and a sweep's worker call this as soon as they read ``executor: processes``:
    the template then pays Inspect's imports (motools' own dependencies, never the sweep's
    code, which it imports only once the spec is validated and trusted) on another core while
    the driver validates the spec, and the sweep's executor adopts it. Never adopted (the spec
    is refused, nothing is left to run), it leaves when this process does.
    """
    global _early
    if _early is not None and _early[0].poll() is None:
        return
    folder = tempfile.mkdtemp(prefix="motools-pool-")
    try:
        popen = subprocess.Popen(
            [sys.executable, "-P", "-m", "motools.executors.pool_worker", os.path.join(folder, "s")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            process_group=0,  # as the pool's own start does: a Ctrl-C reaches the driver only
            env=child_env(),
        )
        assert popen.stdin is not None
        from motools.executors.pool_worker import frame  # after the start: it loads asyncio

        popen.stdin.write(frame(("preload",)))
        popen.stdin.flush()
    except OSError as exc:  # no process now: the executor starts one when the sweep does
        log.debug("the process pool could not start early: %s", exc)
        shutil.rmtree(folder, ignore_errors=True)
        return
    _early = (popen, folder)


def take_early() -> tuple[subprocess.Popen[bytes], str] | None:
    global _early
    early, _early = _early, None
    if early is not None and early[0].poll() is not None:
        return None
    return early


def start_for_spec(spec_text: str, executor: str | None = None) -> None:
    """:func:`start_early` if the spec's text asks for the ``processes`` executor (or, when
    given, ``executor``: the one chosen on the command line instead)."""
    from motools.spec_files import declared_executor

    if (executor or declared_executor(spec_text)) == "processes":
        start_early()


__all__ = ["child_env", "start_early", "start_for_spec", "take_early"]
