"""One sweep, live: a pane per config with status, step, progress, time, metric and log."""

from __future__ import annotations

from typing import Any

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer

from motools.status import Status
from motools.store.watch import SweepUpdate, SweepWatcher
from motools_tui.components.config_grid import ConfigGrid
from motools_tui.components.sweep_header import SweepHeader
from motools_tui.core.sweepmodel import STATUS_FILTERS, SweepModel
from motools_tui.polling import Polled
from motools_tui.screens.base import BaseScreen

COMPACT_W, COMPACT_H = 100, 30


class SweepScreen(BaseScreen):
    HELP_TITLE = "Sweep"
    HELP = """
One pane per config (grid point): its swept values, status (○ pending, ▶ running, ✓ finished,
✗ failed, ⊘ cancelled), the current step with a progress bar, elapsed time, the latest metric
or training message, and the last log line. The header counts configs per status and
estimates the time left. Updates arrive by themselves.

Enter opens a config's detail (config, steps, logs, errors, artifacts). v switches between
panes and a compact list (small terminals start in the list). The sweep runs in its own
worker process: leaving this screen or the app does not stop it.
"""

    BINDINGS = [
        Binding("enter", "open", "Detail", id="sweep.open", tooltip="Open the selected config's detail"),
        Binding("c", "cancel_config", "Cancel cfg", id="sweep.cancel_config", tooltip="Cancel the selected config"),
        Binding(
            "C", "cancel_sweep", "Cancel all", id="sweep.cancel_sweep", tooltip="Cancel the whole sweep (asks first)"
        ),
        Binding("t", "retry", "Retry", id="sweep.retry", tooltip="Retry failed and cancelled configs (new worker)"),
        Binding("f", "filter", "Filter", id="sweep.filter", tooltip="Filter configs by status (cycles)"),
        Binding("v", "view", "View", id="sweep.view", tooltip="Switch between panes and a compact list"),
        Binding("r", "results", "Results", id="sweep.results", tooltip="Jump to the results"),
    ]

    def __init__(self, name: str) -> None:
        super().__init__()
        self.sweep_name = name
        self.model = SweepModel(name)
        self.status_filter: str | None = None
        self.view_forced: str | None = None
        self.watcher: SweepWatcher | None = None

    def compose(self) -> ComposeResult:
        clock = self.mapp.clock
        yield SweepHeader(self.model, clock, id="sweep-header")
        yield ConfigGrid(self.model, clock, id="config-grid")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.watcher = SweepWatcher(self.mapp.store_path, self.sweep_name, self.mapp.clock)
        self._auto_view(self.app.size.width, self.app.size.height)
        self.query_one(ConfigGrid).focus()
        self.poll("sweep", self._read, self.mapp.poll_interval)
        self.set_interval(1.0, self._tick)

    def on_unmount(self) -> None:
        super().on_unmount()
        if self.watcher is not None:
            # The poll thread may still be inside a query; closing from here is safe with the lock.
            watcher = self.watcher
            self.watcher = None
            with watcher.lock:
                watcher.close()

    def _read(self, force: bool) -> SweepUpdate | None:
        watcher = self.watcher
        if watcher is None:
            return None
        self.mapp.store  # noqa: B018 - make sure the store (schema) exists
        return watcher.poll(force)

    def on_polled(self, message: Polled) -> None:
        if message.key != "sweep":
            return
        changed = self.model.apply(message.result)
        grid = self.query_one(ConfigGrid)
        grid.rebuild(self.status_filter, None if message.result.full else changed)
        self._header()
        self.mapp.screen_ready("sweep")

    def _tick(self) -> None:
        if self.model.alive and not self.is_current:
            return
        if self.model.alive:
            self._header()
            self.query_one(ConfigGrid).tick()

    def _header(self) -> None:
        header = self.query_one(SweepHeader)
        header.status_filter = self.status_filter
        header.view_mode = self.query_one(ConfigGrid).mode
        header.update_from_model()

    def on_resize(self, event: events.Resize) -> None:
        self._auto_view(event.size.width, event.size.height)
        self._header()

    def _auto_view(self, width: int, height: int) -> None:
        mode = self.view_forced or ("list" if width < COMPACT_W or height < COMPACT_H else "panes")
        self.query_one(ConfigGrid).mode = mode

    # -- actions ------------------------------------------------------------------------------
    def on_config_grid_selected(self, message: ConfigGrid.Selected) -> None:
        message.stop()
        self.mapp.open_run(self.sweep_name, message.run.id)

    def action_open(self) -> None:
        run = self.query_one(ConfigGrid).current
        if run is not None:
            self.mapp.open_run(self.sweep_name, run.id)

    def action_view(self) -> None:
        grid = self.query_one(ConfigGrid)
        self.view_forced = "list" if grid.mode == "panes" else "panes"
        grid.mode = self.view_forced
        self._header()

    def action_filter(self) -> None:
        i = STATUS_FILTERS.index(self.status_filter)
        self.status_filter = STATUS_FILTERS[(i + 1) % len(STATUS_FILTERS)]
        self.query_one(ConfigGrid).rebuild(self.status_filter)
        self._header()
        self.notify(f"Showing {self.status_filter or 'all'} configs", timeout=2)

    def action_results(self) -> None:
        self.mapp.open_results(self.sweep_name)

    def action_cancel_config(self) -> None:
        run = self.query_one(ConfigGrid).current
        if run is None:
            return
        if run.status not in (Status.PENDING, Status.RUNNING):
            self.notify(f"Config #{run.idx} is {run.status}; nothing to cancel", severity="warning")
            return
        from motools_tui.core.actions import cancel_run

        store = self.mapp.store
        self.in_thread(
            cancel_run,
            store,
            self.sweep_name,
            run.idx,
            self.mapp.clock,
            done=lambda text: (self.notify(text), self.kick()),
        )

    def action_cancel_sweep(self) -> None:
        self.mapp.confirm_cancel_sweep(self, self.sweep_name)

    def action_retry(self) -> None:
        self.mapp.retry_sweep(self, self.sweep_name)

    def kick(self) -> None:
        for loop in self.polls:
            loop.kick()

    def selected_run(self) -> Any:
        return self.query_one(ConfigGrid).current
