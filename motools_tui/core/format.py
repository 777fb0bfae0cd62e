"""Text for statuses, durations, values and bars: symbols so nothing depends on colour alone."""

from __future__ import annotations

import math
from typing import Any

# Every status reads without colour: a symbol and a word.
STATUS_SYMBOLS: dict[str, str] = {
    "pending": "○",
    "running": "▶",
    "finished": "✓",
    "failed": "✗",
    "cancelled": "⊘",
    "interrupted": "!",
}
STATUS_ORDER = ("running", "pending", "finished", "failed", "cancelled")
TERMINAL_RUN = ("finished", "failed", "cancelled")


def status_symbol(status: str | None) -> str:
    return STATUS_SYMBOLS.get(status or "", "?")


def status_label(status: str | None) -> str:
    status = status or "never run"
    return f"{status_symbol(status)} {status}" if status in STATUS_SYMBOLS else status


def format_duration(seconds: float | None) -> str:
    """``0:07``, ``12:05``, ``1:02:03``; ``-`` for unknown."""
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return "-"
    s = int(seconds)
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


def format_age(seconds: float | None) -> str:
    """How long ago: ``just now``, ``5m ago``, ``3h ago``, ``2d ago``."""
    if seconds is None or not math.isfinite(seconds):
        return "-"
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)}m ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)}h ago"
    return f"{int(seconds // 86400)}d ago"


def format_value(value: Any) -> str:
    """Compact text for a parameter or metric value: ``0.0001``, ``5e-05``, ``0.733``, ``8``."""
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        return f"{value:.4g}"
    if isinstance(value, (dict, list)):
        import json

        return json.dumps(value, separators=(",", ":"), sort_keys=True)
    return str(value)


def bar(fraction: float | None, width: int) -> str:
    """A text progress bar of ``width`` cells: ``███▌░░░░``; blank-ish when unknown."""
    if width <= 0:
        return ""
    if fraction is None or not math.isfinite(fraction):
        return "·" * width
    fraction = min(1.0, max(0.0, fraction))
    eighths = int(round(fraction * width * 8))
    full, part = divmod(eighths, 8)
    partial = " ▏▎▍▌▋▊▉"[part] if part and full < width else ""
    text = "█" * full + partial.strip()
    return text + "░" * (width - len(text))


def truncate(text: str, width: int) -> str:
    """Cut ``text`` to ``width`` cells with an ellipsis (single-line; newlines become spaces)."""
    text = " ".join(str(text).split())
    if width <= 0:
        return ""
    if len(text) <= width:
        return text
    return text[: max(0, width - 1)] + "…"


def first_line(text: str | None) -> str:
    if not text:
        return ""
    for line in str(text).splitlines():
        if line.strip():
            return line.strip()
    return ""
