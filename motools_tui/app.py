"""The motools terminal app: ``motools tui`` or ``motools-tui [--home DIR] [--spec FILE]``.

The start path imports textual and this package only: the store opens in a worker thread
after the first paint, and pandas, pydantic, inspect_ai and friends load when a screen first
needs them, in worker threads.

The app builds one :class:`~motools_tui.context.AppContext` and hands it to every screen it
opens; screens ask for navigation and shared actions with messages (``Navigate.OpenSweep``,
``Act.CancelSweep`` ...), which this class handles.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

from textual import events
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.theme import BUILTIN_THEMES, Theme

from motools_tui.context import AppContext, Settings, StoreHandle
from motools_tui.core.clock import Clock, system_clock
from motools_tui.messages import Act, Navigate, StoreChanged

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
        Binding(
            "ctrl+q",
            "quit",
            "Quit",
            id="app.quit_anywhere",
            tooltip="Quit, also while typing (sweeps keep running)",
            show=False,
            priority=True,
        ),
        Binding(
            "ctrl+p",
            "command_palette",
            "Commands",
            id="app.command_palette",
            tooltip="Command palette: every action by name",
            show=False,
        ),
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
        handle = StoreHandle(home, store)
        settings = Settings(poll_interval, list_interval, results_interval, self.theme, cursor_blink)
        self.ctx = AppContext(handle, clock, settings)
        self.spec_file = spec_file
        self.start = start
        self.ready: set[str] = set()

    # -- start --------------------------------------------------------------------------------
    def get_default_screen(self) -> Screen:
        from motools_tui.screens.specs import SpecsScreen

        return SpecsScreen(self.ctx, import_file=self.spec_file)

    def on_mount(self) -> None:
        if self.start == "sweeps":
            self.open_sweeps()
        # After the first frame: the store's imports and queries stay off the start path.
        self.call_after_refresh(self.run_worker, self._startup, thread=True, group="startup", exit_on_error=False)
        self.set_interval(1.0, self._reap, name="reap workers")

    def _startup(self) -> None:
        """After the first paint: open the store and reopen a running sweep if there is one."""
        try:
            store = self.ctx.store.open()
        except Exception as exc:
            self.call_from_thread(self.show_error, exc, "Cannot open the store")
            return
        if self.start != "auto":
            return
        from motools.liveness import worker_alive

        try:
            now = self.ctx.clock()
            running = [s["name"] for s in store.read.live_sweep_candidates() if worker_alive(s, now=now)]
        except Exception:
            running = []
        if running:
            self.call_from_thread(self._show_running, running)

    def _show_running(self, names: list[str]) -> None:
        if len(self.screen_stack) > 1:
            return  # the user already went somewhere
        self.open_sweeps()
        if len(names) == 1:
            self.open_sweep(names[0])
            self.notify(f"{names[0]} is running in the background; reattached (Esc: every sweep)", timeout=6)
        else:
            self.notify(f"{len(names)} sweeps are running in the background (Enter opens one)", timeout=6)

    def _reap(self) -> None:
        """Collect the workers this app started once they exit (no zombies; a dead worker must
        not look alive to the liveness check, which a zombie's pid would)."""
        # never imported here (heavy); and a worker thread may be importing it right now, so the
        # module can be half initialised: reap only once its reap_workers exists
        reap = getattr(sys.modules.get("motools.workflow.launch"), "reap_workers", None)
        if reap is not None:
            reap()

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        """With ``cursor_blink=False`` (snapshot tests) text cursors stay still."""
        if not self.ctx.settings.cursor_blink and hasattr(event.widget, "cursor_blink"):
            event.widget.cursor_blink = False

    def on_act_ready(self, message: Act.Ready) -> None:
        self.ready.add(message.screen)

    # -- navigation ---------------------------------------------------------------------------
    def open_specs(self) -> None:
        while len(self.screen_stack) > 1:
            self.pop_screen()

    def open_sweeps(self) -> None:
        from motools_tui.screens.sweeps import SweepsScreen

        for screen in self.screen_stack:
            if isinstance(screen, SweepsScreen):
                while self.screen is not screen:
                    self.pop_screen()
                return
        self.push_screen(SweepsScreen(self.ctx))

    def open_sweep(self, name: str) -> None:
        from motools_tui.screens.sweep import SweepScreen

        self.push_screen(SweepScreen(self.ctx, name))

    def open_run(self, sweep_name: str, run_id: int) -> None:
        from motools_tui.screens.run_detail import RunDetailScreen

        self.push_screen(RunDetailScreen(self.ctx, sweep_name, run_id))

    def open_results(self, name: str) -> None:
        from motools_tui.screens.results import ResultsScreen

        self.push_screen(ResultsScreen(self.ctx, name))

    def on_navigate_open_specs(self, message: Navigate.OpenSpecs) -> None:
        self.open_specs()

    def on_navigate_open_sweeps(self, message: Navigate.OpenSweeps) -> None:
        self.open_sweeps()

    def on_navigate_open_sweep(self, message: Navigate.OpenSweep) -> None:
        self.open_sweep(message.name)

    def on_navigate_open_run(self, message: Navigate.OpenRun) -> None:
        self.open_run(message.sweep, message.run_id)

    def on_navigate_open_results(self, message: Navigate.OpenResults) -> None:
        self.open_results(message.name)

    # -- shared actions -----------------------------------------------------------------------
    def on_act_cancel_sweep(self, message: Act.CancelSweep) -> None:
        from motools_tui.core.actions import cancel_sweep
        from motools_tui.modals.confirm import ConfirmModal

        name = message.name
        screen = self.screen

        def answered(yes: bool | None) -> None:
            if yes:
                self._in_thread(cancel_sweep, name, screen, lambda text: f"{name}: {text}")

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

    def on_act_retry_sweep(self, message: Act.RetrySweep) -> None:
        from motools_tui.core.actions import executor_choices, retry

        name, screen = message.name, self.screen
        if not message.elsewhere:
            self._in_thread(retry, name, screen, lambda n: f"{name}: retrying {n} unfinished config(s) in a new worker")
            return

        def ask(choices: list[tuple[str, Any]]) -> None:
            from motools_tui.modals.choose import ChooseModal

            def chosen(label: str | None) -> None:
                if label is None:
                    return
                override = dict(choices)[label]
                where = label.split(":")[0] if override else "as its spec says"
                self._in_thread(
                    partial(retry, executor=override),
                    name,
                    screen,
                    lambda n: f"{name}: retrying {n} unfinished config(s) in a new worker ({where})",
                )

            self.push_screen(ChooseModal(f"Retry the rest of {name} on:", [label for label, _ in choices]), chosen)

        self._in_thread(lambda store, n, clock: executor_choices(store, n), name, screen, then=ask)

    def _in_thread(self, fn: Any, name: str, screen: Screen, said: Any = None, then: Any = None) -> None:
        """``fn(store, name, clock)`` in a worker thread; then notify ``said(result)``, or call
        ``then(result)`` on the app's thread. An error is shown instead."""
        ctx = self.ctx

        def work() -> None:
            try:
                result = fn(ctx.store.open(), name, ctx.clock)
            except Exception as exc:
                self.call_from_thread(self.show_error, exc)
                return
            if then is not None:
                self.call_from_thread(then, result)
            else:
                self.call_from_thread(self._done, screen, said(result))

        self.run_worker(work, thread=True, group="action", exit_on_error=False)

    def _done(self, screen: Screen, text: str) -> None:
        self.notify(text)
        if screen.is_attached:
            screen.post_message(StoreChanged())

    # -- errors -------------------------------------------------------------------------------
    def on_act_show_error(self, message: Act.ShowError) -> None:
        self.show_error(message.error, message.title)

    def show_error(self, exc: BaseException, title: str = "Error") -> None:
        """User errors as notifications; anything unexpected as a modal with the traceback."""
        from motools.errors import MotoolsError
        from motools.text import safe_text
        from motools_tui.core.actions import ActionError

        expected: tuple[type[BaseException], ...] = (ActionError, MotoolsError, ValueError, OSError, KeyError)
        text = safe_text(str(exc) or type(exc).__name__)
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
        self.push_screen(ErrorModal(f"{title}: unexpected {type(exc).__name__}", text, safe_text(details)))

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
        guard = getattr(self.screen, "quit_guard", None)
        reason = guard() if callable(guard) else None
        if reason:
            from motools_tui.modals.confirm import ConfirmModal

            def answered(yes: bool | None) -> None:
                if yes:
                    self.exit()

            self.push_screen(ConfirmModal("Quit without saving?", reason, yes="Quit"), answered)
            return
        self.exit()


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
