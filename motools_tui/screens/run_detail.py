"""One config of a sweep: step timeline, live log, error, artifacts, config and its samples."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.widgets import Log, Static, TabbedContent, TabPane

from motools.liveness import worker_liveness
from motools.status import TERMINAL, Status
from motools.store.watch import RunUpdate, RunWatcher
from motools.text import format_value, safe_text
from motools_tui.components.key_bar import KeyBar
from motools_tui.components.step_timeline import StepTimeline
from motools_tui.components.virtual_table import VirtualTable
from motools_tui.context import AppContext
from motools_tui.core.format import format_duration
from motools_tui.core.table import TableData
from motools_tui.messages import Act, Polled
from motools_tui.screens.base import BaseScreen

TABS = Binding.Group("Tabs")


@dataclass
class RunRead:
    update: RunUpdate
    samples: TableData | None  # read again when the run's outputs changed


def sample_table(read: Any, sweep_id: int, run_id: int) -> TableData | None:
    """Every scored sample of the run's evaluation results (``ReadModel.sample_table``): sample
    id, epoch, one column per score (``<scorer>`` or ``<scorer>/<key>``), answer, target; the
    task too when there are several. None: no results yet."""
    atoms = [a["atom_id"] for a in read.result_atoms(sweep_id, run_ids=[run_id])]
    if not atoms:
        return None
    _names, columns, rows = read.sample_table(atoms)
    drop = {"atom_id"} | ({"task"} if len({r[1] for r in rows}) <= 1 else set())
    keep = [i for i, c in enumerate(columns) if c not in drop]
    return TableData([columns[i] for i in keep], [tuple(r[i] for i in keep) for r in rows])


class RunDetailScreen(BaseScreen):
    HELP_TITLE = "Config detail"
    HELP = """
One config (grid point) of the sweep: its swept values and status, the step timeline (offsets
from the run's start, durations, ↺ for steps served from the cache, and where each ran: host,
pid, Ray node), the log as it arrives, the error and traceback of a failed step, the artifacts
its steps produced (with the Inspect log of an evaluation, when there is one), the full
resolved config (values that look like secrets hidden), and every scored sample of its
evaluation: sample id, epoch, each score, answer and target.
"""
    KEY_PRIORITY = ("detail.tab_log", "detail.cancel_config", "detail.retry")

    BINDINGS = [
        Binding("c", "cancel_config", "Cancel cfg", id="detail.cancel_config", tooltip="Cancel this config"),
        Binding("t", "retry", "Retry", id="detail.retry", tooltip="Retry the sweep's failed and cancelled configs"),
        Binding("1", "tab('tab-log')", "Log", id="detail.tab_log", group=TABS),
        Binding("2", "tab('tab-error')", "Error", id="detail.tab_error", group=TABS),
        Binding("3", "tab('tab-artifacts')", "Artifacts", id="detail.tab_artifacts", group=TABS),
        Binding("4", "tab('tab-config')", "Config", id="detail.tab_config", group=TABS),
        Binding("5", "tab('tab-samples')", "Samples", id="detail.tab_samples", group=TABS),
    ]

    def __init__(self, ctx: AppContext, sweep_name: str, run_id: int) -> None:
        super().__init__(ctx)
        self.sweep_name = sweep_name
        self.run_id = run_id
        self.run: dict[str, Any] = {}
        self.sweep: dict[str, Any] = {}
        self.names: dict[str, str] = {}
        self._last_steps: list[dict[str, Any]] = []
        self._config_shown = False
        self.samples: TableData | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="detail-title", classes="screen-title")
        with Horizontal(id="detail-top"):
            yield StepTimeline(clock=self.ctx.clock, id="detail-steps")
        with TabbedContent(id="detail-tabs", initial="tab-log"):
            with TabPane("Log 1", id="tab-log"):
                yield Log(id="detail-log", max_lines=5000, auto_scroll=True)
            with TabPane("Error 2", id="tab-error"), VerticalScroll():
                yield Static("No error.", id="detail-error")
            with TabPane("Artifacts 3", id="tab-artifacts"), VerticalScroll():
                yield Static("No artifacts yet.", id="detail-artifacts")
            with TabPane("Config 4", id="tab-config"), VerticalScroll():
                yield Static("", id="detail-config")
            with TabPane("Samples 5", id="tab-samples"):
                yield VirtualTable(id="detail-samples", empty="No scored samples yet (they come with the evaluation).")
        yield KeyBar(self.KEY_PRIORITY)

    def on_mount(self) -> None:
        self.query_one(VirtualTable).clear("No scored samples yet (they come with the evaluation).")
        self.query_one("#detail-log", Log).focus()
        self.poll(self._read, Polled.Run, self.ctx.settings.poll_interval)
        self.set_interval(1.0, self._tick)

    def _read(self, force: bool) -> RunRead | None:
        watcher = self.own_watcher(lambda path: RunWatcher(path, self.run_id))
        update = watcher.poll(force)
        if update is None:
            return None
        samples = None
        if update.artifacts is not None:
            with watcher.lock:
                samples = sample_table(watcher.read, update.run["sweep_id"], self.run_id)
        return RunRead(update, samples)

    @property
    def _alive(self) -> bool:
        return worker_liveness(self.sweep, now=self.ctx.clock()).alive

    def _shown(self) -> Status:
        status = Status(self.run.get("status") or Status.PENDING)
        if status == Status.RUNNING and not self._alive:
            return Status.INTERRUPTED
        return status

    def _tick(self) -> None:
        if self.run.get("status") == Status.RUNNING and self.is_current and self._alive:
            self._title()
            self._steps()

    def on_polled_run(self, message: Polled.Run) -> None:
        read: RunRead = message.update
        data = read.update
        self.run, self.sweep = data.run, data.sweep
        self._last_steps = data.steps
        if not self.names:
            from motools.params import param_labels

            self.names = param_labels(list(json.loads(self.run.get("params") or "{}")))
        self._title()
        self._steps()
        log = self.query_one("#detail-log", Log)
        for e in data.events:
            level = "" if e["level"] == "info" else f"{e['level'].upper()} "
            step = f"[{safe_text(e['step'])}] " if e.get("step") else ""
            t0 = self.run.get("started_at") or e["time"]
            log.write_line(f"+{format_duration(max(0.0, e['time'] - t0))} {level}{step}{safe_text(e['message'])}")
        self._error(self.run, data.steps)
        if data.artifacts is not None:
            self._artifacts(data.artifacts)
        if read.samples is not None:
            self.samples = read.samples
            self.query_one(VirtualTable).show(read.samples)
        if not self._config_shown:
            self._config_shown = True
            self._config()
        self.refresh_bindings()
        self.ready("detail")

    def _stopped_at(self) -> float | None:
        return None if self._alive else self.sweep.get("heartbeat_at")

    def _title(self) -> None:
        run = self.run
        params = json.loads(run.get("params") or "{}")
        params_text = " ".join(f"{self.names.get(k, k)}={format_value(v)}" for k, v in params.items())
        now = self.ctx.clock()
        if run.get("status") in TERMINAL:
            end = run.get("finished_at")
        else:
            end = self._stopped_at() or now
        elapsed = format_duration(end - run["started_at"]) if run.get("started_at") and end else "-"
        attempts = f"  attempt {run['attempts']}" if (run.get("attempts") or 0) > 1 else ""
        self.query_one("#detail-title", Static).update(
            Content.assemble(
                (f"{safe_text(self.sweep_name)} #{run['idx']}  ", "bold"),
                (self._shown().label, "bold"),
                f"  elapsed {elapsed}{attempts}\n",
                (params_text or "(no parameters)", "$accent"),
            )
        )

    def _steps(self) -> None:
        self.query_one(StepTimeline).show(self._last_steps, self.run.get("started_at"), self._stopped_at())

    def _config(self) -> None:
        from motools.yamlio import dump_yaml
        from motools_tui.core.secrets import mask_data

        try:
            cfg = json.loads(self.run.get("config") or "{}")
        except ValueError:
            cfg = self.run.get("config")
        self.query_one("#detail-config", Static).update(Content(safe_text(dump_yaml(mask_data(cfg)).rstrip())))

    def _error(self, run: dict[str, Any], steps: list[dict[str, Any]]) -> None:
        failed = [s for s in steps if s.get("status") == Status.FAILED]
        widget = self.query_one("#detail-error", Static)
        if not failed and not run.get("error"):
            widget.update("No error." if run.get("status") != Status.CANCELLED else "Cancelled (no error).")
            return
        parts: list[str | tuple[str, str]] = []
        for s in failed:
            parts += [
                (f"✗ step {safe_text(s['name'])} failed\n", "bold $error"),
                f"{safe_text(s.get('error') or '')}\n\n",
            ]
            if s.get("traceback"):
                parts += [(safe_text(s["traceback"].rstrip()) + "\n\n", "dim")]
        if run.get("error") and not failed:
            parts += [(f"✗ {safe_text(run['error'])}\n\n", "bold $error")]
            if run.get("traceback"):
                parts += [(safe_text(run["traceback"].rstrip()), "dim")]
        widget.update(Content.assemble(*parts))

    def _artifacts(self, items: list[dict[str, Any]]) -> None:
        widget = self.query_one("#detail-artifacts", Static)
        if not items:
            widget.update("No artifacts yet.")
            return
        parts: list[str | tuple[str, str]] = []
        for a in items:
            parts += [
                (safe_text(a["step"]), "bold"),
                f" → {safe_text(a['key'])}: ",
                (safe_text(a["atom_id"]), "$accent"),
                "\n",
            ]
            where = f"atoms/{safe_text(a['path'])}" if a.get("path") else "inline in the store"
            size = f", {a['size']} bytes" if a.get("size") is not None else ""
            parts.append((f"    {safe_text(a.get('kind') or '?')}{size}, {where}\n", "dim"))
            if a.get("metrics"):
                metrics = "  ".join(f"{safe_text(str(k))}={format_value(v)}" for k, v in a["metrics"].items())
                parts.append(f"    {metrics}\n")
            if a.get("log_path"):
                parts += ["    Inspect log: ", (safe_text(str(a["log_path"])), "bold"), "\n"]
        widget.update(Content.assemble(*parts))

    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
        if tab == "tab-samples":
            self.query_one(VirtualTable).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if not self.run:
            return True
        if action == "cancel_config":
            return self._shown() in (Status.PENDING, Status.RUNNING)
        if action == "retry":
            return not self._alive
        return True

    def action_cancel_config(self) -> None:
        if self.run.get("status") not in (Status.PENDING, Status.RUNNING):
            self.notify(f"This config is {self.run.get('status')}; nothing to cancel", severity="warning")
            return
        from motools_tui.core.actions import cancel_run

        ctx, name, idx = self.ctx, self.sweep_name, self.run["idx"]
        self.in_thread(lambda: cancel_run(ctx.store.open(), name, idx, ctx.clock), done=lambda text: self.notify(text))

    def action_retry(self) -> None:
        self.ask(Act.RetrySweep(self.sweep_name))
