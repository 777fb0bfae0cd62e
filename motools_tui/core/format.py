"""Text for statuses and progress bars; values and durations use :mod:`motools.text`.

Every status reads without colour: a symbol and a word (:class:`motools.status.Status`).
"""

from __future__ import annotations

import math

from motools.liveness import Liveness, status_shown
from motools.status import Status, parse_status, status_label
from motools.text import first_line, format_age, format_duration, format_value, truncate


def status_symbol(status: str | None) -> str:
    found = parse_status(status)
    return found.symbol if found is not None else "?"


def read_status(stored: str | None, live: Liveness, n_failed: int, n_cancelled: int, message: str | None) -> Status:
    """A sweep's status as a researcher reads it: interrupted or stalled by its worker's
    liveness, and cancelled (never failed) when configs were cancelled and none failed. A sweep
    whose worker could not start (``message``) stays failed."""
    status = status_shown(stored, live)
    if status == Status.FAILED and not n_failed and n_cancelled and not message:
        return Status.CANCELLED
    return status


def bar(fraction: float | None, width: int) -> str:
    """A text progress bar of ``width`` cells: ``███▌░░░░``; dotted when unknown."""
    if width <= 0:
        return ""
    if fraction is None or not math.isfinite(fraction):
        return "·" * width
    fraction = min(1.0, max(0.0, fraction))
    eighths = round(fraction * width * 8)
    full, part = divmod(eighths, 8)
    partial = " ▏▎▍▌▋▊▉"[part] if part and full < width else ""
    text = "█" * full + partial.strip()
    return text + "░" * (width - len(text))


__all__ = [
    "Status",
    "bar",
    "first_line",
    "format_age",
    "format_duration",
    "format_value",
    "read_status",
    "status_label",
    "status_symbol",
    "truncate",
]
