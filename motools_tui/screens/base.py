"""What every screen shares: Esc goes back, ? opens help, work goes to threads."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual import events
from textual.binding import Binding
from textual.screen import Screen
from textual.worker import get_current_worker

from motools_tui.polling import PollFailed, PollLoop

if TYPE_CHECKING:
    from motools_tui.app import MotoolsApp


class BaseScreen(Screen):
    HELP_TITLE = ""
    HELP = ""

    BINDINGS = [
        Binding("escape", "back", "Back", id="screen.back", tooltip="Go back"),
        Binding("question_mark", "help", "Help", id="screen.help", tooltip="Help for this screen", key_display="?"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.polls: list[PollLoop] = []

    @property
    def mapp(self) -> MotoolsApp:
        return self.app  # type: ignore[return-value]  # this package's screens only run in MotoolsApp

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
                app.show_error(exc)  # type: ignore[attr-defined]  # MotoolsApp's error display

        def work() -> None:
            worker = get_current_worker()
            try:
                result = fn(*args)
            except Exception as exc:
                if not worker.is_cancelled:
                    _call(app, back, failed or app.show_error, exc)  # type: ignore[attr-defined]  # MotoolsApp's
                return
            if done is not None and not worker.is_cancelled:
                _call(app, back, done, result)

        return self.run_worker(work, thread=True, group=group, exclusive=exclusive, exit_on_error=False)

    def poll(self, key: str, fn: Callable[[bool], Any], interval: float) -> PollLoop:
        loop = PollLoop(self, key, fn, interval)
        self.polls.append(loop)
        loop.start()
        return loop

    def on_poll_failed(self, message: PollFailed) -> None:
        self.mapp.show_error(message.error)

    def on_screen_suspend(self, event: events.ScreenSuspend) -> None:
        for loop in self.polls:
            loop.pause()

    def on_screen_resume(self, event: events.ScreenResume) -> None:
        for loop in self.polls:
            loop.resume()

    def on_unmount(self) -> None:
        for loop in self.polls:
            loop.stop()


def _call(app: Any, back: Callable[..., Any], cb: Callable[[Any], Any], value: Any) -> None:
    try:
        app.call_from_thread(back, cb, value)
    except RuntimeError:  # the app is shutting down
        pass
