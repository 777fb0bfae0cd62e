"""Where the store lives: ``.motools/`` under the working directory, or ``$MOTOOLS_HOME``."""

from __future__ import annotations

import os
from pathlib import Path

DB_NAME = "motools.db"


def resolve_home(home: str | os.PathLike[str] | None = None) -> Path:
    """The ``.motools`` folder to use: an explicit one, ``$MOTOOLS_HOME``, or ``./.motools``."""
    if home is not None:
        return Path(home).expanduser().resolve()
    env = os.environ.get("MOTOOLS_HOME")
    if env:
        return Path(env).expanduser().resolve()
    return (Path.cwd() / ".motools").resolve()
