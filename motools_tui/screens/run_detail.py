"""One config of a sweep: resolved config, step timeline, live log, error, artifacts."""

from __future__ import annotations

import json
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.widgets import Footer, Log, Static, TabbedContent, TabPane

from motools.status import Status
from motools.store.watch import RunWatcher
from motools_tui.components.step_timeline import StepTimeline
from motools_tui.core.format import format_duration, status_label
from motools_tui.polling import Polled
from motools_tui.screens.base import BaseScreen

NARROW = 110
TABS = Binding.Group("Tabs")


class RunDetailScreen(BaseScreen):
    HELP_TITLE = "Config detail"
    HELP = """
One config (grid point) of the sweep: its swept values and status, the step timeline (with
offsets from the run's start, durations and cache hits), the log as it arrives, the error and
traceback of a failed step, the artifacts its steps produced (with the Inspect log of an
evaluation, when there is one) and the full resolved config.
"""

    BINDINGS = [
        Binding("c", "cancel_config", "Cancel cfg", id="detail.cancel_config", tooltip="Cancel this config"),
        Binding("t", "retry", "Retry", id="detail.retry", tooltip="Retry the sweep's failed and cancelled configs"),
        Binding("1", "tab('tab-log')", "Log", id="detail.tab_log", group=TABS),
        Binding("2", "tab('tab-error')", "Error", id="detail.tab_error", group=TABS),
        Binding("3", "tab('tab-artifacts')", "Artifacts", id="detail.tab_artifacts", group=TABS),
        Binding("4", "tab('tab-config')", "Config", id="detail.tab_config", group=TABS),
    ]

    def __init__(self, sweep_name: str, run_id: int) -> None:
        super().__init__()
        self.sweep_name = sweep_name
        self.run_id = run_id
        self.run: dict[str, Any] = {}
        self.watcher = None  # type: RunWatcher | None
        self.names: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        yield Static("", id="detail-title", classes="screen-title")
        with Horizontal(id="detail-top"):
            yield StepTimeline(clock=self.mapp.clock, id="detail-steps")
        with TabbedContent(id="detail-tabs", initial="tab-log"):
            with TabPane("Log 1", id="tab-log"):
                yield Log(id="detail-log", max_lines=5000, auto_scroll=True)
            with TabPane("Error 2", id="tab-error"), VerticalScroll():
                yield Static("No error.", id="detail-error")
            with TabPane("Artifacts 3", id="tab-artifacts"), VerticalScroll():
                yield Static("No artifacts yet.", id="detail-artifacts")
            with TabPane("Config 4", id="tab-config"), VerticalScroll():
                yield Static("", id="detail-config")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.watcher = RunWatcher(self.mapp.store_path, self.run_id)
        self.query_one("#detail-log", Log).focus()
        self.poll("run", self._read, self.mapp.poll_interval)
        self.set_interval(1.0, self._tick)

    def on_unmount(self) -> None:
        super().on_unmount()
        watcher, self.watcher = self.watcher, None
        if watcher is not None:
            with watcher.lock:
                watcher.close()

    def _read(self, force: bool) -> Any:
        watcher = self.watcher
        return watcher.poll(force) if watcher is not None else None

    def _tick(self) -> None:
        if self.run.get("status") == Status.RUNNING and self.is_current:
            self._steps(self._last_steps)

    _last_steps: list[dict[str, Any]] = []
    _config_shown = False

    def on_polled(self, message: Polled) -> None:
        if message.key != "run":
            return
        data = message.result
        run, steps = data.run, data.steps
        self.run = run
        self._last_steps = steps
        params = json.loads(run.get("params") or "{}")
        if not self.names:
            from motools.params import param_labels

            self.names = param_labels(list(params))
        params_text = " ".join(f"{self.names.get(k, k)}={v}" for k, v in params.items())
        now = self.mapp.clock()
        end = run.get("finished_at") if run.get("status") in (Status.FINISHED, Status.FAILED, Status.CANCELLED) else now
        elapsed = format_duration(end - run["started_at"]) if run.get("started_at") and end else "-"
        attempts = f"  attempt {run['attempts']}" if (run.get("attempts") or 0) > 1 else ""
        self.query_one("#detail-title", Static).update(
            Content.assemble(
                (f"{self.sweep_name} #{run['idx']}  ", "bold"),
                (status_label(run.get("status")), "bold"),
                f"  elapsed {elapsed}{attempts}\n",
                (params_text or "(no parameters)", "$accent"),
            )
        )
        self._steps(steps)
        log = self.query_one("#detail-log", Log)
        for e in data.events:
            level = "" if e["level"] == "info" else f"{e['level'].upper()} "
            step = f"[{e['step']}] " if e.get("step") else ""
            t0 = run.get("started_at") or e["time"]
            log.write_line(f"+{format_duration(max(0.0, e['time'] - t0))} {level}{step}{e['message']}")
        self._error(run, steps)
        if data.artifacts is not None:
            self._artifacts(data.artifacts)
        if not self._config_shown:
            self._config_shown = True
            try:
                cfg = json.loads(run.get("config") or "{}")
            except ValueError:
                cfg = run.get("config")
            from motools.yamlio import dump_yaml

            self.query_one("#detail-config", Static).update(Content(dump_yaml(cfg).rstrip()))
        self.mapp.screen_ready("detail")

    def _steps(self, steps: list[dict[str, Any]]) -> None:
        self.query_one(StepTimeline).show(steps, self.run.get("started_at"))

    def _error(self, run: dict[str, Any], steps: list[dict[str, Any]]) -> None:
        failed = [s for s in steps if s.get("status") == Status.FAILED]
        widget = self.query_one("#detail-error", Static)
        if not failed and not run.get("error"):
            widget.update("No error." if run.get("status") != Status.CANCELLED else "Cancelled (no error).")
            return
        parts: list[str | tuple[str, str]] = []
        for s in failed:
            parts += [(f"✗ step {s['name']} failed\n", "bold $error"), f"{s.get('error') or ''}\n\n"]
            if s.get("traceback"):
                parts += [(s["traceback"].rstrip() + "\n\n", "dim")]
        if run.get("error") and not failed:
            parts += [(f"✗ {run['error']}\n\n", "bold $error")]
            if run.get("traceback"):
                parts += [(run["traceback"].rstrip(), "dim")]
        widget.update(Content.assemble(*parts))

    def _artifacts(self, items: list[dict[str, Any]]) -> None:
        widget = self.query_one("#detail-artifacts", Static)
        if not items:
            widget.update("No artifacts yet.")
            return
        parts: list[str | tuple[str, str]] = []
        for a in items:
            parts += [(f"{a['step']}", "bold"), f" → {a['key']}: ", (a["atom_id"], "$accent"), "\n"]
            where = f"atoms/{a['path']}" if a.get("path") else "inline in the store"
            size = f", {a['size']} bytes" if a.get("size") is not None else ""
            parts.append((f"    {a.get('kind') or '?'}{size}, {where}\n", "dim"))
            if a.get("metrics"):
                metrics = "  ".join(
                    f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in a["metrics"].items()
                )
                parts.append(f"    {metrics}\n")
            if a.get("log_path"):
                parts += ["    Inspect log: ", (str(a["log_path"]), "bold"), "\n"]
        widget.update(Content.assemble(*parts))

    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab

    def action_cancel_config(self) -> None:
        if self.run.get("status") not in (Status.PENDING, Status.RUNNING):
            self.notify(f"This config is {self.run.get('status')}; nothing to cancel", severity="warning")
            return
        from motools_tui.core.actions import cancel_run

        self.in_thread(
            cancel_run,
            self.mapp.store,
            self.sweep_name,
            self.run["idx"],
            self.mapp.clock,
            done=lambda text: self.notify(text),
        )

    def action_retry(self) -> None:
        self.mapp.retry_sweep(self, self.sweep_name)
