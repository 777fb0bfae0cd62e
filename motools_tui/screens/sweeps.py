"""Every sweep in the store, newest first, live: reattach to a running one with Enter."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.widgets import DataTable, Static

from motools.liveness import worker_liveness
from motools.status import SYMBOLS, TERMINAL, Status
from motools.text import first_line, format_age, safe_text, truncate
from motools_tui.components.key_bar import KeyBar
from motools_tui.components.list_table import ListTable
from motools_tui.context import AppContext
from motools_tui.core.format import read_status
from motools_tui.messages import Act, Navigate, Polled
from motools_tui.screens.base import BaseScreen


class SweepsScreen(BaseScreen):
    HELP_TITLE = "Sweeps"
    HELP = """
Every sweep in this store, newest first, updated live. A sweep runs in its own worker
process, so it keeps going when the app is closed; opening it here reattaches to it. The runs
column counts configs per status (✓ finished of all, ✗ failed, ⊘ cancelled, ▶ running). A sweep
marked ! interrupted lost its worker (the machine restarted, say): retry (t) resumes it, and
only its unfinished runs run again; T asks where first (in the worker, a pool of processes, Ray),
for a sweep whose cluster is gone. A sweep whose worker could not start says why in the last
column.
"""
    KEY_PRIORITY = ("sweeps.open", "sweeps.results", "sweeps.retry", "sweeps.cancel", "sweeps.specs")

    BINDINGS = [
        Binding("enter", "open", "Open", id="sweeps.open", tooltip="Open the selected sweep (reattach)", priority=True),
        Binding("r", "results", "Results", id="sweeps.results", tooltip="Results of the selected sweep"),
        Binding("c", "cancel", "Cancel", id="sweeps.cancel", tooltip="Cancel the selected sweep (asks first)"),
        Binding(
            "t", "retry", "Retry", id="sweeps.retry", tooltip="Retry failed/cancelled configs of the selected sweep"
        ),
        Binding(
            "T",
            "retry_elsewhere",
            "Retry on",
            id="sweeps.retry_elsewhere",
            tooltip="Retry failed/cancelled configs on another executor (here, a pool, Ray): asks which",
            show=False,  # in the palette and the help; the footer keeps t Retry and ^p
        ),
        Binding("s", "specs", "Specs", id="sweeps.specs", tooltip="Back to the specs"),
    ]

    def __init__(self, ctx: AppContext) -> None:
        super().__init__(ctx)
        self.rows: list[dict[str, Any]] = []

    def compose(self) -> ComposeResult:
        yield Static(Content.assemble(("motools", "bold"), "  sweeps"), id="title", classes="screen-title")
        yield ListTable(id="sweeps-table")
        yield Static("No sweeps yet: launch one from the specs screen (l).", id="sweeps-empty", classes="empty-hint")
        yield KeyBar(self.KEY_PRIORITY)

    def on_mount(self) -> None:
        table = self.query_one(ListTable)
        for key, label in (
            ("name", "sweep"),
            ("spec", "spec"),
            ("status", "status"),
            ("runs", "runs"),
            ("created", "created"),
            ("note", "note"),
        ):
            table.add_column(label, key=key)
        table.display = False
        table.focus()
        self.poll(self._read, Polled.Sweeps, self.ctx.settings.list_interval)

    def _read(self, force: bool) -> Any:
        """Rows with their status as read; also when only a worker's liveness changed (a dead
        worker changes nothing in the store)."""
        from motools.store.watch import ListWatcher

        rows = self.own_watcher(ListWatcher).sweeps(force)
        if rows is None:
            if not any(r["status"] == Status.RUNNING for r in self.rows):
                return None
            rows = [dict(r) for r in self.rows]
        now = self.ctx.clock()
        for row in rows:
            live = worker_liveness(row, now=now)
            row["n_cancelled_shown"] = row["n_cancelled"]
            if row["status"] in TERMINAL:
                # A run still pending when its sweep ended never ran: it was cancelled before it
                # started (the engine leaves such a run pending).
                counted = sum(row[f"n_{s.value}"] for s in (*TERMINAL, Status.RUNNING))
                row["n_cancelled_shown"] += max(0, (row["n_runs"] or 0) - counted)
            row["shown"] = read_status(
                row["status"], live, row["n_failed"], row["n_cancelled_shown"], row.get("message")
            ).value
        if rows == self.rows:
            return None
        return rows

    def on_polled_sweeps(self, message: Polled.Sweeps) -> None:
        self.rows = message.rows
        table = self.query_one(ListTable)
        now = self.ctx.clock()
        shown = []
        for row in self.rows:
            runs = f"{SYMBOLS[Status.FINISHED]} {row['n_finished']}/{row['n_runs']}"
            for status in (Status.FAILED, Status.CANCELLED, Status.RUNNING):
                n = row["n_cancelled_shown"] if status == Status.CANCELLED else row[f"n_{status.value}"]
                if n and not (status == Status.RUNNING and row["shown"] != Status.RUNNING):
                    runs += f" {SYMBOLS[status]} {n}"
            note = truncate(first_line(row.get("message")), 48) if _unexplained(row) else ""
            shown.append(
                (
                    row["name"],
                    (
                        safe_text(row["name"]),
                        safe_text(row["spec_name"] or "-"),
                        Status(row["shown"]).label,
                        runs,
                        format_age(now - row["created_at"]),
                        note,
                    ),
                )
            )
        table.set_rows(shown)
        table.display = bool(self.rows)
        self.query_one("#sweeps-empty", Static).display = not self.rows
        self.ready("sweeps")

    @property
    def selected_name(self) -> str | None:
        return self.query_one(ListTable).cursor_key

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def _pick(self) -> str | None:
        name = self.selected_name
        if name is None:
            self.notify("No sweep selected", severity="warning")
        return name

    def action_open(self) -> None:
        if name := self._pick():
            self.ask(Navigate.OpenSweep(name))

    def action_results(self) -> None:
        if name := self._pick():
            self.ask(Navigate.OpenResults(name))

    def action_cancel(self) -> None:
        if name := self._pick():
            self.ask(Act.CancelSweep(name))

    def action_retry(self) -> None:
        if name := self._pick():
            self.ask(Act.RetrySweep(name))

    def action_retry_elsewhere(self) -> None:
        if name := self._pick():
            self.ask(Act.RetrySweep(name, elsewhere=True))

    def action_specs(self) -> None:
        self.ask(Navigate.OpenSpecs())


def _unexplained(row: dict[str, Any]) -> bool:
    """A failed sweep none of whose runs failed: its message says why (the worker could not
    start). Other messages (an end summary) repeat the runs column."""
    return bool(row.get("message")) and row["shown"] == Status.FAILED and not row["n_failed"]
