"""Synthetic frames in the shapes ``collate_sweep`` returns, and a vectorised sweep simulator.

Per-sample frame: swept parameters, ``run, status, task, sample_id, epoch``, score columns,
``answer, target``. Run-level frame: parameters, ``run, status, task``, metrics.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pandas as pd
from numpy.polynomial.hermite_e import hermegauss
from scipy import optimize
from scipy.special import expit

_GH_X, _GH_W = hermegauss(40)
_GH_W = _GH_W / _GH_W.sum()


def mean_expit(location: np.ndarray | float, sd: float) -> np.ndarray:
    """E[expit(location + sd·Z)], Z standard normal (Gauss–Hermite quadrature)."""
    return (expit(np.asarray(location, dtype=float)[..., None] + sd * _GH_X) * _GH_W).sum(-1)


def logit_location(mean: float, sd: float) -> float:
    """The location a with E[expit(a + sd·Z)] = mean."""
    return float(optimize.brentq(lambda a: mean_expit(a, sd) - mean, -30.0, 30.0))


def sample_frame(
    grid: dict[str, list[Any]],
    seeds: int,
    n_samples: int,
    *,
    accuracy: dict[Any, float] | None = None,
    seed_sd: float = 0.3,
    difficulty_sd: float = 1.0,
    epochs: int = 1,
    tasks: tuple[str, ...] = ("qa",),
    rng: np.random.Generator | None = None,
) -> pd.DataFrame:
    """A small per-sample frame: every config and seed scored on the same samples.

    ``accuracy`` maps the first grid parameter's values to the config's expected score;
    difficulty and seed effects act on the logit scale.
    """
    rng = rng or np.random.default_rng(0)
    names = list(grid)
    difficulty = {task: rng.normal(0.0, difficulty_sd, n_samples) for task in tasks}
    rows = []
    run = 0
    for values in itertools.product(*grid.values()):
        params = dict(zip(names, values, strict=True))
        target = (accuracy or {}).get(values[0], 0.7)
        location = logit_location(target, float(np.hypot(seed_sd, difficulty_sd)))
        for seed in range(seeds):
            effect = rng.normal(0.0, seed_sd)
            for task in tasks:
                p = expit(location + effect + difficulty[task])
                for epoch in range(1, epochs + 1):
                    hits = rng.random(n_samples) < p
                    for i in range(n_samples):
                        rows.append(
                            {
                                **params,
                                "seed": seed,
                                "run": run,
                                "status": "finished",
                                "task": task,
                                "sample_id": f"s{i}",
                                "epoch": epoch,
                                "match": float(hits[i]),
                                "judge/aligned": float(np.clip(p[i] + rng.normal(0, 0.1), 0, 1)),
                                "answer": "A" if hits[i] else "B",
                                "target": "A",
                            }
                        )
            run += 1
    return pd.DataFrame(rows)


def simulated_sweep(
    means: list[float],
    seeds: int,
    n_samples: int,
    repeats: int,
    *,
    seed_sd: float = 0.3,
    difficulty_sd: float = 1.0,
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, np.ndarray]:
    """``repeats`` independent sweeps per true mean, as one per-sample frame (vectorised).

    Each (mean, repeat) is one config with its own eval set drawn from the task population
    (sample difficulty ~ N(0, difficulty_sd) on the logit scale, shared by the config's seeds)
    and ``seeds`` runs (seed effect ~ N(0, seed_sd)); scores are 0/1. Returns the frame (group
    columns ``true_mean, repeat``) and the truth per group in the frame's group order: the
    run's expected score over the task population for one seed, the config's expected score
    over seeds and samples otherwise.
    """
    blocks, truths = [], []
    for mean in means:
        location = logit_location(mean, float(np.hypot(seed_sd, difficulty_sd)))
        effect = rng.normal(0.0, seed_sd, (repeats, seeds, 1))
        difficulty = rng.normal(0.0, difficulty_sd, (repeats, 1, n_samples))
        scores = (rng.random((repeats, seeds, n_samples)) < expit(location + effect + difficulty)).astype(float)
        repeat = np.repeat(np.arange(repeats), seeds * n_samples)
        run = np.repeat(np.arange(repeats * seeds), n_samples)
        blocks.append(
            pd.DataFrame(
                {
                    "true_mean": mean,
                    "repeat": repeat,
                    "seed": run % seeds,
                    "run": run,
                    "task": "qa",
                    "sample_id": np.tile(np.arange(n_samples), repeats * seeds),
                    "epoch": 1,
                    "match": scores.ravel(),
                }
            )
        )
        if seeds == 1:
            truths.append(mean_expit(location + effect[:, 0, 0], difficulty_sd))
        else:
            truths.append(np.full(repeats, mean))
    return pd.concat(blocks, ignore_index=True), np.concatenate(truths)
