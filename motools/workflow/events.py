"""Typed ways to watch and steer a sweep from the code that started it.

``observer`` receives one :class:`RunEvent` per run transition (the CLI draws its progress
from them); a :class:`SweepControl` lets that code cancel the sweep (Ctrl-C in the CLI).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from motools.status import Status

if TYPE_CHECKING:
    from motools.workflow.plan import RunPlan
    from motools.workflow.state import WorkflowState


@dataclass(frozen=True)
class RunEvent:
    """A run changed: it started (``RUNNING``), finished (or had finished before: ``cached``),
    failed or was cancelled."""

    kind: Status
    plan: RunPlan
    state: WorkflowState | None
    cached: bool = False  # finished in an earlier attempt: nothing ran now


RunObserver = Callable[[RunEvent], None]


class SweepControl:
    """Cancel a sweep this process runs. Safe to call from a signal handler on the event loop."""

    def __init__(self) -> None:
        self._cancel: Callable[[], None] | None = None
        self.cancel_requested = False

    def attach(self, cancel: Callable[[], None]) -> None:
        """The running execution registers how to stop it (a cancel asked earlier applies at once)."""
        self._cancel = cancel
        if self.cancel_requested:
            cancel()

    @property
    def attached(self) -> bool:
        return self._cancel is not None

    def cancel(self) -> None:
        self.cancel_requested = True
        if self._cancel is not None:
            self._cancel()


__all__ = ["RunEvent", "RunObserver", "SweepControl"]
