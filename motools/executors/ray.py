"""The ``ray`` executor: steps that may leave the worker run as Ray tasks on a Ray cluster.

Each such step becomes one Ray task asking for the step's declared resources (``num_cpus``,
``num_gpus``, custom resources), so Ray puts a step that asks for a GPU on a node that has
one and spreads evaluations over every node with a free CPU. The sweep's worker stays the
driver: it keeps the store and records what each task returns.

Connecting (``execution.ray_address``): ``auto`` (the default) is Ray's own rule, the
``RAY_ADDRESS`` variable, else the cluster last started on this machine, else a new local
instance; ``local`` always starts a new local instance; ``host:port`` joins that cluster. The
connection is made with the first step Ray takes and closed when the sweep's execution ends
(if this executor made it).

What a task gets: the step's input atoms (files travel as bytes, since nodes need not share
a disk), not the rest of the store. Log lines, progress and checkpoints come back with the
task's result, not while it runs. A task lost with its worker process or node fails with a
:class:`~motools.errors.TransientError` and the runner retries it (Ray's own task retries are
off, so every retry is one the sweep records). Cancelling a run cancels its task.

Ray is imported here only, when the first task is submitted (``pip install 'motools[ray]'``).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import tempfile
import threading
from pathlib import Path
from typing import Any

from motools.errors import MotoolsError, TransientError
from motools.executors.base import RAY_INSTALL, Placeable, StepRequest, StepResult, StepSink

log = logging.getLogger("motools.executors")

REACH_TIMEOUT_S = 10.0  # ray.init retries an address nothing answers at for minutes; we ask once
_lock = threading.Lock()
_users = 0  # executors of this process using the connection
_ours = False  # whether this process's connection was made by an executor (so it closes it)


def _ray() -> Any:
    try:
        import ray
    except ImportError as exc:
        raise MotoolsError(f"executor 'ray' needs Ray, which is not installed: {RAY_INSTALL}") from exc
    return ray


class _QuietThreadWarning(logging.Filter):
    """``ray.init`` off the main thread (so that it neither blocks the event loop nor replaces
    the worker's SIGTERM handler) warns that it set no SIGTERM handler: that is the point."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "SIGTERM handler is not set" not in record.getMessage()


def _dialled(address: str | None) -> tuple[str, str] | None:
    """The ``host:port`` that ``ray.init`` will connect to for ``address``, and where that came
    from; None when it starts a local instance instead (Ray's own rule, read without connecting)."""
    if address == "local":
        return None
    source = "ray_address"
    if address in (None, "auto"):
        if os.environ.get("RAY_ADDRESS"):
            address, source = os.environ["RAY_ADDRESS"], "RAY_ADDRESS"
            if address in ("auto", "local"):
                return None
        else:
            try:
                from ray._private.services import find_bootstrap_address
            except ImportError:  # a Ray without it: Ray finds the cluster itself
                return None
            address, source = find_bootstrap_address(None), "the cluster last started on this machine"
            if address is None:
                return None
    return address.split("://", 1)[-1], source


def check_reachable(address: str | None, timeout: float = REACH_TIMEOUT_S) -> None:
    """Refuse at once, saying why, a cluster address that nothing answers at (``ray.init`` would
    retry it for minutes: a wrong port, a stopped head node, a dropped tunnel)."""
    dialled = _dialled(address)
    if dialled is None:
        return
    target, source = dialled
    host, _, port = target.rpartition(":")
    if not host or not port.isdigit():
        return  # not host:port: Ray's own error says what it expected
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except OSError as exc:
        timed_out = isinstance(exc, TimeoutError)
        reason = f"no answer within {timeout:g} s" if timed_out else (exc.strerror or str(exc))
        raise MotoolsError(
            f"nothing answers at {target} (from {source}): {reason}. Is the cluster up? "
            f"'ray status --address {target}' on one of its nodes tells; ray_address: local starts one here"
        ) from None


def _connect(address: str | None) -> dict[str, Any]:
    """Join (or start) the cluster once per process; returns its resources."""
    global _users, _ours
    ray = _ray()
    logging.getLogger("ray._private.worker").addFilter(_QuietThreadWarning())
    with _lock:
        if not ray.is_initialized():
            check_reachable(address)
            kwargs: dict[str, Any] = {"log_to_driver": False, "configure_logging": False}
            if address not in (None, "auto"):
                kwargs["address"] = address
            ray.init(**kwargs)
            _ours = True
        _users += 1
        return dict(ray.cluster_resources())


def _disconnect() -> None:
    global _users, _ours
    with _lock:
        _users = max(0, _users - 1)
        if _users == 0 and _ours:
            _ours = False
            _ray().shutdown()


def run_task(request: StepRequest) -> StepResult:
    """The Ray task: run the step in this Ray worker process (a fresh event loop per task)."""
    import ray

    from motools.executors.remote import BufferChannel, execute_request, this_placement

    node = ray.get_runtime_context().get_node_id()
    home = Path(request.home)
    if not home.is_dir():  # not a shared disk: Inspect logs and other files stay on this node
        home = Path(tempfile.gettempdir()) / "motools-ray" / request.sweep_name
        home.mkdir(parents=True, exist_ok=True)
    channel = BufferChannel(where=f"on Ray node {node[:8]}")
    return asyncio.run(execute_request(request, channel, this_placement(node), home=home))


class RayExecutor:
    """Steps declared ``remote_ok`` run as Ray tasks with their declared resources."""

    name = "ray"
    ships_files = True
    slots = None  # the cluster's, which can change while the sweep runs

    def __init__(self, address: str | None = None):
        self.address = address or "auto"
        self.resources: dict[str, Any] | None = None
        self._connecting: asyncio.Future[dict[str, Any]] | None = None
        self._remote: Any = None

    def takes(self, step: Placeable) -> bool:
        return True

    async def _ensure(self, sweep: str) -> Any:
        if self._connecting is None:
            self._connecting = asyncio.ensure_future(asyncio.to_thread(_connect, self.address))
        try:
            self.resources = await asyncio.shield(self._connecting)
        except Exception as exc:  # every step of the sweep fails with this, at once
            cause = f" ({type(exc.__cause__).__name__}: {exc.__cause__})" if exc.__cause__ else ""
            raise MotoolsError(
                f"cannot reach the Ray cluster (ray_address {self.address!r}): {exc}{cause}. To finish the sweep "
                f"without it: motools sweep retry {sweep} --executor local (or processes; in the app: T)"
            ) from exc
        if self._remote is None:
            self._remote = _ray().remote(run_task)
        return self._remote

    def warm(self, workflow: str, import_paths: tuple[str, ...], configs: dict[str, dict[str, Any]]) -> None:
        return None  # nothing to start ahead: the connection is made with the first task

    async def run(self, request: StepRequest, sink: StepSink) -> StepResult:
        remote = await self._ensure(request.sweep_name)
        ray = _ray()
        r = request.resources
        self._check_fits(r)
        options: dict[str, Any] = {
            "num_cpus": r.num_cpus,
            "max_retries": 0,  # the runner retries, so every retry is recorded
            "retry_exceptions": False,
            "scheduling_strategy": "SPREAD",  # evaluations over every node, not packed on the driver's
        }
        if r.num_gpus:
            options["num_gpus"] = r.num_gpus
        if r.custom:
            options["resources"] = dict(r.custom)
        ref = remote.options(**options).remote(request)
        try:
            return await ref
        except asyncio.CancelledError:
            ray.cancel(ref, force=True)
            raise
        except ray.exceptions.TaskCancelledError:
            raise asyncio.CancelledError() from None
        except (
            ray.exceptions.WorkerCrashedError,
            ray.exceptions.NodeDiedError,
            ray.exceptions.ObjectLostError,
            ray.exceptions.RaySystemError,
            ray.exceptions.LocalRayletDiedError,
            ray.exceptions.OutOfMemoryError,
        ) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            raise TransientError(f"Ray lost the task ({type(exc).__name__}: {first})") from exc

    def _check_fits(self, r: Any) -> None:
        """A task no node could ever take would wait forever: refuse it, naming what is missing."""
        have = self.resources or {}
        wanted = {"CPU": r.num_cpus, "GPU": r.num_gpus, **dict(r.custom)}
        missing = [f"{k} {v:g} (it has {have.get(k, 0):g})" for k, v in wanted.items() if v and have.get(k, 0) < v]
        if missing:
            where = f"the Ray cluster at {self.address!r}"
            raise MotoolsError(f"{where} cannot run this step, which asks for {'; '.join(missing)}")

    async def shutdown(self) -> None:
        if self._connecting is None:
            return
        connecting, self._connecting = self._connecting, None
        try:
            await connecting
        except Exception:
            return  # never connected
        await asyncio.to_thread(_disconnect)


__all__ = ["RayExecutor", "run_task"]
