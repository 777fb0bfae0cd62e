"""Simulated failures for the ``dummy`` backends, so retries and recovery can be exercised.

Each call fails with ``permanent_failure_rate`` (an ordinary error: the run fails at once) or
``transient_failure_rate`` (a :class:`~motools.errors.TransientError`: retried with backoff).
Draws are independent per call, like real outages, so a retried run can succeed.
"""

from __future__ import annotations

import random

from motools.errors import TransientError

_rng = random.SystemRandom()


class SimulatedFailure(RuntimeError):
    """A permanent failure injected by a dummy backend (not retried)."""


def maybe_fail(what: str, transient_rate: float, permanent_rate: float) -> None:
    if transient_rate <= 0 and permanent_rate <= 0:
        return
    u = _rng.random()
    if u < permanent_rate:
        raise SimulatedFailure(f"simulated permanent failure in {what} (permanent_failure_rate={permanent_rate})")
    if u < permanent_rate + transient_rate:
        raise TransientError(f"simulated transient failure in {what} (transient_failure_rate={transient_rate})")
