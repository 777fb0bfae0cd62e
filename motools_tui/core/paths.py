"""Path completion for the path dialogs (Tab completes, like a shell)."""

from __future__ import annotations

import os
from pathlib import Path


def expand(text: str, cwd: str | os.PathLike[str] | None = None) -> Path:
    """The path a user typed: ``~`` expanded, relative to ``cwd`` (default: the process's)."""
    p = Path(os.path.expanduser(text.strip() or "."))
    if not p.is_absolute():
        p = Path(cwd or os.getcwd()) / p
    return p


def complete(
    text: str, cwd: str | os.PathLike[str] | None = None, suffixes: tuple[str, ...] = ()
) -> tuple[str, list[str]]:
    """Complete the last component of ``text``.

    Returns ``(new_text, candidates)``: ``new_text`` extends ``text`` by the longest common
    prefix of the matches (plus ``/`` for a single directory); ``candidates`` lists the
    matching names (directories with a trailing ``/``) when more than one matches. Files are
    offered only if they end in one of ``suffixes`` (all files when empty); hidden entries only
    when the typed prefix starts with a dot.
    """
    head, _, prefix = text.rpartition("/")
    head = head + "/" if _ or text.startswith("/") else ""
    directory = expand(head or ".", cwd)
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return text, []
    matches: list[str] = []
    for entry in entries:
        name = entry.name
        if not name.startswith(prefix) or (name.startswith(".") and not prefix.startswith(".")):
            continue
        try:
            is_dir = entry.is_dir()
        except OSError:
            continue
        if is_dir:
            matches.append(name + "/")
        elif not suffixes or name.endswith(suffixes):
            matches.append(name)
    matches.sort()
    if not matches:
        return text, []
    if len(matches) == 1:
        return head + matches[0], []
    common = os.path.commonprefix(matches)  # noqa: RUF071 - completing text: a character prefix is meant
    return head + common, matches
