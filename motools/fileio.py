"""Writing files a researcher keeps (CSV, PNG, YAML) so that a failure never costs the old one.

Every export goes through :func:`write_file`: the content is written to a temporary file beside
the target, flushed to disk, then renamed over it, so a full disk or a crash leaves the previous
file whole (and no half-written one that looks plausible). A target that exists is replaced only
with ``force``; a symbolic link is never written through; a missing folder is an error unless
asked for, so a typo in a path is not silently turned into a new tree.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from motools.errors import MotoolsError


class ExportError(MotoolsError):
    """A file could not be written; the message names it and says why."""


def check_target(
    path: str | os.PathLike[str], *, force: bool = False, make_dirs: bool = False, dry_run: bool = False
) -> Path:
    """The absolute target path, or :class:`ExportError` if writing there is refused.

    ``dry_run`` checks without creating a missing folder (a sweep checks its ``output:`` paths
    before it runs, and writes them when it ends).
    """
    p = Path(path).expanduser()
    if not p.name or p.name in (".", ".."):
        raise ExportError(f"{path}: not a file name")
    p = p.parent.resolve() / p.name  # resolve the folder, never the file (it may be a link)
    if p.is_symlink():
        raise ExportError(f"{p} is a symbolic link; write to the file it points to, or choose another name")
    if p.is_dir():
        raise ExportError(f"{p} is a directory, not a file")
    if p.exists() and not p.is_file():
        raise ExportError(f"{p} is not a regular file (a device, a pipe or a socket); choose a file name")
    if p.exists() and not force:
        raise ExportError(f"{p} already exists; pass --force (force=True) to overwrite it")
    if not p.parent.is_dir():
        if not make_dirs:
            raise ExportError(f"{p.parent}: no such folder (create it first)")
        if dry_run:
            return p
        try:
            p.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ExportError(f"{p.parent}: cannot create the folder: {exc.strerror or exc}") from None
    return p


def write_file(
    path: str | os.PathLike[str],
    write: Callable[[BinaryIO], object],
    *,
    force: bool = False,
    make_dirs: bool = False,
) -> Path:
    """Atomically write ``path`` with ``write(binary file)``; returns ``path`` (as given)."""
    target = check_target(path, force=force, make_dirs=make_dirs)
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name[:100]}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise ExportError(
            f"{target}: cannot create a file in {target.parent} ({exc.strerror or exc}); any earlier file is unchanged"
        ) from None
    tmp = Path(tmp_name)
    try:
        os.fchmod(fd, _mode_for(target))
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        if force:
            os.replace(tmp, target)  # a rename replaces a link itself, never what it points to
        else:
            _place_new(tmp, target)
    except ExportError:
        tmp.unlink(missing_ok=True)
        raise
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ExportError(
            f"{target}: could not be written ({exc.strerror or exc}); any earlier file is unchanged"
        ) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    try:  # make the rename itself durable
        dir_fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass
    return Path(path).expanduser()


def _umask() -> int:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return 0o022


def _mode_for(target: Path) -> int:
    """The permissions the file gets: those of the file it replaces, else the usual ones."""
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except OSError:
        return 0o666 & ~_umask()


def _place_new(tmp: Path, target: Path) -> None:
    """Rename ``tmp`` to ``target`` only if nothing is there (a file that appeared meanwhile wins)."""
    try:
        os.link(tmp, target)  # atomic: fails if the target exists
    except FileExistsError:
        raise ExportError(f"{target} already exists; pass --force (force=True) to overwrite it") from None
    except OSError:  # a file system without hard links
        if target.exists() or target.is_symlink():
            raise ExportError(f"{target} already exists; pass --force (force=True) to overwrite it") from None
        os.replace(tmp, target)
        return
    tmp.unlink(missing_ok=True)


def write_text(path: str | os.PathLike[str], text: str, *, force: bool = False, make_dirs: bool = False) -> Path:
    return write_file(path, lambda fh: fh.write(text.encode()), force=force, make_dirs=make_dirs)


__all__ = ["ExportError", "check_target", "write_file", "write_text"]
