"""Which metrics are primary: ``stderr``, ``std`` and ``var`` accompany a metric, and are shown
or collated only when asked for by name. One rule for collation, the CLI and the app."""

from __future__ import annotations

from collections.abc import Iterable

COMPANION_METRICS = ("stderr", "std", "var")


def is_companion(metric: str) -> bool:
    return metric.rsplit("/", 1)[-1] in COMPANION_METRICS


def primary_metrics(metrics: Iterable[str]) -> list[str]:
    """The primary metrics in order, or every metric when none is primary."""
    names = list(metrics)
    primary = [m for m in names if not is_companion(m)]
    return primary or names


__all__ = ["COMPANION_METRICS", "is_companion", "primary_metrics"]
