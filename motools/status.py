"""The one status vocabulary of runs, steps and sweeps, and how each reads on a screen.

Stored values are the enum's string values; ``INTERRUPTED`` and ``STALLED`` are never stored:
readers derive them from a ``running`` sweep and its worker's liveness
(:func:`motools.liveness.shown_status`). Kept free of imports so the app's start path and the
CLI can use it for nothing.
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"
    CANCELLED = "cancelled"
    # Shown only: a running sweep whose worker is gone, or alive but not beating.
    INTERRUPTED = "interrupted"
    STALLED = "stalled"

    @property
    def symbol(self) -> str:
        return SYMBOLS[self]

    @property
    def label(self) -> str:
        """Symbol and word, so a status reads without colour: ``✓ finished``."""
        return f"{SYMBOLS[self]} {self.value}"


# What each table may hold (the schema's CHECK-free columns are kept honest by these).
RUN_STATUSES = frozenset({Status.PENDING, Status.RUNNING, Status.FINISHED, Status.FAILED, Status.CANCELLED})
STEP_STATUSES = frozenset({Status.RUNNING, Status.FINISHED, Status.FAILED, Status.CANCELLED})
SWEEP_STATUSES = RUN_STATUSES

# A run or sweep in one of these has ended; anything else may still change.
TERMINAL = frozenset({Status.FINISHED, Status.FAILED, Status.CANCELLED})
UNFINISHED = frozenset({Status.PENDING, Status.RUNNING})
# Runs a resume or retry runs again.
RETRYABLE = frozenset({Status.PENDING, Status.RUNNING, Status.FAILED, Status.CANCELLED})

SYMBOLS: dict[Status, str] = {
    Status.PENDING: "○",
    Status.RUNNING: "▶",
    Status.FINISHED: "✓",
    Status.FAILED: "✗",
    Status.CANCELLED: "⊘",
    Status.INTERRUPTED: "!",
    Status.STALLED: "‖",
}


def parse_status(value: str | None) -> Status | None:
    """A stored value as a :class:`Status`; ``None`` for a missing or unknown one."""
    try:
        return Status(value) if value else None
    except ValueError:
        return None


def status_label(value: str | None, missing: str = "never run") -> str:
    """``✓ finished`` for a known status, the text itself otherwise, ``missing`` for none."""
    status = parse_status(value)
    if status is None:
        return value or missing
    return status.label


__all__ = [
    "RETRYABLE",
    "RUN_STATUSES",
    "STEP_STATUSES",
    "SWEEP_STATUSES",
    "SYMBOLS",
    "TERMINAL",
    "UNFINISHED",
    "Status",
    "parse_status",
    "status_label",
]
