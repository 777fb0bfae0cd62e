"""Writing a file the user names: ask for the path, ask before replacing a file or creating a
folder, write atomically (:mod:`motools.fileio`), and report the outcome as it was."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.screen import Screen

Write = Callable[[Path, bool, bool], Any]  # (path, force, make_dirs) -> the path written


def export_file(
    screen: Screen,
    title: str,
    default: str,
    suffixes: tuple[str, ...],
    write: Write,
    *,
    done: Callable[[Path], None] | None = None,
    failed: Callable[[BaseException], None] | None = None,
) -> None:
    """Ask for a path (Tab completes), confirm replacing or creating folders, then ``write`` in
    a thread; ``done(path)`` after a write that happened, ``failed(exc)`` after one that did
    not (the app shows the error either way)."""
    from motools_tui.modals.path_dialog import PathDialog

    def answered(path: str | None) -> None:
        if path:
            _confirm_then_write(screen, Path(path), write, done, failed)

    screen.app.push_screen(PathDialog(title, default, suffixes=suffixes, action="write"), answered)


def _confirm_then_write(
    screen: Screen,
    path: Path,
    write: Write,
    done: Callable[[Path], None] | None,
    failed: Callable[[BaseException], None] | None,
    force: bool = False,
    make_dirs: bool = False,
) -> None:
    from motools_tui.modals.confirm import ConfirmModal

    if not force and path.exists() and not path.is_dir():
        screen.app.push_screen(
            ConfirmModal(f"Replace {path.name}?", f"{path} exists. Replace it with the new file?", yes="Replace"),
            lambda yes: _confirm_then_write(screen, path, write, done, failed, True, make_dirs) if yes else None,
        )
        return
    if not make_dirs and not path.parent.is_dir():
        screen.app.push_screen(
            ConfirmModal(
                "Create the folder?",
                f"{path.parent} does not exist. Create it and write {path.name} there?",
                yes="Create",
            ),
            lambda yes: _confirm_then_write(screen, path, write, done, failed, force, True) if yes else None,
        )
        return

    def work() -> None:
        try:
            written = write(path, force, make_dirs)
        except Exception as exc:
            screen.app.call_from_thread(_failed, exc)
            return
        screen.app.call_from_thread(_done, Path(written))

    def _done(written: Path) -> None:
        screen.notify(f"Wrote {written}", title="Exported", timeout=10)
        if done is not None:
            done(written)

    def _failed(exc: BaseException) -> None:
        from motools_tui.messages import Act

        screen.post_message(Act.ShowError(exc, "Not written"))
        if failed is not None:
            failed(exc)

    screen.run_worker(work, thread=True, group="export", exit_on_error=False)
