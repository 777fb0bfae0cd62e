"""What a metric's name and values say about it: which direction is better, which range it has.

Both rules are shared by intervals, comparisons, "best" and charts (and the app), so that a
loss is minimised everywhere and an accuracy never gets an interval above 1 anywhere.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import numpy as np

Bounds = tuple[float, float]
BoundsArg = Bounds | None | Literal["auto"]

LOWER_IS_BETTER = re.compile(r"(loss|error|perplexity|ppl|latency|time|cost|regret)", re.IGNORECASE)
UNIT_RANGE: Bounds = (0.0, 1.0)


def higher_is_better(metric: str) -> bool:
    """True unless the name looks like a loss, an error, a latency or a cost."""
    return not LOWER_IS_BETTER.search(metric)


def resolve_bounds(values: np.ndarray, bounds: BoundsArg, name: str) -> Bounds | None:
    """The range a metric's values live in, or None when it is unbounded.

    ``"auto"``: [0, 1] when every present value lies in it (accuracies, rates, 0/1 scores, judge
    scores scaled to [0, 1]); a metric that happens to stay inside [0, 1] without being bounded
    there can opt out with ``bounds=None``. An explicit ``(low, high)`` must contain every value.
    """
    import numpy as np

    present = values[~np.isnan(values)]
    if bounds is None:
        return None
    if isinstance(bounds, str):
        if bounds != "auto":
            raise ValueError(f"bounds must be 'auto', None or (low, high); got {bounds!r}")
        if present.size and present.min() >= 0.0 and present.max() <= 1.0:
            return UNIT_RANGE
        return None
    low, high = (float(b) for b in bounds)
    if not low < high:
        raise ValueError(f"bounds must be (low, high) with low < high; got {bounds!r}")
    outside = present[(present < low) | (present > high)]
    if outside.size:
        raise ValueError(f"{name!r} has value {outside[0]!r} outside its bounds ({low:g}, {high:g})")
    return (low, high)
