"""Which Python modules a spec file may make us import.

A spec names callables (``"module:function"`` or ``"module.function"``) that run when it is
validated. Specs written in Python are the user's own code, but a YAML file may come from
anyone, so a file whose callables lie outside the packages installed as motools content (the
``motools.trusted`` entry point group: the zoo) and the modules listed in ``<home>/config`` is
refused until the user trusts them (``--trust``, or a confirmation in the
app). The scan (:func:`spec_callables`) and the importer (:func:`motools.imports.resolve_import`)
share one parser, and spec loading resolves under :func:`motools.imports.only_trusted`, so a
string the scan missed still cannot be imported.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from motools.store.paths import resolve_home

# motools itself is not a source of spec callables: its functions (the CLI's ``main``, file
# writers, store operations) would do anything a spec's arguments asked, e.g.
# ``dataset_loader: motools.cli.main:main`` with ``argv: [sweep, run, payload.yaml, --trust]``.
# Specs name content (the zoo, installed under ``motools.trusted``) and the user's own modules.
TRUSTED_BY_DEFAULT: tuple[str, ...] = ()


def config_path(home: str | os.PathLike[str] | None = None) -> Path:
    return resolve_home(home) / "config"


def load_config(home: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    from motools.yamlio import load_yaml

    path = config_path(home)
    try:
        data = load_yaml(path.read_text(), limits=False)
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        from motools.errors import MotoolsError

        raise MotoolsError(f"{path}: cannot read the motools config: {exc}") from None
    return data if isinstance(data, dict) else {}


def installed_content() -> list[str]:
    """Packages installed as motools content (entry point group ``motools.trusted``)."""
    from importlib.metadata import entry_points

    return [ep.value for ep in entry_points(group="motools.trusted")]


def trusted_modules(home: str | os.PathLike[str] | None = None) -> list[str]:
    extra = load_config(home).get("trusted_modules") or []
    return [*TRUSTED_BY_DEFAULT, *installed_content(), *(str(m) for m in extra)]


def trust_modules(modules: Iterable[str], home: str | os.PathLike[str] | None = None) -> None:
    """Add modules to the trusted list in ``<home>/config`` (written atomically)."""
    from motools.yamlio import dump_yaml

    config = load_config(home)
    current = [str(m) for m in config.get("trusted_modules") or []]
    config["trusted_modules"] = current + [m for m in modules if m not in current]
    path = config_path(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".config.{os.getpid()}.tmp")
    with open(tmp, "w") as fh:
        fh.write(dump_yaml(config))
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


SCANNED_SECTIONS = ("workflow", "base_config", "param_grid")


def _findable(top_level: str, cache: dict[str, bool]) -> bool:
    """Whether a top-level module of that name could be imported (found, never executed)."""
    if top_level not in cache:
        import importlib.util
        import sys

        if top_level in sys.modules:
            cache[top_level] = True
        else:
            try:
                cache[top_level] = importlib.util.find_spec(top_level) is not None
            except (ImportError, ValueError):
                cache[top_level] = False
    return cache[top_level]


def spec_callables(data: Any) -> list[str]:
    """Every string of a loaded spec document that the resolver would import, in order.

    ``module:attr`` strings anywhere under ``workflow``, ``base_config`` and ``param_grid``
    (loaders, tasks, and any loader or task argument), and ``module.attr`` strings whose
    top-level module exists (``os.system``; not ``data.jsonl`` when there is no ``data``
    module). The walk visits each object once, so YAML aliases cost nothing.
    """
    from motools.imports import parse_target

    found: dict[str, None] = {}
    findable: dict[str, bool] = {}
    seen: set[int] = set()
    stack: list[Any] = [data.get(k) for k in reversed(SCANNED_SECTIONS)] if isinstance(data, dict) else []
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            target = parse_target(node)
            if target is not None and (target.colon or _findable(target.top_level, findable)):
                found.setdefault(node)
        elif isinstance(node, (dict, list, tuple)):
            if id(node) in seen:
                continue
            seen.add(id(node))
            children = list(node.values()) if isinstance(node, dict) else list(node)
            stack.extend(reversed(children))
    return list(found)


def is_trusted(callable_ref: str, trusted: Iterable[str]) -> bool:
    from motools.imports import parse_target

    target = parse_target(callable_ref)
    return target is not None and target.within(trusted)


def untrusted_callables(data: Any, home: str | os.PathLike[str] | None = None) -> list[str]:
    """The import strings of a spec document outside the trusted modules (nothing is imported)."""
    trusted = trusted_modules(home)
    return [c for c in spec_callables(data) if not is_trusted(c, trusted)]


def modules_of(callables: Iterable[str]) -> list[str]:
    """The modules that importing ``callables`` would import (what ``--trust`` records)."""
    from motools.imports import parse_target

    out: dict[str, None] = {}
    for c in callables:
        target = parse_target(c)
        if target is not None:
            out.setdefault(target.module)
    return list(out)
