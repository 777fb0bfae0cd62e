"""Launch a spec: sweep name and max_parallel, with the defaults filled in."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static


class LaunchModal(ModalScreen[Any]):
    """Runs ``launch(name, max_parallel, force)`` in a thread and dismisses with its result.

    Refusals (name taken, bad number, invalid spec) show inline and leave the dialog open; a
    launch that would replace files (``NeedsConfirmation``) asks, then launches forced.
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="launch.cancel")]

    def __init__(
        self,
        spec_name: str,
        default_name: str,
        max_parallel: int,
        n_configs: int | None,
        launch: Callable[[str, str, bool], Any],
    ) -> None:
        super().__init__(classes="dialog-screen")
        self.spec_name = spec_name
        self.default_name = default_name
        self.max_parallel = max_parallel
        self.n_configs = n_configs
        self.launch = launch
        self.busy = False

    def compose(self) -> ComposeResult:
        size = "?" if self.n_configs is None else str(self.n_configs)
        with Vertical(classes="dialog"):
            yield Label(Content(f"Launch {self.spec_name} ({size} configs)"), classes="dialog-title")
            yield Label("Sweep name")
            yield Input(self.default_name, id="launch-name")
            yield Label("max_parallel (runs at once)")
            yield Input(str(self.max_parallel), id="launch-parallel", type="integer")
            yield Static("", id="launch-error", classes="dialog-error")
            yield Static(
                Content(
                    "The sweep runs in a detached worker: quitting the app or losing the terminal does not stop it."
                ),
                classes="dialog-hint",
            )
            with Horizontal(classes="dialog-buttons"):
                yield Button("Launch (enter)", id="launch-go", variant="primary")
                yield Button("Cancel (esc)", id="launch-cancel")

    def on_mount(self) -> None:
        self.query_one("#launch-name", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._go()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "launch-go":
            self._go()
        else:
            self.dismiss(None)

    def _go(self, force: bool = False) -> None:
        if self.busy:
            return
        self.busy = True
        name = self.query_one("#launch-name", Input).value
        mp = self.query_one("#launch-parallel", Input).value
        self.query_one("#launch-error", Static).update(Content("launching…"))
        app = self.app

        def work() -> None:
            try:
                result = self.launch(name, mp, force)
            except Exception as exc:
                app.call_from_thread(self._failed, exc)
            else:
                app.call_from_thread(self.dismiss, result)

        self.run_worker(work, thread=True, exit_on_error=False, group="launch")

    def _failed(self, exc: Exception) -> None:
        from motools.text import safe_text
        from motools_tui.core.actions import NeedsConfirmation

        self.busy = False
        if isinstance(exc, NeedsConfirmation):
            from motools_tui.modals.confirm import ConfirmModal

            self.query_one("#launch-error", Static).update(Content(""))
            self.app.push_screen(
                ConfirmModal(exc.title, exc.message, yes=exc.yes),
                lambda yes: self._go(force=True) if yes else None,
            )
            return
        self.query_one("#launch-error", Static).update(Content(f"✗ {safe_text(str(exc))}"))

    def action_cancel(self) -> None:
        self.dismiss(None)
