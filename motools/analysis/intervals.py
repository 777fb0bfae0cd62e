"""Interval formulas, vectorised over groups: every function takes and returns arrays.

Kept apart from the decision of which interval a group gets (``stats.py``) so each formula can
be checked against a textbook computation on its own.
"""

from __future__ import annotations

import numpy as np

# Keeps the resample-mean matrix of one batch of equal-size groups under ~32 MB.
_MAX_BATCH_CELLS = 4_000_000


def normal_quantile(confidence: float) -> float:
    from scipy import stats

    return float(stats.norm.ppf((1.0 + confidence) / 2.0))


def t_quantile(confidence: float, df: np.ndarray) -> np.ndarray:
    from scipy import stats

    return np.asarray(stats.t.ppf((1.0 + confidence) / 2.0, df), dtype=float)


def t_bounds(mean: np.ndarray, var_of_mean: np.ndarray, crit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``mean ± crit · sqrt(var_of_mean)``: the t interval when ``crit`` is a t quantile."""
    half = crit * np.sqrt(var_of_mean)
    return mean - half, mean + half


def score_bounds(
    p: np.ndarray, var_of_mean: np.ndarray, crit: np.ndarray, n_fallback: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a mean ``p`` in [0, 1] whose variance is ``var_of_mean``.

    The effective sample size ``n = p(1-p) / var_of_mean`` (Korn & Graubard 1998) makes this the
    textbook Wilson interval for independent 0/1 outcomes (variance p(1-p)/n) and a design-effect
    Wilson interval for anything else: clustered outcomes, scores between 0 and 1. It always lies
    inside [0, 1]. Where the variance is 0 (every value equal) ``n_fallback`` is used instead.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        n = np.where(var_of_mean > 0, p * (1.0 - p) / var_of_mean, n_fallback)
    n = np.where(np.isfinite(n) & (n > 0), n, n_fallback).astype(float)
    c2 = crit * crit
    denom = 1.0 + c2 / n
    centre = (p + c2 / (2.0 * n)) / denom
    half = crit / denom * np.sqrt(np.maximum(p * (1.0 - p), 0.0) / n + c2 / (4.0 * n * n))
    return np.clip(centre - half, 0.0, 1.0), np.clip(centre + half, 0.0, 1.0)


def bootstrap_bounds(
    codes: np.ndarray,
    values: np.ndarray,
    count: np.ndarray,
    confidence: float,
    seed: int,
    n_resamples: int,
    lower: np.ndarray,
    upper: np.ndarray,
) -> None:
    """Percentile bootstrap of each group's mean, filled into ``lower``/``upper`` in place.

    A group of size n is resampled with ``rng = np.random.default_rng([seed, n])`` and
    ``idx = rng.integers(0, n, size=(n_resamples, n))``; seeding by size rather than position
    makes a group's interval independent of the other groups and lets groups of one size share
    one index draw. ``values[idx].mean(axis=1)`` for all same-size groups equals ``V @ C.T / n``
    (row g of V holds group g's values, ``C[r, j]`` counts index j in resample r), so BLAS does
    every group of a size at once.
    """
    order = np.argsort(codes, kind="stable")
    starts = np.concatenate(([0], np.cumsum(count)[:-1]))
    sorted_values = values[order]
    q = [50.0 * (1.0 - confidence), 50.0 * (1.0 + confidence)]
    for n in np.unique(count[count >= 2]):
        n = int(n)
        rng = np.random.default_rng([seed, n])
        idx = rng.integers(0, n, size=(n_resamples, n))
        flat = (np.arange(n_resamples)[:, None] * n + idx).ravel()
        tally = np.bincount(flat, minlength=n_resamples * n).reshape(n_resamples, n)
        tally = tally.astype(float) / n
        members = np.flatnonzero(count == n)
        batch = max(1, _MAX_BATCH_CELLS // n_resamples)
        for first in range(0, len(members), batch):
            chunk = members[first : first + batch]
            rows = sorted_values[starts[chunk][:, None] + np.arange(n)]
            means = rows @ tally.T
            lower[chunk], upper[chunk] = np.percentile(means, q, axis=1)
