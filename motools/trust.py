"""Which Python modules a spec file may make us import.

A spec names callables (``"module:function"``) that run when it is validated. Specs written in
Python are the user's own code, but a YAML file may come from anyone, so a file whose callables
lie outside ``motools``, the packages installed as motools content (the ``motools.trusted``
entry point group: the zoo) and the modules listed in ``<home>/config`` is refused until the
user trusts them (``--trust``, or a confirmation in the app).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from motools.store.paths import resolve_home

TRUSTED_BY_DEFAULT = ("motools",)
IMPORT_STRING = re.compile(r"^([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*):[A-Za-z_][\w.]*$")


def config_path(home: str | os.PathLike[str] | None = None) -> Path:
    return resolve_home(home) / "config"


def load_config(home: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    from motools.yamlio import load_yaml

    path = config_path(home)
    try:
        data = load_yaml(path.read_text())
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
    tmp = path.with_name(".config.tmp")
    tmp.write_text(dump_yaml(config))
    os.replace(tmp, path)


def spec_callables(data: Any) -> list[str]:
    """Every ``module:function`` string in a loaded spec document (config, grid, workflow)."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, str):
            if IMPORT_STRING.match(node) and node not in found:
                found.append(node)
        elif isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    if isinstance(data, dict):
        walk(data.get("workflow"))
        walk(data.get("base_config"))
        walk(data.get("param_grid"))
    return found


def _module(target: str) -> str:
    return target.partition(":")[0]


def untrusted_callables(data: Any, home: str | os.PathLike[str] | None = None) -> list[str]:
    trusted = trusted_modules(home)
    return [
        c for c in spec_callables(data) if not any(_module(c) == t or _module(c).startswith(t + ".") for t in trusted)
    ]


def modules_of(callables: Iterable[str]) -> list[str]:
    out: list[str] = []
    for c in callables:
        if _module(c) not in out:
            out.append(_module(c))
    return out
