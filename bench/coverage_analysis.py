"""Coverage of 95% intervals on simulated sweeps: ``.venv/bin/python bench/coverage_analysis.py``.

The simulation behind the choices in ``docs/analysis.md`` (not part of ``make bench``; about a
minute on 2 cores). Each config's 100 samples are a draw from the task population (logit
difficulty ~ N(0, 1)) shared by its seeds; each seed shifts the logit by N(0, 0.3²); scores
are 0/1. Truth: the run's expected score over the task population for 1 seed, the config's
expected score over seeds and samples otherwise. 2,000 repetitions per cell.

Prints, per number of seeds and true mean: coverage of ``compute_ci_df`` (what motools does)
and of the alternatives it was chosen over, computed on the same data; then the calibration
of ``compare_configs`` (false positives under the null, coverage of a true difference).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import expit, logit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from motools.analysis.compare import compare_configs
from motools.analysis.intervals import score_bounds
from motools.analysis.stats import compute_ci_df
from tests.analysis.synthetic import logit_location, mean_expit, simulated_sweep

REPEATS = 2000
SAMPLES = 100


def alternatives(table: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Other intervals for the mean, from a (repeats, seeds, samples) array of 0/1 scores."""
    reps, seeds, n = table.shape
    run_means = table.mean(axis=2)
    mean = run_means.mean(axis=1)
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    t = stats.t.ppf(0.975, seeds - 1)
    half = t * run_means.std(axis=1, ddof=1) / np.sqrt(seeds)
    out["t on run means, clipped"] = (np.clip(mean - half, 0, 1), np.clip(mean + half, 0, 1))
    logits = logit((run_means * n + 0.5) / (n + 1))
    centre, spread = logits.mean(axis=1), t * logits.std(axis=1, ddof=1) / np.sqrt(seeds)
    out["t on logit run means"] = (expit(centre - spread), expit(centre + spread))
    draws = np.random.default_rng(0).integers(0, seeds, size=(1000, seeds))
    boot = run_means[:, draws].mean(axis=2)
    out["cluster bootstrap (runs)"] = tuple(np.percentile(boot, [2.5, 97.5], axis=1))  # type: ignore[assignment]  # percentile of a 2-row stack: a pair
    var_runs = run_means.var(axis=1, ddof=1) / seeds
    out["wilson-t, run spread only"] = score_bounds(mean, var_runs, np.full(reps, t), np.full(reps, seeds * n))
    sample_means = table.mean(axis=1)
    residual = table - run_means[:, :, None] - sample_means[:, None, :] + mean[:, None, None]
    ms_samples = seeds * ((sample_means - mean[:, None]) ** 2).sum(axis=1) / (n - 1)
    ms_residual = (residual**2).sum(axis=(1, 2)) / ((seeds - 1) * (n - 1))
    var_samples = np.maximum(ms_samples - ms_residual, 0) / (seeds * n)
    var = var_runs + var_samples
    with np.errstate(invalid="ignore", divide="ignore"):
        dof = var**2 / (var_runs**2 / (seeds - 1) + var_samples**2 / (n - 1))
    out["crossed, Satterthwaite df"] = score_bounds(
        mean, var, stats.t.ppf(0.975, np.nan_to_num(dof, nan=seeds - 1)), np.full(reps, seeds * n)
    )
    return out


def interval_coverage() -> None:
    print(f"Coverage of 95% intervals, {REPEATS:,} repetitions, {SAMPLES} samples per run (mean width)\n")
    for seeds in (1, 2, 3, 5, 10):
        rng = np.random.default_rng(1000 + seeds)
        samples, truth = simulated_sweep([0.5, 0.9], seeds, SAMPLES, REPEATS, rng=rng)
        ci = compute_ci_df(samples, "match", ["true_mean", "repeat"], cluster_col="run")
        covered = (ci["lower_bound"] <= truth) & (truth <= ci["upper_bound"])
        width = ci["upper_bound"] - ci["lower_bound"]
        table = samples["match"].to_numpy().reshape(2, REPEATS, seeds, SAMPLES)
        for k, mean in enumerate((0.5, 0.9)):
            rows = (ci["true_mean"] == mean).to_numpy()
            label = f"{seeds:>2} seed(s), true mean {mean}"
            method = ci["method"][rows].iloc[0]
            print(f"{label}: compute_ci_df ({method}) {covered[rows].mean():.3f} ({width[rows].mean():.3f})")
            if seeds == 1:
                continue
            part_truth = truth[rows]
            for name, (low, high) in alternatives(table[k]).items():
                cover = np.mean((low <= part_truth) & (part_truth <= high))
                print(f"{'':<28}{name:<28} {cover:.3f} ({np.mean(high - low):.3f})")
        print()


def variant(seeds: int, mean: float, rng: np.random.Generator, **kw: float) -> tuple[pd.DataFrame, np.ndarray]:
    """One cell of the robustness table: continuous scores and epochs on top of the base model."""
    difficulty_sd, seed_sd = kw.get("difficulty_sd", 1.0), kw.get("seed_sd", 0.3)
    epochs, continuous = int(kw.get("epochs", 1)), bool(kw.get("continuous", 0))
    location = logit_location(mean, float(np.hypot(difficulty_sd, seed_sd)))
    effect = rng.normal(0.0, seed_sd, (REPEATS, seeds, 1, 1))
    difficulty = rng.normal(0.0, difficulty_sd, (REPEATS, 1, SAMPLES, 1))
    p = np.broadcast_to(expit(location + effect + difficulty), (REPEATS, seeds, SAMPLES, epochs))
    # Continuous scores: Beta with mean p (a judge's 0-1 score); else 0/1.
    scores = rng.beta(p * 4, (1 - p) * 4) if continuous else (rng.random(p.shape) < p).astype(float)
    frame = pd.DataFrame(
        {
            "repeat": np.repeat(np.arange(REPEATS), seeds * SAMPLES * epochs),
            "run": np.repeat(np.arange(REPEATS * seeds), SAMPLES * epochs),
            "task": "qa",
            "sample_id": np.tile(np.repeat(np.arange(SAMPLES), epochs), REPEATS * seeds),
            "epoch": np.tile(np.arange(epochs), REPEATS * seeds * SAMPLES),
            "score": scores.ravel(),
        }
    )
    truth = mean_expit(location + effect[:, 0, 0, 0], difficulty_sd) if seeds == 1 else np.full(REPEATS, mean)
    return frame, truth


def robustness() -> None:
    cases = {
        "no difficulty spread": {"difficulty_sd": 0.0},
        "no seed spread": {"seed_sd": 0.0},
        "large spreads (difficulty 1.5, seed 0.5)": {"difficulty_sd": 1.5, "seed_sd": 0.5},
        "continuous scores in [0, 1]": {"continuous": 1},
        "3 epochs per sample": {"epochs": 3},
    }
    print("Robustness: compute_ci_df coverage in other settings (true mean 0.5 / 0.9)")
    rng = np.random.default_rng(77)
    for name, kw in cases.items():
        cells = []
        for seeds in (1, 3, 10):
            for mean in (0.5, 0.9):
                frame, truth = variant(seeds, mean, rng, **kw)
                ci = compute_ci_df(frame, "score", "repeat", cluster_col="run")
                cells.append(f"{np.mean((ci['lower_bound'] <= truth) & (truth <= ci['upper_bound'])):.3f}")
        print(
            f"  {name:<42} 1 seed {cells[0]}/{cells[1]}  3 seeds {cells[2]}/{cells[3]}  10 seeds {cells[4]}/{cells[5]}"
        )
    print()


def comparison_calibration() -> None:
    print("compare_configs: two configs on the same 100 samples, 1,000 repetitions")
    rng = np.random.default_rng(5)
    reps, n = 1000, SAMPLES
    for seeds in (1, 3, 10):
        for shift in (0.0, 0.4):
            location = logit_location(0.7, float(np.hypot(1.0, 0.3)))
            difficulty = rng.normal(0.0, 1.0, (reps, 1, n))
            blocks, effects = [], []
            for config, loc in enumerate((location, location + shift)):
                effect = rng.normal(0.0, 0.3, (reps, seeds, 1))
                effects.append(loc + effect[:, :, 0])
                scores = (rng.random((reps, seeds, n)) < expit(loc + effect + difficulty)).astype(float)
                blocks.append(
                    pd.DataFrame(
                        {
                            "cfg": config,
                            "repeat": np.repeat(np.arange(reps), seeds * n),
                            "run": np.repeat(np.arange(reps * seeds), n) + config * reps * seeds,
                            "task": "qa",
                            "sample_id": np.tile(np.arange(n), reps * seeds),
                            "epoch": 1,
                            "match": scores.ravel(),
                        }
                    )
                )
            out = compare_configs(pd.concat(blocks), "match", "cfg", baseline=0, within="repeat")
            if seeds == 1:  # the truth is the difference between these two runs
                truth = mean_expit(effects[1][:, 0], 1.0) - mean_expit(effects[0][:, 0], 1.0)
            else:
                truth = mean_expit(location + shift, float(np.hypot(1.0, 0.3))) - 0.7
            covered = np.mean((out["lower_bound"] <= truth) & (truth <= out["upper_bound"]))
            rejected = np.mean(out["p_value"] < 0.05)
            print(
                f"{seeds:>2} seed(s) per config, logit shift {shift}: {out['method'].iloc[0]}, "
                f"coverage {covered:.3f}, p < 0.05 in {rejected:.3f}"
            )


if __name__ == "__main__":
    interval_coverage()
    robustness()
    comparison_calibration()
