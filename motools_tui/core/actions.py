"""The writes the app makes: specs, launches and requests. Call these from worker threads.

Per the store's rule, the app never writes a sweep's runs while a worker owns them: cancel and
retry are requests (or a detached worker); only a sweep without a live worker is marked
cancelled directly, as ``motools sweep cancel`` does.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from motools.liveness import worker_alive
from motools.names import NAME_RULE, is_valid_name
from motools.status import TERMINAL
from motools_tui.core.clock import Clock, system_clock


class ActionError(Exception):
    """A refusal the user can act on (shown as a notification, never a traceback)."""


class NeedsConfirmation(Exception):
    """Going on would replace something: ask (``title``, ``message``), then call again forced."""

    def __init__(self, title: str, message: str, yes: str = "Replace"):
        self.title = title
        self.message = message
        self.yes = yes
        super().__init__(message)


def default_sweep_name(spec_name: str, clock: Clock = system_clock) -> str:
    return f"{spec_name}-{time.strftime('%Y%m%d-%H%M%S', time.gmtime(clock()))}"


def check_launch(store: Any, sweep_name: str, max_parallel: Any) -> tuple[str, int]:
    """Validate the launch dialog's fields; raises ActionError naming the field."""
    name = (sweep_name or "").strip()
    if not is_valid_name(name):
        raise ActionError(f"sweep name: use {NAME_RULE}")
    try:
        mp = int(str(max_parallel).strip())
    except ValueError:
        raise ActionError(f"max_parallel: expected a whole number, got {max_parallel!r}") from None
    if not 1 <= mp <= 10_000:
        raise ActionError("max_parallel: must be between 1 and 10000")
    if store.read.sweep_exists(name):
        raise ActionError(f"sweep name: a sweep named {name!r} already exists; choose another")
    return name, mp


def launch(
    store: Any, spec_yaml: str, sweep_name: str, max_parallel: int, *, force_outputs: bool = False
) -> dict[str, Any]:
    """Record the sweep and start its detached worker (as ``motools sweep run --detach`` does);
    returns the sweep row. The worker writes the spec's ``output:`` files when the sweep
    finishes; files that exist already raise :class:`NeedsConfirmation` unless
    ``force_outputs`` (the CLI's ``--force``)."""
    from motools.analysis.export import check_outputs, output_paths
    from motools.errors import MotoolsError, SpecError
    from motools.specs import load_spec_text
    from motools.workflow.launch import detach_sweep, record_sweep

    try:
        spec = load_spec_text(spec_yaml, source=f"spec for {sweep_name}", resolve=False, home=store.home)
        if not force_outputs:
            try:
                check_outputs(spec.output, sweep=sweep_name)
            except MotoolsError:
                existing = [str(p) for p in output_paths(spec.output, sweep_name) if p.exists()]
                raise NeedsConfirmation(
                    "Replace the spec's output files?",
                    "When the sweep finishes it writes its output: section, and these files exist:\n"
                    + "\n".join(f"  {p}" for p in existing),
                ) from None
        recorded = record_sweep(spec, name=sweep_name, max_parallel=max_parallel, store=store)
    except SpecError as exc:
        raise ActionError(str(exc)) from None
    detach_sweep(recorded.sweep["name"], store=store, max_parallel=max_parallel, force_outputs=force_outputs)
    return recorded.sweep


def retry(store: Any, name: str, clock: Clock = system_clock, executor: Any = None) -> int:
    """Start a worker that re-runs the sweep's failed, cancelled and unfinished runs; on another
    executor than its spec's when ``executor`` (an :class:`~motools.executors.base.ExecutorOverride`)
    says so, checked before anything changes."""
    from motools.errors import MotoolsError
    from motools.store.sweeps import prepare_to_run
    from motools.workflow.launch import detach_sweep

    try:
        n = _left_to_retry(store, name)
        if executor:
            executor.check(store.get_sweep(name)["spec_yaml"])
        prepare_to_run(store, name, now=clock())
    except MotoolsError as exc:
        raise ActionError(str(exc)) from None
    detach_sweep(name, store=store, executor=executor or None)
    return n


def _left_to_retry(store: Any, name: str) -> int:
    from motools.workflow.launch import retry_count

    n = retry_count(store, name)
    if n == 0:
        raise ActionError(f"sweep {name}: every run finished; nothing to retry")
    return n


def executor_choices(store: Any, name: str) -> list[tuple[str, Any]]:
    """Where the rest of a sweep can run this time, as (label, override): first as its spec says
    (``None``), then each other executor this machine has. The recorded spec stays as it is."""
    from motools.executors.base import EXECUTOR_NAMES, ExecutorOverride, ExecutorSettings, executor_problem

    _left_to_retry(store, name)  # said before asking where
    recorded = ExecutorSettings.from_spec_text(store.get_sweep(name)["spec_yaml"] or "")
    choices: list[tuple[str, Any]] = [(f"as its spec says: {_where(recorded)}", None)]
    for other in EXECUTOR_NAMES:
        if other != recorded.name and executor_problem(other) is None:
            override = ExecutorOverride(other, options=False)
            choices.append((_where(override.apply(recorded)), override))
    return choices


def _where(settings: Any) -> str:
    from motools.executors.base import default_workers

    if settings.name == "processes":
        n = settings.workers or default_workers()
        return f"processes: a pool of {n} process{'es' if n != 1 else ''} on this machine"
    if settings.name == "ray":
        return f"ray: the cluster at {settings.ray_address or 'auto'}"
    return "local: every step in the sweep's worker"


def cancel_sweep(store: Any, name: str, clock: Clock = system_clock) -> str:
    """Ask the worker to stop the sweep; a sweep without a live worker is marked cancelled."""
    sweep = store.get_sweep(name)
    if sweep["status"] in TERMINAL:
        raise ActionError(f"sweep {name} is not running ({sweep['status']})")
    from motools.errors import SweepNotRunning

    try:
        asked = store.cancel_sweep(name, now=clock())
    except SweepNotRunning as exc:  # it ended while we asked
        raise ActionError(str(exc)) from None
    if asked:
        return "cancel requested"
    return "marked cancelled (it had no live worker)"


def cancel_run(store: Any, name: str, run_index: int, clock: Clock = system_clock) -> str:
    sweep = store.get_sweep(name)
    if not worker_alive(sweep, now=clock()):
        raise ActionError(f"sweep {name} has no live worker; nothing is running")
    store.request_cancel_run(name, run_index)
    return f"cancel requested for config #{run_index}"


def read_spec_file(path: str | Path) -> str:
    try:
        return Path(path).read_text()
    except FileNotFoundError:
        raise ActionError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ActionError(f"{path}: cannot read: {exc}") from None


def import_spec(store: Any, path: str | Path, *, overwrite: bool = False, trust: bool = False) -> tuple[str, bool]:
    """Validate a YAML file and save it as a spec; ``(name, replaced)``.

    Validation is :func:`motools.specs.load_spec_text` (with its trust check: callables
    outside the trusted modules raise ``UntrustedSpecError``, listing them, unless ``trust``,
    which trusts their modules for good). An invalid spec raises ActionError with every problem;
    a name already saved raises ``FileExistsError`` unless ``overwrite``.
    """
    from motools_tui.core.specinfo import validate

    text = read_spec_file(path)
    spec, problems = validate(text, source=str(path), trust=trust, home=store.home, origin=path)
    if problems:
        raise ActionError(f"{path}: invalid sweep spec\n" + "\n".join(f"  {pr}" for pr in problems))
    exists = store.get_spec(spec.name) is not None
    if exists and not overwrite:
        raise FileExistsError(spec.name)
    store.save_spec(spec.name, text)
    return spec.name, exists
