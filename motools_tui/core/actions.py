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


def launch(store: Any, spec_yaml: str, sweep_name: str, max_parallel: int) -> dict[str, Any]:
    """Record the sweep and start its detached worker (as ``motools sweep run --detach`` does);
    returns the sweep row."""
    from motools.errors import SpecError
    from motools.specs import parse_spec_text
    from motools.workflow.launch import detach_sweep, record_sweep

    try:
        spec = parse_spec_text(spec_yaml, resolve=False)
        recorded = record_sweep(spec, name=sweep_name, max_parallel=max_parallel, store=store)
    except SpecError as exc:
        raise ActionError(str(exc)) from None
    detach_sweep(recorded.sweep["name"], store=store, max_parallel=max_parallel)
    return recorded.sweep


def retry(store: Any, name: str, clock: Clock = system_clock) -> int:
    """Start a worker that re-runs the sweep's failed, cancelled and unfinished runs."""
    from motools.errors import MotoolsError
    from motools.store.sweeps import prepare_to_run
    from motools.workflow.launch import detach_sweep, retry_count

    try:
        n = retry_count(store, name)
        if n == 0:
            raise ActionError(f"sweep {name}: every run finished; nothing to retry")
        prepare_to_run(store, name, now=clock())
    except MotoolsError as exc:
        raise ActionError(str(exc)) from None
    detach_sweep(name, store=store)
    return n


def cancel_sweep(store: Any, name: str, clock: Clock = system_clock) -> str:
    """Ask the worker to stop the sweep; a sweep without a live worker is marked cancelled."""
    sweep = store.get_sweep(name)
    if sweep["status"] in TERMINAL:
        raise ActionError(f"sweep {name} is not running ({sweep['status']})")
    if store.cancel_sweep(name, now=clock()):
        return "cancel requested"
    return "marked cancelled (it had no live worker)"


def cancel_run(store: Any, name: str, run_index: int, clock: Clock = system_clock) -> str:
    sweep = store.get_sweep(name)
    if not worker_alive(sweep, now=clock()):
        raise ActionError(f"sweep {name} has no live worker; nothing is running")
    store.request_cancel_run(name, run_index)
    return f"cancel requested for config #{run_index}"


class UntrustedImport(Exception):
    """The file names callables outside the trusted modules; ask before importing them."""

    def __init__(self, callables: list[str]):
        self.callables = callables
        super().__init__(", ".join(callables))


def import_spec(store: Any, path: str | Path, *, overwrite: bool = False, trust: bool = False) -> tuple[str, bool]:
    """Validate a YAML file and save it as a spec; ``(name, replaced)``.

    Raises ActionError for an unreadable file, an invalid spec (with every problem) or, unless
    ``overwrite``, a name that is already saved (``FileExistsError``, so the caller can ask).
    Callables outside ``mozoo`` and the trusted modules raise :class:`UntrustedImport` before
    anything is imported, unless ``trust`` (the user confirmed), which trusts them for good.
    """
    from motools.trust import modules_of, trust_modules, untrusted_callables
    from motools.yamlio import load_yaml
    from motools_tui.core.specinfo import validate

    p = Path(path)
    try:
        text = p.read_text()
    except FileNotFoundError:
        raise ActionError(f"{p}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ActionError(f"{p}: cannot read: {exc}") from None
    try:
        unknown = untrusted_callables(load_yaml(text), store.home)
    except ValueError:
        unknown = []  # malformed YAML: validate() reports it with its line
    if unknown and not trust:
        raise UntrustedImport(unknown)
    if unknown:
        trust_modules(modules_of(unknown), store.home)
    spec, problems = validate(text, source=str(p))
    if problems:
        raise ActionError(f"{p}: invalid sweep spec\n" + "\n".join(f"  {pr}" for pr in problems))
    exists = store.get_spec(spec.name) is not None
    if exists and not overwrite:
        raise FileExistsError(spec.name)
    store.save_spec(spec.name, text)
    return spec.name, exists


def export_text(path: str | Path, text: str) -> Path:
    p = Path(path)
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    except OSError as exc:
        raise ActionError(f"{p}: cannot write: {exc}") from None
    return p.resolve()
