"""How values, durations and untrusted text are written for people: one rule for the CLI, the
app and the charts, so ``0.00012345`` reads the same everywhere.

Free of imports beyond the standard library: the app's start path uses it.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

_EXPONENT = re.compile(r"e([+-])0*(\d)")
# C0 and C1 control characters (ESC, BEL, backspace...) except tab and newline.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def format_number(value: float, digits: int = 4) -> str:
    """``0.0001``, ``5e-5``, ``0.7333``, ``1.235e6``: ``digits`` significant digits, short exponents."""
    if math.isnan(value):
        return "-"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    text = f"{value:.{digits}g}"
    return _EXPONENT.sub(lambda m: f"e{'-' if m.group(1) == '-' else ''}{m.group(2)}", text)


def format_value(value: Any) -> str:
    """Compact text for a parameter or metric value; ``-`` for a missing one."""
    if value is None:
        return "-"
    if hasattr(value, "item") and type(value).__module__ == "numpy":
        value = value.item()  # numpy scalars read like Python ones
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return format_number(value)
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, separators=(",", ":"), sort_keys=True, default=str)
    return safe_text(str(value))


def format_duration(seconds: float | None) -> str:
    """``0:07``, ``12:05``, ``1:02:03``; ``-`` for unknown."""
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return "-"
    s = round(seconds)
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


def safe_text(text: str) -> str:
    """``text`` with control characters shown as ``\\x1b`` escapes, so names and messages from a
    spec or a store can never clear a screen, set a title or move the cursor."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def first_line(text: str | None) -> str:
    """The first non-blank line, stripped and made safe."""
    for line in str(text or "").splitlines():
        if line.strip():
            return safe_text(line.strip())
    return ""


def truncate(text: str, width: int) -> str:
    """Cut ``text`` to ``width`` cells with an ellipsis (one line; newlines become spaces)."""
    text = " ".join(str(text).split())
    if width <= 0:
        return ""
    if len(text) <= width:
        return text
    return text[: max(0, width - 1)] + "…"


__all__ = ["first_line", "format_age", "format_duration", "format_number", "format_value", "safe_text", "truncate"]
