"""An Input for file paths where Tab completes like a shell (and lists the candidates)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding
from textual.message import Message
from textual.widgets import Input

from motools_tui.core.paths import complete


class PathInput(Input):
    BINDINGS = [Binding("tab", "complete", "Complete path", id="path.complete")]

    @dataclass
    class Completed(Message):
        """Tab found several candidates (empty when it completed to one or found none)."""

        input: PathInput
        candidates: list[str]

    def __init__(
        self,
        value: str = "",
        *,
        suffixes: tuple[str, ...] = (),
        cwd: str | None = None,
        id: str | None = None,
        placeholder: str = "",
    ) -> None:
        super().__init__(value, id=id, placeholder=placeholder)
        self.suffixes = suffixes
        self.cwd = cwd

    def action_complete(self) -> None:
        new, candidates = complete(self.value, self.cwd, self.suffixes)
        if new != self.value:
            self.value = new
            self.cursor_position = len(new)
        self.post_message(self.Completed(self, candidates))
