"""The YAML editor: validates on save, marks each problem's line in the gutter and lists it with
its field path.

Nothing is written until the spec is valid. Saving goes through the same validation as an
import (``motools.specs.load_spec_text``, with its trust check: code outside the trusted
modules is listed and confirmed first). The spec is saved under its ``name:``; changing the
name of an existing spec renames it.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from motools.text import safe_text
from motools_tui.components.key_bar import KeyBar
from motools_tui.components.spec_editor import SpecEditor
from motools_tui.context import AppContext
from motools_tui.core.specinfo import Problem, line_of_key
from motools_tui.screens.base import BaseScreen


class EditorScreen(BaseScreen):
    """Dismisses with the saved spec's name, or None when left without saving."""

    HELP_TITLE = "Spec editor"
    HELP = """
Edit the spec's YAML; Enter keeps the line's indentation (one level more after a key that opens
a block). Save (ctrl+s) validates it fully, against the workflow's config models, the grid's
paths and the import strings; each problem's line is marked ✗ in the gutter and the problems
are listed under the editor with their field path, and nothing is saved until there are none.
F8 (or Enter on a problem) moves the cursor to the next problem's line. A spec that names code
outside the trusted modules asks before it is trusted. Esc leaves (asking first if there are
unsaved changes).
"""
    KEY_PRIORITY = ("editor.save", "editor.next_problem")

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="editor.save", tooltip="Validate and save", priority=True),
        Binding(
            "f8", "next_problem", "Next problem", id="editor.next_problem", tooltip="Jump to the next problem's line"
        ),
        Binding("escape", "back", "Back", id="screen.back", tooltip="Leave the editor (asks if unsaved)"),
        Binding("f1", "help", "Help", id="screen.help", tooltip="Help for this screen"),
    ]

    def __init__(self, ctx: AppContext, original: str | None, text: str, title: str) -> None:
        super().__init__(ctx)
        self.original = original
        self.initial = text
        self.title_text = title
        self.problems: list[Problem] = []
        self.saving = False
        self._problem_i = -1

    def compose(self) -> ComposeResult:
        yield Static(Content(safe_text(self.title_text)), id="title", classes="screen-title")
        yield SpecEditor(self.initial, id="editor")
        yield Static("", id="editor-status")
        yield OptionList(id="editor-problems")
        yield KeyBar(self.KEY_PRIORITY)

    def on_mount(self) -> None:
        self.query_one("#editor-problems", OptionList).display = False
        self._status("ctrl+s validates and saves · F8 jumps to the next problem · Esc leaves")
        self.query_one(SpecEditor).focus()
        self.ready("editor")

    @property
    def text(self) -> str:
        return self.query_one(SpecEditor).text

    @property
    def modified(self) -> bool:
        return self.text != self.initial

    def quit_guard(self) -> str | None:
        """Why quitting now needs a confirmation (the app asks every screen before it quits)."""
        return "The spec has unsaved changes." if self.modified else None

    def _status(self, text: str, style: str = "dim") -> None:
        self.query_one("#editor-status", Static).update(Content.styled(text, style))

    def action_save(self, trust: bool = False) -> None:
        if self.saving:
            return
        self.saving = True
        self._status("validating…")
        text = self.text
        ctx = self.ctx
        original = self.original

        def save() -> tuple[str | None, list[Problem]]:
            from motools_tui.core.specinfo import validate

            store = ctx.store.open()
            spec, problems = validate(text, source=original or "new spec", trust=trust, home=store.home)
            if problems:
                return None, problems
            name = spec.name
            if name != original and store.get_spec(name) is not None:
                return None, [
                    Problem(
                        "name", f"a spec named {name!r} already exists; choose another name", line_of_key(text, "name")
                    )
                ]
            store.save_spec(name, text)
            if original and name != original:
                store.delete_spec(original)
            return name, []

        self.in_thread(save, done=self._saved, failed=self._save_failed)

    def _save_failed(self, exc: BaseException) -> None:
        from motools.specs import UntrustedSpecError

        self.saving = False
        if isinstance(exc, UntrustedSpecError):
            from motools_tui.modals.confirm import trust_modal

            self._status("not saved: the spec names code that is not trusted yet", "$warning")
            self.app.push_screen(
                trust_modal("This spec", exc.callables, "Trust and save"),
                lambda yes: self.action_save(trust=True) if yes else None,
            )
            return
        self._status("not saved", "$error")
        self.show_error(exc, title="Save failed")

    def _saved(self, result: tuple[str | None, list[Problem]]) -> None:
        self.saving = False
        name, problems = result
        if problems:
            self._show_problems(problems)
            return
        renamed = f" (renamed from {self.original})" if self.original and name != self.original else ""
        self.notify(f"Saved spec {name}{renamed}")
        self.dismiss(name)

    def _show_problems(self, problems: list[Problem]) -> None:
        self.problems = problems
        self.query_one(SpecEditor).mark_errors({p.line for p in problems if p.line})
        ol = self.query_one("#editor-problems", OptionList)
        ol.clear_options()
        for i, p in enumerate(problems):
            where = f"line {p.line:>3}  " if p.line else "          "
            ol.add_option(
                Option(
                    Content.assemble(
                        ("✗ ", "$error"),
                        (where, "bold"),
                        (safe_text(p.path or "<root>"), "$accent"),
                        f": {safe_text(p.message)}",
                    ),
                    id=str(i),
                )
            )
        ol.display = True
        n = len(problems)
        self._status(
            f"not saved: {n} problem{'s' if n != 1 else ''}, marked ✗ in the gutter (F8: next; fix them and "
            "ctrl+s again)",
            "$error",
        )
        self._problem_i = -1

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self._goto(int(event.option.id))

    def action_next_problem(self) -> None:
        if not self.problems:
            return
        self._problem_i = (self._problem_i + 1) % len(self.problems)
        self.query_one("#editor-problems", OptionList).highlighted = self._problem_i
        self._goto(self._problem_i)

    def _goto(self, i: int) -> None:
        p = self.problems[i]
        editor = self.query_one(SpecEditor)
        if p.line:
            row = max(0, min(p.line - 1, editor.document.line_count - 1))
            editor.move_cursor((row, 0), center=True)
        editor.focus()

    def action_back(self) -> None:
        if not self.modified:
            self.dismiss(None)
            return
        from motools_tui.modals.confirm import ConfirmModal

        def answered(yes: bool | None) -> None:
            if yes:
                self.dismiss(None)

        self.app.push_screen(ConfirmModal("Discard changes?", "The spec has unsaved changes.", yes="Discard"), answered)
