"""The motools terminal app: ``motools tui`` or ``motools-tui [--home DIR] [--spec FILE]``.

The start path imports textual and this package only: the store opens in a worker thread
after the first paint, and pandas, pydantic, inspect_ai and friends load when a screen first
needs them, in worker threads.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
from collections.abc import Iterable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

from textual import events
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.theme import BUILTIN_THEMES, Theme

from motools_tui.core.clock import Clock, system_clock

ANSI_THEME = "textual-ansi"
DEFAULT_TRUECOLOR_THEME = "textual-dark"


def _ansi_theme() -> Theme:
    """The terminal's own 16-colour palette (Textual's ``ansi-dark``, under the name the docs use).

    Foreground and background are the terminal's defaults, so it reads on light and dark
    terminals alike, and nothing needs truecolor. The accent is magenta rather than green so
    that it never looks like 'finished' (green).
    """
    base = BUILTIN_THEMES["ansi-dark"]
    return Theme(
        name=ANSI_THEME,
        primary=base.primary,
        secondary=base.secondary,
        warning=base.warning,
        error=base.error,
        success=base.success,
        accent="ansi_magenta",
        foreground=base.foreground,
        background=base.background,
        surface=base.surface,
        panel=base.panel,
        boost=base.boost,
        dark=base.dark,
        ansi=True,
        variables=dict(base.variables),
    )


def pick_theme(env: dict[str, str] | os._Environ[str] | None = None) -> str:
    """``$MOTOOLS_TUI_THEME`` if set; a truecolor theme only if ``$COLORTERM`` says so."""
    env = os.environ if env is None else env
    chosen = env.get("MOTOOLS_TUI_THEME")
    if chosen:
        return chosen
    colorterm = env.get("COLORTERM", "").lower()
    return DEFAULT_TRUECOLOR_THEME if colorterm in ("truecolor", "24bit") else ANSI_THEME


class MotoolsApp(App[None]):
    TITLE = "motools"
    CSS_PATH = "app.tcss"
    ENABLE_COMMAND_PALETTE = True

    BINDINGS = [
        Binding("q", "quit", "Quit", id="app.quit", tooltip="Quit (sweeps keep running)"),
        Binding("ctrl+p", "command_palette", "Commands", id="app.command_palette", show=False),
    ]

    def __init__(
        self,
        home: str | os.PathLike[str] | None = None,
        *,
        store: Any = None,
        spec_file: str | None = None,
        clock: Clock = system_clock,
        theme: str | None = None,
        poll_interval: float = 0.3,
        list_interval: float = 1.0,
        results_interval: float = 2.0,
        start: str = "auto",
        cursor_blink: bool = True,
    ) -> None:
        super().__init__()
        self.register_theme(_ansi_theme())
        self.theme = theme or pick_theme()
        self._store = store
        self._home = Path(store.home) if store is not None else _resolve_home(home)
        self._store_lock = threading.Lock()
        self._watchers: dict[str, Any] = {}
        self.spec_file = spec_file
        self.clock = clock
        self.poll_interval = poll_interval
        self.list_interval = list_interval
        self.results_interval = results_interval
        self.start = start
        self.cursor_blink = cursor_blink
        self.ready: set[str] = set()
        self._first_ready = threading.Event()

    # -- the store ----------------------------------------------------------------------------
    @property
    def home(self) -> Path:
        return self._home

    @property
    def store_path(self) -> Path:
        return self._home / "motools.db"

    @property
    def store(self) -> Any:
        """The Store (opened on first use: call from a worker thread the first time)."""
        if self._store is None:
            with self._store_lock:
                if self._store is None:
                    from motools.store.db import Store

                    self._store = Store(self._home)
        return self._store

    def list_watcher(self, key: str) -> Any:
        """A change-detecting reader for a list screen (one connection per key)."""
        self.store  # noqa: B018 - the schema must exist before the first read
        watcher = self._watchers.get(key)
        if watcher is None:
            from motools.store.watch import ListWatcher

            watcher = self._watchers[key] = ListWatcher(self.store_path)
        return watcher

    # -- start --------------------------------------------------------------------------------
    def get_default_screen(self) -> Screen:
        from motools_tui.screens.specs import SpecsScreen

        return SpecsScreen()

    def on_mount(self) -> None:
        if self.start == "sweeps":
            self.open_sweeps()
        # After the first frame: the store's imports and queries stay off the start path.
        self.call_after_refresh(self.run_worker, self._startup, thread=True, group="startup", exit_on_error=False)

    def _startup(self) -> None:
        """After the first paint: import ``--spec``, and show running sweeps if there are any."""
        try:
            store = self.store
        except Exception as exc:
            self.call_from_thread(self.show_error, exc, "Cannot open the store")
            return
        if self.spec_file:
            self._import_start_spec(store)
        if self.start == "auto":
            from motools.liveness import worker_alive

            try:
                running = [s["name"] for s in store.read.live_sweep_candidates() if worker_alive(s, now=self.clock())]
            except Exception:
                running = []
            if running:
                self.call_from_thread(self._show_running, running)

    def _import_start_spec(self, store: Any) -> None:
        from motools_tui.core.actions import ActionError, UntrustedImport, import_spec

        try:
            name, _ = import_spec(store, self.spec_file, overwrite=False)
        except FileExistsError as exc:
            name = exc.args[0]
        except UntrustedImport as exc:
            message = (
                f"{self.spec_file} would import untrusted code: {', '.join(exc.callables)}. "
                "Import it with i to review and confirm, or run: motools spec add FILE --trust"
            )
            self.call_from_thread(self.show_error, ActionError(message), "Cannot import --spec")
            return
        except ActionError as exc:
            self.call_from_thread(self.show_error, exc, "Cannot import --spec")
            return
        except Exception as exc:
            self.call_from_thread(self.show_error, exc, "Cannot import --spec")
            return
        self.call_from_thread(self._select_spec, name)

    def _select_spec(self, name: str) -> None:
        from motools_tui.screens.specs import SpecsScreen

        for screen in self.screen_stack:
            if isinstance(screen, SpecsScreen):
                screen.reload(select=name)

    def _show_running(self, names: list[str]) -> None:
        what = names[0] if len(names) == 1 else f"{len(names)} sweeps"
        self.notify(f"{what} running in the background; reattached (s: specs, Esc: back)", title="Sweeps", timeout=6)
        from motools_tui.screens.sweeps import SweepsScreen

        if not isinstance(self.screen, SweepsScreen) and len(self.screen_stack) <= 1:
            self.open_sweeps()

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        """With ``cursor_blink=False`` (snapshot tests) text cursors stay still."""
        if not self.cursor_blink and hasattr(event.widget, "cursor_blink"):
            event.widget.cursor_blink = False

    def screen_ready(self, name: str) -> None:
        """Screens call this when their data is on screen (tests and benchmarks wait on it)."""
        self.ready.add(name)

    # -- navigation ---------------------------------------------------------------------------
    def open_specs(self) -> None:
        from motools_tui.screens.specs import SpecsScreen

        while len(self.screen_stack) > 1 and not isinstance(self.screen, SpecsScreen):
            self.pop_screen()

    def open_sweeps(self) -> None:
        from motools_tui.screens.sweeps import SweepsScreen

        for screen in self.screen_stack:
            if isinstance(screen, SweepsScreen):
                while self.screen is not screen:
                    self.pop_screen()
                return
        self.push_screen(SweepsScreen())

    def open_sweep(self, name: str) -> None:
        from motools_tui.screens.sweep import SweepScreen

        self.push_screen(SweepScreen(name))

    def open_run(self, sweep_name: str, run_id: int) -> None:
        from motools_tui.screens.run_detail import RunDetailScreen

        self.push_screen(RunDetailScreen(sweep_name, run_id))

    def open_results(self, name: str) -> None:
        from motools_tui.screens.results import ResultsScreen

        self.push_screen(ResultsScreen(name))

    # -- shared actions -----------------------------------------------------------------------
    def confirm_cancel_sweep(self, screen: Any, name: str) -> None:
        from motools_tui.core.actions import cancel_sweep
        from motools_tui.modals.confirm import ConfirmModal

        def answered(yes: bool | None) -> None:
            if yes:
                screen.in_thread(
                    cancel_sweep,
                    self.store,
                    name,
                    self.clock,
                    done=lambda text: (self.notify(f"{name}: {text}"), _kick(screen)),
                )

        self.push_screen(
            ConfirmModal(
                f"Cancel sweep {name}?",
                "Every unfinished config stops and is recorded as cancelled. "
                "Finished results stay; retry (t) runs the rest later.",
                yes="Cancel sweep",
                no="Keep running",
            ),
            answered,
        )

    def retry_sweep(self, screen: Any, name: str) -> None:
        from motools_tui.core.actions import retry

        screen.in_thread(
            retry,
            self.store,
            name,
            self.clock,
            done=lambda n: (self.notify(f"{name}: retrying {n} unfinished config(s) in a new worker"), _kick(screen)),
        )

    # -- errors -------------------------------------------------------------------------------
    def show_error(self, exc: BaseException, title: str = "Error") -> None:
        """User errors as notifications; anything unexpected as a modal with the traceback."""
        from motools_tui.core.actions import ActionError

        expected: tuple[type[BaseException], ...] = (ActionError, ValueError, OSError, KeyError)
        try:
            from motools.errors import MotoolsError

            expected += (MotoolsError,)
        except ImportError:  # pragma: no cover
            pass
        text = str(exc) or type(exc).__name__
        if isinstance(exc, expected):
            if "\n" not in text and len(text) < 160:
                self.notify(text, title=title, severity="error", timeout=10)
                return
            from motools_tui.modals.error import ErrorModal

            self.push_screen(ErrorModal(title, text))
            return
        import traceback

        from motools_tui.modals.error import ErrorModal

        details = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        self.push_screen(ErrorModal(f"{title}: unexpected {type(exc).__name__}", text, details))

    # -- commands and quitting ----------------------------------------------------------------
    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The palette offers every action of the current screen, then the app's own."""
        seen: set[str] = set()
        for _node, binding, enabled, _tip in screen.active_bindings.values():
            if not binding.description or binding.action in seen or not enabled:
                continue
            if binding.action in ("command_palette",):
                continue
            seen.add(binding.action)
            key = self.get_key_display(binding)
            yield SystemCommand(
                binding.tooltip or binding.description,
                f"key: {key}",
                partial(self._run_screen_action, screen, binding.action),
            )
        yield from super().get_system_commands(screen)

    def _run_screen_action(self, screen: Screen, action: str) -> None:
        self.call_later(screen.run_action, action)

    async def action_quit(self) -> None:
        from motools_tui.screens.editor import EditorScreen

        screen = self.screen
        if isinstance(screen, EditorScreen) and screen.modified:
            from motools_tui.modals.confirm import ConfirmModal

            def answered(yes: bool | None) -> None:
                if yes:
                    self.exit()

            self.push_screen(
                ConfirmModal("Quit without saving?", "The spec has unsaved changes.", yes="Quit"), answered
            )
            return
        self.exit()


def _kick(screen: Any) -> None:
    for loop in getattr(screen, "polls", ()):
        loop.kick()


def _resolve_home(home: str | os.PathLike[str] | None) -> Path:
    """Same rule as ``motools.store.paths.resolve_home`` (importing that module would load the
    whole store package on the start path): explicit, ``$MOTOOLS_HOME``, or ``./.motools``."""
    if home is not None:
        return Path(home).expanduser().resolve()
    env = os.environ.get("MOTOOLS_HOME")
    if env:
        return Path(env).expanduser().resolve()
    return (Path.cwd() / ".motools").resolve()


def run_app(home: str | os.PathLike[str] | None = None, spec: str | None = None, theme: str | None = None) -> int:
    """Run the app (``motools tui`` calls this); returns an exit code."""
    app = MotoolsApp(home, spec_file=spec, theme=theme)
    app.run()
    return int(app.return_code or 0)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="motools-tui", description="The motools terminal app.")
    parser.add_argument("--home", help="the .motools folder (default: $MOTOOLS_HOME or ./.motools)")
    parser.add_argument("--spec", metavar="FILE", help="import this spec file at start (if not already saved)")
    parser.add_argument(
        "--theme",
        help=f"a Textual theme (default: {DEFAULT_TRUECOLOR_THEME} with truecolor, "
        f"else {ANSI_THEME}; or set MOTOOLS_TUI_THEME)",
    )
    args = parser.parse_args(argv)
    if args.spec and not Path(args.spec).is_file():
        print(f"error: {args.spec}: no such file", file=sys.stderr)
        return 2
    if args.home:
        os.environ["MOTOOLS_HOME"] = os.path.abspath(args.home)
    spec = os.path.abspath(args.spec) if args.spec else None
    return run_app(home=args.home, spec=spec, theme=args.theme)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
