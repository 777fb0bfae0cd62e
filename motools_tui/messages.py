"""Messages between screens and the app.

Screens post :class:`Navigate` and :class:`Act` messages; they bubble to the app, which opens
screens and runs the shared actions (cancel, retry, errors). The app answers with
:class:`StoreChanged` when it changed the store, so the screen reads again now rather than at
its next poll. Each poller posts its own typed :class:`Polled` message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.message import Message


class Navigate:
    """Open a screen (handled by the app: ``on_navigate_open_sweep`` ...)."""

    @dataclass
    class OpenSpecs(Message):
        pass

    @dataclass
    class OpenSweeps(Message):
        pass

    @dataclass
    class OpenSweep(Message):
        name: str

    @dataclass
    class OpenRun(Message):
        sweep: str
        run_id: int

    @dataclass
    class OpenResults(Message):
        name: str


class Act:
    """Shared actions the app runs for any screen."""

    @dataclass
    class CancelSweep(Message):
        """Ask first, then cancel the whole sweep."""

        name: str

    @dataclass
    class RetrySweep(Message):
        """Start a new worker for the sweep's unfinished, failed and cancelled runs (``elsewhere``:
        ask first on which executor)."""

        name: str
        elsewhere: bool = False

    @dataclass
    class ShowError(Message):
        error: BaseException
        title: str = "Error"

    @dataclass
    class Ready(Message):
        """A screen shows its data (tests and benchmarks wait on it)."""

        screen: str


@dataclass
class StoreChanged(Message):
    """Sent by the app to a screen after it changed the store: poll now."""


class Polled:
    """What a screen's poller read (only when something changed)."""

    @dataclass
    class Specs(Message):
        summaries: list[Any]

    @dataclass
    class Sweeps(Message):
        rows: list[dict[str, Any]]

    @dataclass
    class Sweep(Message):
        update: Any  # motools.store.watch.SweepUpdate

    @dataclass
    class Run(Message):
        update: Any  # motools.store.watch.RunUpdate

    @dataclass
    class Results(Message):
        data: Any  # (ResultsData, the View its rows were selected for, row positions, filter error)

    @dataclass
    class Failed(Message):
        error: BaseException


__all__ = ["Act", "Navigate", "Polled", "StoreChanged"]
