"""The one rule for names of sweeps and specs: they become file names and command arguments.

Letters, digits, ``.``, ``_`` and ``-``, starting with a letter or digit, at most 100
characters, so a name can never be a path (``../x``, ``a/b``), an option (``-x``) or carry
control characters to a terminal.
"""

from __future__ import annotations

import re

from motools.errors import InvalidName

NAME_MAX = 100
NAME_PATTERN = rf"^[A-Za-z0-9][A-Za-z0-9._-]{{0,{NAME_MAX - 1}}}$"
_NAME = re.compile(NAME_PATTERN)
NAME_RULE = f"letters, digits, '.', '_' or '-', starting with a letter or digit, at most {NAME_MAX} characters"


def is_valid_name(name: object) -> bool:
    return isinstance(name, str) and _NAME.match(name) is not None


def check_name(name: object, what: str = "name") -> str:
    """``name`` if valid; :class:`InvalidName` (a ``ValueError``) naming ``what`` and the rule otherwise."""
    if isinstance(name, str) and is_valid_name(name):
        return name
    shown = repr(name) if not isinstance(name, str) or len(name) <= 40 else repr(name[:40] + "…")
    raise InvalidName(f"{what} {shown} is not allowed: use {NAME_RULE}")


def safe_prefix(text: object, max_chars: int = NAME_MAX) -> str:
    """``text`` made into the start of a valid name: other characters become ``-``."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", str(text)).strip("-._")[:max_chars].rstrip("-._")
    return cleaned or "sweep"


__all__ = ["NAME_MAX", "NAME_PATTERN", "NAME_RULE", "check_name", "is_valid_name", "safe_prefix"]
