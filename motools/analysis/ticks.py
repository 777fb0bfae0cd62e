"""Axis decisions shared by both renderers: log or linear, where ticks go, how they read.

Computed once in the chart data so the terminal and the PNG show the same ticks, labelled the
way researchers write hyperparameters (``1e-5``, ``5e-5``, ``16``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

# A positive numeric axis spanning at least this ratio is drawn on a log scale.
LOG_AXIS_RATIO = 10.0
# Up to this many distinct values, ticks sit on the swept values themselves.
MAX_VALUE_TICKS = 10
LEARNING_RATE_NAMES = ("lr", "learning_rate")


def is_learning_rate(name: str) -> bool:
    """``lr``, ``learning_rate`` and their prefixed forms (``actor_lr``, ``optim.learning_rate``)."""
    leaf = str(name).lower().rsplit(".", 1)[-1]
    return any(leaf == n or leaf.endswith("_" + n) for n in LEARNING_RATE_NAMES)


def wants_log(values: Sequence[float], name: str = "") -> bool:
    """Log scale for positive values spanning at least 10×, or any positive learning rate."""
    positive = [float(v) for v in values if math.isfinite(float(v))]
    if not positive or min(positive) <= 0:
        return False
    if is_learning_rate(name):
        return True
    # The tolerance keeps float noise (1e-4 / 1e-5 == 9.999999999999998) from deciding.
    return max(positive) / min(positive) >= LOG_AXIS_RATIO * (1 - 1e-9)


def format_tick(value: float, scientific: bool = False) -> str:
    """``1e-5``, ``5e-5``, ``0.25``, ``16``: short, no ``e-05`` zero padding."""
    value = float(value)
    if value == 0:
        return "0"
    if not scientific and value.is_integer() and abs(value) < 1e6:
        return str(int(value))
    if scientific or abs(value) < 1e-3 or abs(value) >= 1e6:
        mantissa, exponent = f"{value:.2e}".split("e")
        mantissa = mantissa.rstrip("0").rstrip(".")
        return f"{mantissa}e{int(exponent)}"
    return f"{value:.4g}"


def tick_labels(ticks: Sequence[float], log: bool) -> list[str]:
    """Labels for one axis: all in scientific notation on a log axis that reaches below 1e-3,
    so ``1e-4`` never sits next to ``0.001``."""
    scientific = log and any(0 < abs(t) < 1e-3 for t in ticks) and not all(float(t).is_integer() for t in ticks)
    return [format_tick(t, scientific) for t in ticks]


def nice_ticks(low: float, high: float, target: int = 5, integer: bool = False) -> list[float]:
    """Round ticks (steps of 1, 2 or 5 × 10^k) covering [low, high]; integers only if asked."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return []
    if high < low:
        low, high = high, low
    if high == low:
        return [low]
    raw = (high - low) / max(target - 1, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    if integer:
        step = max(1.0, math.ceil(step))
    first = math.ceil(low / step - 1e-9) * step
    ticks = []
    k = 0
    while first + k * step <= high + step * 1e-9:
        ticks.append(round(first + k * step, 12))
        k += 1
    return ticks


def log_ticks(low: float, high: float) -> list[float]:
    """Decades inside [low, high]; with fewer than two, the 2× and 5× marks as well."""
    lo, hi = math.floor(math.log10(low)), math.ceil(math.log10(high))
    decades = [10.0**k for k in range(lo, hi + 1) if low * (1 - 1e-9) <= 10.0**k <= high * (1 + 1e-9)]
    if len(decades) >= 2:
        return decades
    marks = [m * 10.0**k for k in range(lo, hi + 1) for m in (1, 2, 5)]
    return [t for t in marks if low * (1 - 1e-9) <= t <= high * (1 + 1e-9)]


def axis_ticks(values: Sequence[float], log: bool, integer: bool) -> tuple[list[float], list[str]]:
    """Ticks for a numeric axis: the swept values when there are few, round numbers otherwise."""
    distinct = sorted({float(v) for v in values if math.isfinite(float(v))})
    if not distinct:
        return [], []
    if len(distinct) <= MAX_VALUE_TICKS:
        ticks = distinct
    elif log:
        ticks = log_ticks(distinct[0], distinct[-1])
    else:
        ticks = nice_ticks(distinct[0], distinct[-1], integer=integer)
    return ticks, tick_labels(ticks, log)
