"""What every screen shares: its context, Esc goes back, ? opens help, work goes to threads.

A screen gets an :class:`~motools_tui.context.AppContext` (store, clock, settings) when it is
made and talks to the app only through messages (:mod:`motools_tui.messages`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.worker import get_current_worker

from motools_tui.context import AppContext
from motools_tui.messages import Act, Polled, StoreChanged
from motools_tui.polling import PollLoop

W = TypeVar("W")


class BaseScreen(Screen):
    HELP_TITLE = ""
    HELP = ""
    KEY_PRIORITY: tuple[str, ...] = ()  # binding ids, most important first (the footer's choice)

    BINDINGS = [
        Binding("escape", "back", "Back", id="screen.back", tooltip="Go back"),
        Binding("question_mark", "help", "Help", id="screen.help", tooltip="Help for this screen", key_display="?"),
    ]

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.polls: list[PollLoop] = []
        self._watcher: Any = None

    # -- talking to the app -------------------------------------------------------------------
    def ask(self, message: Message) -> None:
        """Ask the app for a screen or a shared action (the message bubbles up to it)."""
        self.post_message(message)

    def ready(self, name: str) -> None:
        self.post_message(Act.Ready(name))

    def show_error(self, exc: BaseException, title: str = "Error") -> None:
        self.post_message(Act.ShowError(exc, title))

    # -- navigation ---------------------------------------------------------------------------
    def action_back(self) -> None:
        if len(self.app.screen_stack) > 1:
            self.app.pop_screen()

    def action_help(self) -> None:
        from motools_tui.modals.help import HelpModal, key_rows

        self.app.push_screen(HelpModal(self.HELP_TITLE or type(self).__name__, self.HELP, key_rows(self)))

    # -- background work ----------------------------------------------------------------------
    def in_thread(
        self,
        fn: Callable[..., Any],
        *args: Any,
        done: Callable[[Any], Any] | None = None,
        failed: Callable[[BaseException], Any] | None = None,
        group: str = "task",
        exclusive: bool = False,
    ) -> Any:
        """Run ``fn(*args)`` in a thread; ``done(result)`` or ``failed(exc)`` back on the UI thread.

        Errors go to the app's error display by default, never to the screen as a traceback.
        """
        app = self.app

        def back(cb: Callable[[Any], Any], value: Any) -> None:
            if not self.is_attached:
                return
            try:
                cb(value)
            except Exception as exc:
                self.show_error(exc)

        def work() -> None:
            worker = get_current_worker()
            try:
                result = fn(*args)
            except Exception as exc:
                if not worker.is_cancelled:
                    _call(app, back, failed or self.show_error, exc)
                return
            if done is not None and not worker.is_cancelled:
                _call(app, back, done, result)

        return self.run_worker(work, thread=True, group=group, exclusive=exclusive, exit_on_error=False)

    def poll(self, read: Callable[[bool], Any], message: Callable[[Any], Message], interval: float) -> PollLoop:
        loop = PollLoop(self, read, message, interval, name=type(self).__name__)
        self.polls.append(loop)
        loop.start()
        return loop

    def own_watcher(self, make: Callable[[Path], W]) -> W:
        """The screen's watcher (``motools.store.watch``), made on first use from the poll
        thread (after opening the store, so its schema exists) and closed with the screen."""
        if self._watcher is None:
            self.ctx.store.open()
            self._watcher = make(self.ctx.store.db_path)
        return self._watcher

    def kick(self) -> None:
        """Poll now."""
        for loop in self.polls:
            loop.kick()

    def on_store_changed(self, message: StoreChanged) -> None:
        message.stop()
        self.kick()

    def on_polled_failed(self, message: Polled.Failed) -> None:
        message.stop()
        self.show_error(message.error)

    def on_screen_suspend(self, event: events.ScreenSuspend) -> None:
        for loop in self.polls:
            loop.pause()

    def on_screen_resume(self, event: events.ScreenResume) -> None:
        for loop in self.polls:
            loop.resume()

    def on_unmount(self) -> None:
        for loop in self.polls:
            loop.stop()
        watcher, self._watcher = self._watcher, None
        if watcher is not None:
            with watcher.lock:  # the poll thread may still be inside a query
                watcher.close()


def _call(app: Any, back: Callable[..., Any], cb: Callable[[Any], Any], value: Any) -> None:
    try:
        app.call_from_thread(back, cb, value)
    except RuntimeError:  # the app is shutting down
        pass
