"""The one resolver for import strings: ``module:attr.path`` and ``module.attr``.

The trust scan (:mod:`motools.trust`) and the importer share :func:`parse_target`, so a string
the scan does not see as code is a string the importer refuses to import. Resolving follows two
rules:

- **The attribute path never leaves the named module.** Walking ``module:a.b`` refuses an
  attribute that is itself a module (``motools.secrets:os.system``), a dunder name, and a
  function or class whose ``__module__`` is neither the named module nor one of its submodules
  (``some_trusted_module:system`` where that module did ``from os import system``).
- **Under a trust guard nothing untrusted is imported.** Spec loading resolves inside
  :func:`only_trusted` (the trusted modules plus what the user confirmed); an import string
  outside them is refused here even if a scan missed it. Python callers (``run_sweep`` with
  their own code) resolve without a guard.
"""

from __future__ import annotations

import contextvars
import importlib
import inspect
import re
import types
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
_DOTTED = rf"{_IDENT}(?:\.{_IDENT})*"
_COLON_FORM = re.compile(rf"^({_DOTTED}):({_DOTTED})$")
_DOT_FORM = re.compile(rf"^({_DOTTED})\.({_IDENT})$")
MAX_TARGET_CHARS = 300
# ``results.csv`` is a file name, not ``module.attr``: write ``module:csv`` for such an attribute.
FILE_SUFFIXES = frozenset(
    [
        "csv",
        "tsv",
        "json",
        "jsonl",
        "ndjson",
        "yaml",
        "yml",
        "toml",
        "txt",
        "md",
        "log",
        "png",
        "jpg",
        "jpeg",
        "svg",
        "pdf",
        "html",
        "parquet",
        "arrow",
        "feather",
        "pkl",
        "pickle",
        "pt",
        "bin",
        "safetensors",
        "gguf",
        "db",
        "sqlite",
        "npz",
        "npy",
        "gz",
        "zip",
        "tar",
        "bz2",
        "xz",
        "eval",
    ]
)


@dataclass(frozen=True)
class ImportTarget:
    """A parsed import string: ``module`` to import, then ``attrs`` to walk inside it."""

    text: str
    module: str
    attrs: tuple[str, ...]
    colon: bool  # written as module:attr (always code) rather than module.attr

    @property
    def top_level(self) -> str:
        return self.module.partition(".")[0]

    def within(self, modules: Iterable[str]) -> bool:
        """Whether the module is one of ``modules`` or inside one of them."""
        return any(self.module == m or self.module.startswith(m + ".") for m in modules)


def parse_target(text: Any) -> ImportTarget | None:
    """``text`` as an import string, or ``None`` if it has neither form.

    ``module:attr.path`` (any dotted module, any dotted attribute path) or ``module.attr`` (the
    last dotted part is the attribute, unless it is a file suffix: ``results.csv``). Only ASCII
    identifiers: a string with spaces, slashes, dashes or other characters is never an import
    string.
    """
    if not isinstance(text, str) or not text or len(text) > MAX_TARGET_CHARS:
        return None
    m = _COLON_FORM.match(text)
    if m:
        return ImportTarget(text, m.group(1), tuple(m.group(2).split(".")), True)
    m = _DOT_FORM.match(text)
    if m and m.group(2).lower() not in FILE_SUFFIXES:
        return ImportTarget(text, m.group(1), (m.group(2),), False)
    return None


# -- the trust guard ----------------------------------------------------------------------------
_allowed: contextvars.ContextVar[tuple[str, ...] | None] = contextvars.ContextVar("motools_import_guard", default=None)


class UntrustedImport(ValueError):
    """An import string names a module outside the trusted ones (raised under a guard)."""

    def __init__(self, target: str, module: str):
        self.target = target
        self.module = module
        super().__init__(
            f"{target!r}: module {module!r} is not trusted; trust it with --trust (or add it to "
            "trusted_modules in the motools config) after checking its code"
        )


@contextmanager
def only_trusted(modules: Iterable[str]) -> Iterator[None]:
    """Within this block :func:`resolve_import` imports only ``modules`` (and their submodules)."""
    token = _allowed.set(tuple(modules))
    try:
        yield
    finally:
        _allowed.reset(token)


def guarded_modules() -> tuple[str, ...] | None:
    """The modules the current guard allows, or ``None`` outside a guard."""
    return _allowed.get()


# -- resolving ----------------------------------------------------------------------------------
_resolved: dict[tuple[str, str], Any] = {}
_MISSING = object()


def _belongs(obj: Any, module: str) -> bool:
    """Whether a function or class ``obj`` was defined in ``module`` or one of its submodules."""
    owner = getattr(obj, "__module__", None)
    return isinstance(owner, str) and (owner == module or owner.startswith(module + "."))


def walk_attributes(module: types.ModuleType, target: ImportTarget) -> Any:
    """Follow ``target.attrs`` inside ``module``, never leaving it (see the module docstring)."""
    obj: Any = module
    path: list[str] = []
    for part in target.attrs:
        path.append(part)
        where = f"{target.text!r}: {target.module}:{'.'.join(path)}"
        if part.startswith("__") and part.endswith("__"):
            raise ValueError(f"{where} is a special attribute; name a function or class of the module")
        found = getattr(obj, part, _MISSING)
        if found is _MISSING:
            raise ValueError(f"{target.text!r}: module {target.module!r} has no attribute {'.'.join(path)!r}")
        obj = found
        if isinstance(obj, types.ModuleType):
            raise ValueError(
                f"{where} is the module {obj.__name__!r}: an attribute path may not leave the module "
                f"it names ({target.module!r})"
            )
        if (inspect.isroutine(obj) or inspect.isclass(obj)) and not _belongs(obj, target.module):
            owner = getattr(obj, "__module__", None) or "a built-in module"
            raise ValueError(
                f"{where} comes from {owner!r}, not from {target.module!r}: an attribute path may not "
                f"leave the module it names (name it where it is defined, '{owner}:"
                f"{getattr(obj, '__qualname__', part)}', if you trust that module)"
            )
        if isinstance(obj, (property, types.GetSetDescriptorType, types.MemberDescriptorType)):
            raise ValueError(f"{where} is a descriptor, not a function or object")
    return obj


def resolve_import(target: Any, *, what: str = "callable") -> Any:
    """Import ``module:attr.path`` (or ``module.attr``) and return the attribute.

    Raises ``ValueError`` naming the string and the reason, which pydantic turns into a field
    error and the CLI prints without a traceback; :class:`UntrustedImport` (a ``ValueError``)
    under a trust guard for a module outside it, before anything is imported.
    """
    guard = _allowed.get()
    key = (target, what) if isinstance(target, str) else None
    parsed = parse_target(target)
    if parsed is None:
        shown = repr(target) if not isinstance(target, str) or len(target) <= 80 else repr(target[:80] + "…")
        raise ValueError(f"expected a 'module:function' string, got {shown}")
    if guard is not None and not parsed.within(guard):
        raise UntrustedImport(parsed.text, parsed.module)
    if key is not None and key in _resolved:
        return _resolved[key]
    try:
        module = importlib.import_module(parsed.module)
    except ModuleNotFoundError as exc:
        raise ValueError(f"{parsed.text!r}: module {exc.name!r} not found") from None
    except Exception as exc:  # a module that fails on import is the user's to fix
        raise ValueError(f"{parsed.text!r}: importing {parsed.module!r} failed: {type(exc).__name__}: {exc}") from None
    obj = walk_attributes(module, parsed)
    if what == "callable" and not callable(obj):
        raise ValueError(f"{parsed.text!r} is not callable")
    _resolved[(parsed.text, what)] = obj
    return obj


__all__ = [
    "ImportTarget",
    "UntrustedImport",
    "guarded_modules",
    "only_trusted",
    "parse_target",
    "resolve_import",
    "walk_attributes",
]
