"""Where user modules named by a spec (workflows, loaders, tasks) are found.

In the foreground and in a detached worker alike: the spec file's folder, the launching
working directory and the folder of the script that called ``run_sweep``. They are appended
*after* the standard library and installed packages, so a stray ``typing.py`` in one of them
can never shadow a real module; the store's folder is never added.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from pathlib import Path


def import_paths_for(origin: str | os.PathLike[str] | None = None) -> list[str]:
    """The folders to search for user modules of a sweep launched from here."""
    paths: list[str] = []
    if origin is not None:
        paths.append(str(Path(origin).resolve().parent))
    paths.append(os.getcwd())
    script = getattr(sys.modules.get("__main__"), "__file__", None)
    if script:
        folder = Path(script).resolve().parent
        prefixes = {Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve()}
        if not any(folder == p or p in folder.parents for p in prefixes):
            paths.append(str(folder))
    return list(dict.fromkeys(paths))


def add_import_paths(paths: Iterable[str]) -> None:
    for path in paths:
        if path and path not in sys.path:
            sys.path.append(path)


__all__ = ["add_import_paths", "import_paths_for"]
