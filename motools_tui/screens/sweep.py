"""One sweep, live: a pane per config with status, step, progress, time, metric and log."""

from __future__ import annotations

from dataclasses import dataclass

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding

from motools.status import TERMINAL, Status
from motools.store.watch import SweepUpdate, SweepWatcher
from motools_tui.components.config_grid import ConfigGrid
from motools_tui.components.key_bar import KeyBar
from motools_tui.components.sweep_header import SweepHeader
from motools_tui.context import AppContext
from motools_tui.core.outputs import PENDING, outputs_note
from motools_tui.core.sweepmodel import STATUS_FILTERS, SweepModel
from motools_tui.messages import Act, Navigate, Polled
from motools_tui.screens.base import BaseScreen

COMPACT_W, COMPACT_H = 100, 30


@dataclass
class SweepRead:
    """One poll of the sweep: what changed in the store (or None), and the output files' note."""

    update: SweepUpdate | None
    outputs: str | None


class SweepScreen(BaseScreen):
    HELP_TITLE = "Sweep"
    HELP = """
One pane per config (grid point): its swept values, status (○ pending, ▶ running, ✓ finished,
✗ failed, ⊘ cancelled; ! interrupted when the worker is gone, ‖ stalled when it is alive but
silent), the current step with a progress bar, elapsed time, the latest metric or training
message, and the last log line; "cached" counts steps served from the cache. The header
counts configs per status (finished of all, then the others), the time and an estimate of
the time left (from the configs that ran; time without a worker does not count). Updates
arrive by themselves.

Enter opens a config's detail (config, steps, logs, samples, errors, artifacts). v switches
between panes and a compact list (small terminals start in the list). When the sweep ends, r
opens its results. The sweep runs in its own worker process: leaving this screen or the app
does not stop it; if that worker dies, t resumes the rest.
"""
    KEY_PRIORITY = (
        "sweep.open",
        "sweep.cancel_config",
        "sweep.results",
        "sweep.retry",
        "sweep.view",
        "sweep.filter",
        "sweep.cancel_sweep",
    )

    BINDINGS = [
        Binding("enter", "open", "Detail", id="sweep.open", tooltip="Open the selected config's detail"),
        Binding("c", "cancel_config", "Cancel cfg", id="sweep.cancel_config", tooltip="Cancel the selected config"),
        Binding(
            "C", "cancel_sweep", "Cancel all", id="sweep.cancel_sweep", tooltip="Cancel the whole sweep (asks first)"
        ),
        Binding("t", "retry", "Retry", id="sweep.retry", tooltip="Retry failed and cancelled configs (new worker)"),
        Binding(
            "T",
            "retry_elsewhere",
            "Retry on",
            id="sweep.retry_elsewhere",
            tooltip="Retry failed/cancelled configs on another executor (here, a pool, Ray): asks which",
            show=False,  # in the palette and the help; the footer keeps t Retry and ^p
        ),
        Binding("f", "filter", "Filter", id="sweep.filter", tooltip="Filter configs by status (cycles)"),
        Binding("v", "view", "View", id="sweep.view", tooltip="Switch between panes and a compact list"),
        Binding("r", "results", "Results", id="sweep.results", tooltip="Open the results"),
    ]

    def __init__(self, ctx: AppContext, name: str) -> None:
        super().__init__(ctx)
        self.sweep_name = name
        self.model = SweepModel(name)
        self.status_filter: str | None = None
        self.view_forced: str | None = None
        self._outputs: str | None = None

    def compose(self) -> ComposeResult:
        yield SweepHeader(self.model, self.ctx.clock, id="sweep-header")
        yield ConfigGrid(self.model, self.ctx.clock, id="config-grid")
        yield KeyBar(self.KEY_PRIORITY)

    def on_mount(self) -> None:
        self._auto_view(self.app.size.width, self.app.size.height)
        self.query_one(ConfigGrid).focus()
        self.poll(self._read, Polled.Sweep, self.ctx.settings.poll_interval)
        self.set_interval(1.0, self._tick)

    def _read(self, force: bool) -> SweepRead | None:
        watcher = self.own_watcher(lambda path: SweepWatcher(path, self.sweep_name, self.ctx.clock))
        update = watcher.poll(force)
        sweep = update.sweep if update is not None else self.model.sweep
        outputs = self._outputs
        if sweep.get("status") in TERMINAL and (update is not None or outputs in (None, PENDING)):
            outputs = outputs_note(self.ctx.store.home, sweep, self.ctx.clock())
        if update is None and outputs == self._outputs:
            return None
        return SweepRead(update, outputs)

    def on_polled_sweep(self, message: Polled.Sweep) -> None:
        read: SweepRead = message.update
        self._outputs = read.outputs
        header = self.query_one(SweepHeader)
        header.outputs_note = read.outputs
        if read.update is not None:
            first = not self.model.loaded
            before = self.model.shown_status
            changed = self.model.apply(read.update)
            self.query_one(ConfigGrid).rebuild(self.status_filter, None if first else changed)
            status = self.model.shown_status
            if status in TERMINAL and before not in TERMINAL and not first and self.is_current:
                self.notify(f"{self.sweep_name} {self.model.verdict()}: r opens its results", timeout=8)
            if status != before or first:
                self.refresh_bindings()
        self._header()
        self.ready("sweep")

    def _tick(self) -> None:
        if not self.is_current or not self.model.loaded:
            return
        if self.model.alive or self.model.shown_status == Status.INTERRUPTED:
            self._header()
        if self.model.alive:
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
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Cancel is offered while the sweep runs, retry (here or elsewhere) once it has ended (or
        lost its worker) with configs left to run."""
        if not self.model.loaded:
            return True
        ended = self.model.shown_status in (*TERMINAL, Status.INTERRUPTED)
        if action in ("cancel_config", "cancel_sweep"):
            return not ended
        if action in ("retry", "retry_elsewhere"):
            return ended and self.model.counts.get(Status.FINISHED, 0) < self.model.total
        return True

    def on_config_grid_selected(self, message: ConfigGrid.Selected) -> None:
        message.stop()
        self.ask(Navigate.OpenRun(self.sweep_name, message.run.id))

    def action_open(self) -> None:
        run = self.query_one(ConfigGrid).current
        if run is not None:
            self.ask(Navigate.OpenRun(self.sweep_name, run.id))

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
        self.ask(Navigate.OpenResults(self.sweep_name))

    def action_cancel_config(self) -> None:
        run = self.query_one(ConfigGrid).current
        if run is None:
            return
        if run.shown not in (Status.PENDING, Status.RUNNING, Status.STALLED):
            self.notify(f"Config #{run.idx} is {run.shown}; nothing to cancel", severity="warning")
            return
        from motools_tui.core.actions import cancel_run

        ctx, name, idx = self.ctx, self.sweep_name, run.idx
        self.in_thread(
            lambda: cancel_run(ctx.store.open(), name, idx, ctx.clock),
            done=lambda text: (self.notify(text), self.kick()),
        )

    def action_cancel_sweep(self) -> None:
        self.ask(Act.CancelSweep(self.sweep_name))

    def action_retry(self) -> None:
        self.ask(Act.RetrySweep(self.sweep_name))

    def action_retry_elsewhere(self) -> None:
        self.ask(Act.RetrySweep(self.sweep_name, elsewhere=True))
