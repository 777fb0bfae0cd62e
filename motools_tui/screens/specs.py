"""The start screen: saved sweep specs, a preview pane, and every action on a spec."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import DataTable, Footer, Input, Static

from motools.liveness import shown_status
from motools_tui.components.spec_preview import SpecPreview
from motools_tui.components.spec_table import SpecTable
from motools_tui.core.specinfo import SpecSummary, summarize
from motools_tui.polling import Polled
from motools_tui.screens.base import BaseScreen

NARROW = 100


class SpecsScreen(BaseScreen):
    HELP_TITLE = "Specs"
    HELP = """
Saved sweep specs: a workflow, a base config and a parameter grid. The list shows each
spec's workflow, grid size (number of configs) and the status of its last sweep; the side pane
shows the selected spec's grid and YAML.

Create a spec from a template (n) or import a YAML file (i); edit it (e), and the editor
validates it on save. Launch (l) starts a sweep in a detached worker: it keeps running when the
app quits or the terminal goes away. Sweeps (w) lists every sweep, running or not.
"""

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (NARROW, "-wide")]

    BINDINGS = [
        Binding("n", "new", "New", id="specs.new", tooltip="New spec from a template"),
        Binding("e", "edit", "Edit", id="specs.edit", tooltip="Edit the selected spec (validated on save)"),
        Binding(
            "l", "launch", "Launch", id="specs.launch", tooltip="Launch the selected spec as a sweep (detached worker)"
        ),
        Binding("d", "duplicate", "Dup", id="specs.duplicate", tooltip="Duplicate the selected spec"),
        Binding(
            "x,delete",
            "delete",
            "Delete",
            id="specs.delete",
            tooltip="Delete the selected spec (asks first)",
            key_display="x",
        ),
        Binding("i", "import", "Import", id="specs.import", tooltip="Import a spec from a YAML file"),
        Binding("o", "export", "Export", id="specs.export", tooltip="Export the selected spec as a YAML file"),
        Binding("w", "sweeps", "Sweeps", id="specs.sweeps", tooltip="List every sweep, running or not"),
        Binding(
            "slash",
            "filter",
            "Filter",
            id="specs.filter",
            tooltip="Filter the specs by name or workflow",
            key_display="/",
        ),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.summaries: list[SpecSummary] = []
        self.loaded = False
        self._select: str | None = None
        self._shown_key: list[tuple[str, str, str | None]] = []

    def compose(self) -> ComposeResult:
        yield Static("", id="title", classes="screen-title")
        with Horizontal(id="specs-body"):
            with Vertical(id="specs-left"):
                yield Input(placeholder="filter specs (Enter: keep, Esc: clear)", id="specs-filter")
                yield SpecTable(id="specs-table")
                yield Static("Loading specs…", id="specs-empty", classes="empty-hint")
            yield SpecPreview(id="specs-preview")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#title", Static).update(
            Content.assemble(("motools", "bold"), "  specs  ", (_short_path(self.mapp.home), "dim"))
        )
        _hide(self.query_one("#specs-filter", Input))
        self.query_one(SpecTable).focus()
        self._first_frame()
        # Start reading after the first frame is on screen: the store's imports stay off it.
        self.call_after_refresh(self.poll, "specs", self._read, self.mapp.list_interval)

    def _first_frame(self) -> None:
        """Names and last statuses in the first frame (one read-only query); the YAML details
        (workflow, grid size) follow from the poller a moment later."""
        from motools.store.watch import quick_specs

        rows = quick_specs(self.mapp.store_path)
        if not rows:
            return
        self.summaries = [
            SpecSummary(name=r["name"], yaml="", workflow="…", last_status=r.get("last_status")) for r in rows
        ]
        self._refresh_table()

    # -- data ---------------------------------------------------------------------------------
    def _read(self, force: bool) -> Any:
        watcher = self.mapp.list_watcher("specs")
        rows = watcher.specs(force)
        if rows is None:
            return None
        now = self.mapp.clock()
        out = []
        for row in rows:
            if row.get("last_status"):
                row["last_status"] = shown_status({**row, "status": row["last_status"]}, now=now).value
            out.append(summarize(row))
        return out

    def on_polled(self, message: Polled) -> None:
        if message.key != "specs":
            return
        key = [(s.name, s.yaml, s.last_status) for s in message.result]
        if self.loaded and key == self._shown_key and self._select is None:
            return  # nothing the list shows has changed
        self._shown_key = key
        self.summaries = message.result
        self.loaded = True
        self._refresh_table()
        self.mapp.screen_ready("specs")

    def reload(self, select: str | None = None) -> None:
        self._select = select
        for loop in self.polls:
            loop.kick()

    def _refresh_table(self) -> None:
        table = self.query_one(SpecTable)
        needle = self.query_one("#specs-filter", Input).value
        table.show(self.summaries, needle, select=self._select)
        self._select = None
        empty = self.query_one("#specs-empty", Static)
        if not self.summaries:
            empty.update("No saved specs yet. Press n to create one from a template, or i to import a YAML file.")
        elif not table.specs:
            empty.update(f"No spec matches {needle!r}. Esc clears the filter.")
        empty.display = not table.specs
        self.query_one(SpecPreview).show(table.selected)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.query_one(SpecPreview).show(self.query_one(SpecTable).selected)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_edit()

    @property
    def selected(self) -> SpecSummary | None:
        return self.query_one(SpecTable).selected

    def _need_selection(self) -> SpecSummary | None:
        spec = self.selected
        if spec is None:
            self.notify("No spec selected: create one with n or import one with i", severity="warning")
        return spec

    # -- filter -------------------------------------------------------------------------------
    def action_filter(self) -> None:
        inp = self.query_one("#specs-filter", Input)
        inp.disabled = False
        inp.display = True
        inp.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "specs-filter":
            self._refresh_table()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "specs-filter":
            event.stop()
            if not event.value:
                _hide(event.input)
            self.query_one(SpecTable).focus()

    def action_back(self) -> None:
        inp = self.query_one("#specs-filter", Input)
        if inp.display:
            inp.value = ""
            _hide(inp)
            self.query_one(SpecTable).focus()
            self._refresh_table()
            return
        super().action_back()

    # -- actions ------------------------------------------------------------------------------
    def action_new(self) -> None:
        from motools_tui.modals.templates import TemplatePicker

        def picked(key: str | None) -> None:
            if key is None:
                return
            from motools_tui.core.specinfo import set_spec_name, unique_name
            from motools_tui.core.templates import template
            from motools_tui.screens.editor import EditorScreen

            t = template(key)
            name = unique_name(t.key, {s.name for s in self.summaries})
            text = set_spec_name(t.yaml, name) if name != t.key else t.yaml
            self.app.push_screen(EditorScreen(None, text, title=f"New spec from template: {t.title}"), self._edited)

        self.app.push_screen(TemplatePicker(), picked)

    def action_edit(self) -> None:
        spec = self._need_selection()
        if spec is None:
            return
        from motools_tui.screens.editor import EditorScreen

        self.app.push_screen(EditorScreen(spec.name, spec.yaml, title=f"Edit spec: {spec.name}"), self._edited)

    def _edited(self, saved: str | None) -> None:
        if saved:
            self.reload(select=saved)

    def action_duplicate(self) -> None:
        spec = self._need_selection()
        if spec is None:
            return
        from motools.names import is_valid_name
        from motools_tui.core.specinfo import set_spec_name, unique_name
        from motools_tui.modals.prompt import PromptModal

        taken = {s.name for s in self.summaries}

        def check(name: str) -> str | None:
            if not is_valid_name(name):
                return "use letters, digits, '.', '_' or '-', starting with a letter or digit"
            if name in taken:
                return f"a spec named {name!r} already exists"
            return None

        def answered(name: str | None) -> None:
            if not name:
                return
            text = set_spec_name(spec.yaml, name)
            store = self.mapp.store

            def save() -> str:
                store.save_spec(name, text)
                return name

            self.in_thread(save, done=lambda n: (self.notify(f"Duplicated {spec.name} as {n}"), self.reload(n)))

        self.app.push_screen(
            PromptModal(f"Duplicate {spec.name}", "Name of the copy", unique_name(f"{spec.name}-copy", taken), check),
            answered,
        )

    def action_delete(self) -> None:
        spec = self._need_selection()
        if spec is None:
            return
        from motools_tui.modals.confirm import ConfirmModal

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            store = self.mapp.store
            self.in_thread(
                store.delete_spec, spec.name, done=lambda _: (self.notify(f"Deleted spec {spec.name}"), self.reload())
            )

        self.app.push_screen(
            ConfirmModal(
                f"Delete spec {spec.name}?",
                "The spec is removed from the store. Its sweeps and their results stay.",
                yes="Delete",
            ),
            answered,
        )

    def action_import(self) -> None:
        from motools_tui.modals.path_dialog import PathDialog

        def answered(path: str | None) -> None:
            if path:
                self._import(path, overwrite=False)

        self.app.push_screen(
            PathDialog(
                "Import a spec from a YAML file", "", suffixes=(".yaml", ".yml"), must_exist=True, action="import"
            ),
            answered,
        )

    def _import(self, path: str, overwrite: bool, trust: bool = False) -> None:
        from motools_tui.core.actions import UntrustedImport, import_spec

        store = self.mapp.store

        def done(result: tuple[str, bool]) -> None:
            name, replaced = result
            self.notify(f"{'Replaced' if replaced else 'Imported'} spec {name} from {path}")
            self.reload(name)

        def failed(exc: BaseException) -> None:
            if isinstance(exc, UntrustedImport):
                from motools_tui.modals.confirm import ConfirmModal

                listed = "\n".join(f"  {c}" for c in exc.callables)
                self.app.push_screen(
                    ConfirmModal(
                        "Trust this code?",
                        f"{path} would import and run:\n{listed}\nOnly trust code you have read.",
                        yes="Trust and import",
                    ),
                    lambda yes: self._import(path, overwrite=overwrite, trust=True) if yes else None,
                )
            elif isinstance(exc, FileExistsError):
                from motools_tui.modals.confirm import ConfirmModal

                name = exc.args[0]
                self.app.push_screen(
                    ConfirmModal(f"Replace spec {name}?", f"A spec named {name} is already saved.", yes="Replace"),
                    lambda yes: self._import(path, overwrite=True, trust=trust) if yes else None,
                )
            else:
                self.mapp.show_error(exc, title="Import failed")

        self.notify(f"Validating {path}…", timeout=2)
        self.in_thread(lambda: import_spec(store, path, overwrite=overwrite, trust=trust), done=done, failed=failed)

    def action_export(self) -> None:
        spec = self._need_selection()
        if spec is None:
            return
        from motools_tui.core.actions import export_text
        from motools_tui.modals.path_dialog import PathDialog

        def answered(path: str | None) -> None:
            if path:
                self.in_thread(
                    export_text, path, spec.yaml, done=lambda p: self.notify(f"Wrote {p}", title="Exported", timeout=8)
                )

        self.app.push_screen(
            PathDialog(f"Export {spec.name} as YAML", f"{spec.name}.yaml", suffixes=(".yaml", ".yml"), action="write"),
            answered,
        )

    def action_launch(self) -> None:
        spec = self._need_selection()
        if spec is None:
            return
        from motools_tui.core.actions import check_launch, default_sweep_name, launch
        from motools_tui.modals.launch import LaunchModal

        store = self.mapp.store

        def do_launch(name: str, mp: str) -> dict[str, Any]:
            sweep_name, max_parallel = check_launch(store, name, mp)
            return launch(store, spec.yaml, sweep_name, max_parallel)

        def launched(sweep: dict[str, Any] | None) -> None:
            if not sweep:
                return
            self.notify(f"Launched {sweep['name']} ({sweep['n_runs']} configs) in a detached worker")
            self.reload(spec.name)
            self.mapp.open_sweep(sweep["name"])

        self.app.push_screen(
            LaunchModal(
                spec.name, default_sweep_name(spec.name, self.mapp.clock), spec.max_parallel, spec.size, do_launch
            ),
            launched,
        )

    def action_sweeps(self) -> None:
        self.mapp.open_sweeps()


def _short_path(path: Any) -> str:
    """A path relative to the working directory when under it, else with ``~`` for home."""
    import os
    from pathlib import Path

    p = Path(path)
    try:
        return str(p.relative_to(Path.cwd()))
    except ValueError:
        pass
    home = Path(os.path.expanduser("~"))
    try:
        return "~/" + str(p.relative_to(home))
    except ValueError:
        return str(p)


def _hide(widget: Any) -> None:
    """Hide a filter field and keep focus from landing on it while hidden."""
    widget.display = False
    widget.disabled = True
