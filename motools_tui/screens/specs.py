"""The start screen: saved sweep specs, a preview pane, and every action on a spec."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import DataTable, Input, Static

from motools_tui.components.key_bar import KeyBar
from motools_tui.components.spec_preview import SpecPreview
from motools_tui.components.spec_table import SpecTable
from motools_tui.context import AppContext
from motools_tui.core.specinfo import SpecSummary, summarize
from motools_tui.messages import Navigate, Polled
from motools_tui.screens.base import BaseScreen

NARROW = 100


class SpecsScreen(BaseScreen):
    HELP_TITLE = "Specs"
    HELP = """
Saved sweep specs: a workflow, a base config and a parameter grid. The list shows each
spec's grid size (number of configs) and the status of its last sweep; the side pane shows
the selected spec's workflow, grid and YAML (values that look like secrets hidden).

Create a spec from a template (n) or import a YAML file (i); edit it (e), and the editor
validates it on save. A spec that names code outside the trusted modules asks before it is
imported. Launch (l) starts a sweep in a detached worker: it keeps running when the app quits
or the terminal goes away, and writes the spec's output: files when it finishes. Sweeps (w)
lists every sweep, running or not.
"""
    KEY_PRIORITY = (
        "specs.new",
        "specs.edit",
        "specs.launch",
        "specs.sweeps",
        "specs.import",
        "specs.filter",
        "specs.delete",
        "specs.duplicate",
        "specs.export",
    )

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (NARROW, "-wide")]

    BINDINGS = [
        Binding("escape", "back", "Clear filter", id="screen.back", tooltip="Clear the filter"),
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

    def __init__(self, ctx: AppContext, import_file: str | None = None) -> None:
        super().__init__(ctx)
        self.import_file = import_file
        self.summaries: list[SpecSummary] = []
        self.loaded = False
        self._select: str | None = None
        self._shown_key: list[tuple[str, str, str | None]] = []
        self._left_width: int | str | None = None

    def compose(self) -> ComposeResult:
        yield Static(Content.assemble(("motools", "bold"), "  specs"), id="title", classes="screen-title")
        with Horizontal(id="specs-body"):
            with Vertical(id="specs-left"):
                yield Input(placeholder="filter specs (Enter: keep, Esc: clear)", id="specs-filter")
                yield SpecTable(id="specs-table")
                yield Static("Loading specs…", id="specs-empty", classes="empty-hint")
            yield SpecPreview(id="specs-preview")
        yield KeyBar(self.KEY_PRIORITY)

    def on_mount(self) -> None:
        _hide(self.query_one("#specs-filter", Input))
        self.query_one(SpecTable).focus()
        # Read after the first frame is on screen: the store's imports stay off it.
        self.call_after_refresh(self.poll, self._read, Polled.Specs, self.ctx.settings.list_interval)
        if self.import_file:
            self.call_after_refresh(self._import, self.import_file, False, False, True)

    # -- data ---------------------------------------------------------------------------------
    def _read(self, force: bool) -> Any:
        from motools.liveness import shown_status
        from motools.store.watch import ListWatcher

        rows = self.own_watcher(ListWatcher).specs(force)
        if rows is None:
            return None
        now = self.ctx.clock()
        out = []
        for row in rows:
            if row.get("last_status"):
                row["last_status"] = shown_status({**row, "status": row["last_status"]}, now=now).value
            out.append(summarize(row))
        return out

    def on_polled_specs(self, message: Polled.Specs) -> None:
        if not self.loaded:
            self.query_one("#title", Static).update(
                Content.assemble(("motools", "bold"), "  specs  ", (_short_path(self.ctx.store.home), "dim"))
            )
        key = [(s.name, s.yaml, s.last_status) for s in message.summaries]
        if self.loaded and key == self._shown_key and self._select is None:
            return  # nothing the list shows has changed
        self._shown_key = key
        self.summaries = message.summaries
        self.loaded = True
        self._refresh_table()
        self.ready("specs")

    def reload(self, select: str | None = None) -> None:
        self._select = select
        self.kick()

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
        self._size_list()

    def _size_list(self) -> None:
        """Side by side, the list takes what its columns need and the preview the rest."""
        wide = self.size.width >= NARROW
        width: int | str = self.query_one(SpecTable).wanted_width if wide else "100%"
        if width != self._left_width:
            self._left_width = width
            self.query_one("#specs-left").styles.width = width

    def on_resize(self, event: Any) -> None:
        self._size_list()

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
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "back":  # Esc here only clears the filter: this is the first screen
            return bool(self.is_mounted and self.query_one("#specs-filter", Input).display)
        return True

    def action_filter(self) -> None:
        inp = self.query_one("#specs-filter", Input)
        inp.disabled = False
        inp.display = True
        inp.focus()
        self.refresh_bindings()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "specs-filter":
            self._refresh_table()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "specs-filter":
            event.stop()
            if not event.value:
                _hide(event.input)
                self.refresh_bindings()
            self.query_one(SpecTable).focus()

    def action_back(self) -> None:
        inp = self.query_one("#specs-filter", Input)
        if inp.display:
            inp.value = ""
            _hide(inp)
            self.query_one(SpecTable).focus()
            self._refresh_table()
            self.refresh_bindings()

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
            self.app.push_screen(
                EditorScreen(self.ctx, None, text, title=f"New spec from template: {t.title}"), self._edited
            )

        self.app.push_screen(TemplatePicker(), picked)

    def action_edit(self) -> None:
        spec = self._need_selection()
        if spec is None:
            return
        from motools_tui.screens.editor import EditorScreen

        self.app.push_screen(
            EditorScreen(self.ctx, spec.name, spec.yaml, title=f"Edit spec: {spec.name}"), self._edited
        )

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
            ctx = self.ctx

            def save() -> str:
                ctx.store.open().save_spec(name, text)
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
            ctx = self.ctx
            self.in_thread(
                lambda: ctx.store.open().delete_spec(spec.name),
                done=lambda _: (self.notify(f"Deleted spec {spec.name}"), self.reload()),
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

    def _import(self, path: str, overwrite: bool, trust: bool = False, at_start: bool = False) -> None:
        """Validate and save ``path``; ask before trusting its code or replacing a saved spec.
        ``at_start`` (``--spec``): a spec already saved under that name is kept as it is."""
        from motools.specs import UntrustedSpecError
        from motools_tui.core.actions import import_spec
        from motools_tui.modals.confirm import ConfirmModal, trust_modal

        ctx = self.ctx

        def done(result: tuple[str, bool]) -> None:
            name, replaced = result
            self.notify(f"{'Replaced' if replaced else 'Imported'} spec {name} from {path}")
            self.reload(name)

        def failed(exc: BaseException) -> None:
            if isinstance(exc, UntrustedSpecError):
                self.app.push_screen(
                    trust_modal(path, exc.callables, "Trust and import"),
                    lambda yes: self._import(path, overwrite, True, at_start) if yes else None,
                )
            elif isinstance(exc, FileExistsError):
                name = exc.args[0]
                if at_start:
                    self.reload(name)
                    return
                self.app.push_screen(
                    ConfirmModal(f"Replace spec {name}?", f"A spec named {name} is already saved.", yes="Replace"),
                    lambda yes: self._import(path, True, trust) if yes else None,
                )
            else:
                self.show_error(exc, title="Import failed")

        if not at_start:
            self.notify(f"Validating {path}…", timeout=2)
        self.in_thread(
            lambda: import_spec(ctx.store.open(), path, overwrite=overwrite, trust=trust), done=done, failed=failed
        )

    def action_export(self) -> None:
        spec = self._need_selection()
        if spec is None:
            return
        from motools.fileio import write_text
        from motools_tui.modals.export import export_file

        text = spec.yaml
        export_file(
            self,
            f"Export {spec.name} as YAML",
            f"{spec.name}.yaml",
            (".yaml", ".yml"),
            lambda p, force, make_dirs: write_text(p, text, force=force, make_dirs=make_dirs),
        )

    def action_launch(self) -> None:
        spec = self._need_selection()
        if spec is None:
            return
        from motools_tui.core.actions import check_launch, default_sweep_name, launch
        from motools_tui.modals.launch import LaunchModal

        ctx = self.ctx

        def do_launch(name: str, mp: str, force: bool) -> dict[str, Any]:
            store = ctx.store.open()
            sweep_name, max_parallel = check_launch(store, name, mp)
            return launch(store, spec.yaml, sweep_name, max_parallel, force_outputs=force)

        def launched(sweep: dict[str, Any] | None) -> None:
            if not sweep:
                return
            self.notify(f"Launched {sweep['name']} ({sweep['n_runs']} configs) in a detached worker")
            self.reload(spec.name)
            self.ask(Navigate.OpenSweep(sweep["name"]))

        self.app.push_screen(
            LaunchModal(spec.name, default_sweep_name(spec.name, ctx.clock), spec.max_parallel, spec.size, do_launch),
            launched,
        )

    def action_sweeps(self) -> None:
        self.ask(Navigate.OpenSweeps())


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
