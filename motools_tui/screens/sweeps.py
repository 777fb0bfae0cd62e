"""Every sweep in the store, newest first, live: reattach to a running one with Enter."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.widgets import DataTable, Footer, Static

from motools.liveness import shown_status
from motools.status import Status
from motools_tui.core.format import format_age, status_label
from motools_tui.polling import Polled
from motools_tui.screens.base import BaseScreen


class SweepsScreen(BaseScreen):
    HELP_TITLE = "Sweeps"
    HELP = """
Every sweep in this store, newest first, updated live. A sweep runs in its own worker
process, so it keeps going when the app is closed; opening it here reattaches to it. A sweep
marked Status.INTERRUPTED lost its worker (the machine restarted, say): retry (t) resumes it, and
only its unfinished runs run again.
"""

    BINDINGS = [
        Binding("enter", "open", "Open", id="sweeps.open", tooltip="Open the selected sweep (reattach)"),
        Binding("r", "results", "Results", id="sweeps.results", tooltip="Results of the selected sweep"),
        Binding("c", "cancel", "Cancel", id="sweeps.cancel", tooltip="Cancel the selected sweep (asks first)"),
        Binding(
            "t", "retry", "Retry", id="sweeps.retry", tooltip="Retry failed/cancelled configs of the selected sweep"
        ),
        Binding("s", "specs", "Specs", id="sweeps.specs", tooltip="Back to the specs"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict[str, Any]] = []

    def compose(self) -> ComposeResult:
        yield Static(Content.assemble(("motools", "bold"), "  sweeps"), id="title", classes="screen-title")
        yield DataTable(id="sweeps-table", cursor_type="row")
        yield Static("No sweeps yet: launch one from the specs screen (l).", id="sweeps-empty", classes="empty-hint")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for key, label in (
            ("name", "sweep"),
            ("spec", "spec"),
            ("status", "status"),
            ("done", "done"),
            (Status.FAILED, Status.FAILED),
            ("created", "created"),
        ):
            table.add_column(label, key=key)
        table.display = False
        table.focus()
        self.poll("sweeps", self._read, self.mapp.list_interval)

    def _read(self, force: bool) -> Any:
        rows = self.mapp.list_watcher("sweeps").sweeps(force)
        if rows is None:
            return None
        now = self.mapp.clock()
        for row in rows:
            row["display_status"] = shown_status(row, now=now).value
        return rows

    def on_polled(self, message: Polled) -> None:
        if message.key != "sweeps":
            return
        if self.rows and message.result == self.rows:
            return
        self.rows = message.result
        table = self.query_one(DataTable)
        keep = self.selected_name
        table.clear()
        now = self.mapp.clock()
        for row in self.rows:
            done = f"{row['n_finished']}/{row['n_runs']}"
            if row["n_running"]:
                done += f" ({row['n_running']} running)"
            table.add_row(
                row["name"],
                row["spec_name"] or "-",
                status_label(row["display_status"]),
                done,
                str(row["n_failed"] or ""),
                format_age(now - row["created_at"]),
                key=row["name"],
            )
        if keep:
            for i, row in enumerate(self.rows):
                if row["name"] == keep:
                    table.move_cursor(row=i, animate=False)
        table.display = bool(self.rows)
        self.query_one("#sweeps-empty", Static).display = not self.rows
        self.mapp.screen_ready("sweeps")

    @property
    def selected_name(self) -> str | None:
        table = self.query_one(DataTable)
        if not self.rows or not (0 <= table.cursor_row < len(self.rows)):
            return None
        return self.rows[table.cursor_row]["name"]

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def _pick(self) -> str | None:
        name = self.selected_name
        if name is None:
            self.notify("No sweep selected", severity="warning")
        return name

    def action_open(self) -> None:
        name = self._pick()
        if name:
            self.mapp.open_sweep(name)

    def action_results(self) -> None:
        name = self._pick()
        if name:
            self.mapp.open_results(name)

    def action_cancel(self) -> None:
        name = self._pick()
        if name:
            self.mapp.confirm_cancel_sweep(self, name)

    def action_retry(self) -> None:
        name = self._pick()
        if name:
            self.mapp.retry_sweep(self, name)

    def action_specs(self) -> None:
        self.mapp.open_specs()
