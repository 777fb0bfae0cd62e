"""Paired comparisons of configs (or sweeps) scored on the same samples.

Two configs evaluated on one task answer the same samples, so their difference is measured
sample by sample: sample difficulty cancels and the interval is far tighter than two separate
intervals suggest. Seeds stay clusters. ``docs/analysis.md`` explains the variance and why it
is computed rather than bootstrapped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from motools.analysis.charts import format_value
from motools.analysis.frames import PAIR_COLUMNS, as_list, run_columns, sample_columns
from motools.analysis.intervals import normal_quantile
from motools.analysis.stats import group_codes, require_columns

CompareMethod = Literal["auto", "paired-t"]
COMPARE_COLUMNS: tuple[str, ...] = (
    "n_pairs",
    "mean",
    "baseline_mean",
    "diff",
    "lower_bound",
    "upper_bound",
    "p_value",
    "p_holm",
    "confidence",
    "method",
    "n_runs",
    "baseline_n_runs",
)


def compare_configs(
    samples: pd.DataFrame,
    value_col: str,
    by: str | Sequence[str],
    baseline: Mapping[str, Any] | Any | None = None,
    *,
    within: str | Sequence[str] | None = None,
    cluster_col: str | Sequence[str] | None = None,
    confidence: float = 0.95,
    method: CompareMethod = "auto",
) -> pd.DataFrame:
    """Paired difference ``config - baseline`` of ``value_col``, with interval and p-values.

    ``samples`` is a per-sample frame (``collate_sweep(name, samples=True)``, or
    ``collate_sweeps`` stacked with a ``sweep`` column). ``by`` names the columns that make a
    config (``"learning_rate"``, ``["sweep"]``...); runs within a config (``cluster_col``,
    default ``run`` and ``sweep`` if present) are its seeds. ``baseline`` picks one config, as
    ``{column: value}`` or a bare value when ``by`` is one column: every other config is
    compared with it. ``None`` compares every pair (later config minus earlier, in order of
    first appearance). ``within`` (e.g. ``"task"``) compares separately inside each of its
    values. Parameters in neither ``by`` nor ``within`` are pooled into the configs.

    Observations pair on (``task``, ``sample_id``, ``epoch``); keys missing from either side
    are dropped (``n_pairs`` counts the rest), and a sample's epochs count as one sample.
    ``method`` per row:

    - ``mcnemar``: one run per side, 0/1 scores, one epoch: exact McNemar p-value; interval
      for the difference of paired proportions: Agresti & Min's (2005) adjusted Wald interval
      (0.5 added to each cell of the 2×2 table).
    - ``paired-t``: anything else: variance of the difference = var(per-sample differences)/S
      plus each side's seed variance (spread of run means beyond what the samples' noise
      explains) / R; Cochran–Cox critical value; the p-value is the level at which that
      interval reaches 0, so ``p < 1 - confidence`` exactly when the interval excludes 0.
    - ``no-spread`` (every difference identical; no interval) and ``empty`` (no shared pairs).

    ``p_holm`` is Holm's adjustment over all rows returned.
    """
    config_cols = as_list(by)
    within_cols = as_list(within)
    clusters = run_columns(samples) if cluster_col is None else as_list(cluster_col)
    if not config_cols:
        raise ValueError("compare_configs needs at least one column in `by`")
    if "sample_id" not in samples.columns:
        raise ValueError("compare_configs pairs samples: it needs a per-sample frame with a 'sample_id' column")
    require_columns(samples, [value_col, *config_cols, *within_cols, *clusters])
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be between 0 and 1 (exclusive), got {confidence!r}")
    if method not in ("auto", "paired-t"):
        raise ValueError(f"method must be 'auto' or 'paired-t'; got {method!r}")

    values = pd.to_numeric(samples[value_col], errors="raise").to_numpy(dtype=float, na_value=np.nan)
    config, _, first = group_codes(samples, config_cols)
    config_keys = samples[config_cols].iloc[first].reset_index(drop=True)
    pairs = _pairs(config_keys, config_cols, baseline)

    within_code, n_within, within_first = group_codes(samples, within_cols)
    run_code = group_codes(samples, clusters)[0] if clusters else np.zeros(len(samples), dtype=np.intp)
    pair_cols = [c for c in PAIR_COLUMNS if c in samples.columns]
    pair_code = group_codes(samples, pair_cols)[0]
    sample_code = group_codes(samples, sample_columns(samples))[0]

    parts = []
    for candidate, base in pairs:
        stats = _paired(
            values, config, candidate, base, within_code, n_within, run_code, pair_code, sample_code, confidence, method
        )
        frame = pd.DataFrame(stats)
        keys = {c: config_keys[c].iloc[candidate] for c in config_cols}
        keys |= {f"baseline_{c}": config_keys[c].iloc[base] for c in config_cols}
        frame = frame.assign(**keys, _within=np.arange(n_within))
        if within_cols:
            within_keys = samples[within_cols].iloc[within_first].reset_index(drop=True)
            frame = pd.concat([within_keys, frame], axis=1)
        parts.append(frame)
    columns = [*within_cols, *config_cols, *(f"baseline_{c}" for c in config_cols), *COMPARE_COLUMNS]
    if not parts:
        return pd.DataFrame(columns=columns)
    result = pd.concat(parts, ignore_index=True).sort_values("_within", kind="stable", ignore_index=True)
    result["confidence"] = float(confidence)
    result["p_holm"] = holm(result["p_value"].to_numpy(dtype=float))
    return result[columns]


def holm(p_values: np.ndarray) -> np.ndarray:
    """Holm's step-down adjustment (family-wise error) over the non-NaN p-values."""
    p = np.asarray(p_values, dtype=float)
    out = np.full(p.shape, np.nan)
    present = np.flatnonzero(~np.isnan(p))
    if not present.size:
        return out
    order = present[np.argsort(p[present], kind="stable")]
    m = len(order)
    scaled = (m - np.arange(m)) * p[order]
    out[order] = np.minimum(np.maximum.accumulate(scaled), 1.0)
    return out


def _pairs(keys: pd.DataFrame, cols: list[str], baseline: Mapping[str, Any] | Any | None) -> list[tuple[int, int]]:
    n = len(keys)
    if baseline is None:
        return [(j, i) for i in range(n) for j in range(i + 1, n)]
    wanted = dict(baseline) if isinstance(baseline, Mapping) else None
    if wanted is None:
        if len(cols) != 1:
            raise ValueError(f"baseline must be a {{column: value}} mapping when comparing by {cols}")
        wanted = {cols[0]: baseline}
    unknown = set(wanted) - set(cols)
    if unknown:
        raise ValueError(f"baseline names {sorted(unknown)}, which are not among the `by` columns {cols}")
    match = np.ones(n, dtype=bool)
    for col, value in wanted.items():
        match &= (keys[col] == value).to_numpy() | (keys[col].isna().to_numpy() & pd.isna(value))
    found = np.flatnonzero(match)
    if len(found) != 1:
        configs = "; ".join(", ".join(f"{c}={format_value(keys[c].iloc[i])}" for c in cols) for i in range(n))
        what = "matches no config" if not len(found) else "matches several configs (name every `by` column)"
        raise ValueError(f"baseline {wanted!r} {what}; configs: {configs}")
    base = int(found[0])
    return [(i, base) for i in range(n) if i != base]


def _paired(
    values: np.ndarray,
    config: np.ndarray,
    candidate: int,
    base: int,
    within: np.ndarray,
    n_within: int,
    run: np.ndarray,
    pair: np.ndarray,
    sample: np.ndarray,
    confidence: float,
    method: str,
) -> dict[str, np.ndarray]:
    """One comparison in every ``within`` group at once: rows → cells (side, run, pair key) →
    shared keys → per-sample values (epochs averaged) → run means → difference and variance."""
    rows = np.flatnonzero(((config == candidate) | (config == base)) & ~np.isnan(values))
    side = (config[rows] == base).astype(np.int64)  # 0: candidate, 1: baseline
    w = within[rows].astype(np.int64)
    n_pair_keys = int(pair.max()) + 1 if pair.size else 1
    key = w * n_pair_keys + pair[rows]

    # A pair key counts when both sides scored it.
    shared_key = pd.Index(np.unique(key[side == 0])).intersection(pd.Index(np.unique(key[side == 1])))
    shared = np.isin(key, shared_key.to_numpy())
    rows, side, w, key = rows[shared], side[shared], w[shared], key[shared]
    n_pairs = np.bincount(w[_first_of_each(key)], minlength=n_within)

    v = values[rows]
    # Cells: one run's value on one sample (epochs and duplicate rows averaged).
    run_id = pd.factorize((w * 2 + side) * (int(run.max()) + 1 if run.size else 1) + run[rows])[0]
    sample_id = pd.factorize(w * (int(sample.max()) + 1 if sample.size else 1) + sample[rows])[0]
    cell = pd.factorize(run_id.astype(np.int64) * (sample_id.max() + 1 if sample_id.size else 1) + sample_id)[0]
    n_cells = _size(cell)
    cell_value = np.bincount(cell, weights=v, minlength=n_cells) / np.bincount(cell, minlength=n_cells)
    cell_run, cell_sample, cell_side, cell_w = (np.zeros(n_cells, dtype=np.intp) for _ in range(4))
    cell_run[cell], cell_sample[cell], cell_side[cell], cell_w[cell] = run_id, sample_id, side, w
    epochs = np.bincount(cell, minlength=n_cells)

    n_runs_all = _size(run_id)
    run_side = np.zeros(n_runs_all, dtype=np.intp)
    run_w = np.zeros(n_runs_all, dtype=np.intp)
    run_side[run_id], run_w[run_id] = side, w
    run_cells = np.bincount(cell_run, minlength=n_runs_all)
    run_mean = np.bincount(cell_run, weights=cell_value, minlength=n_runs_all) / run_cells

    out: dict[str, np.ndarray] = {"n_pairs": n_pairs}
    slot = run_w * 2 + run_side  # (within group, side)
    n_slots = 2 * n_within
    n_runs = np.bincount(slot, minlength=n_slots)
    with np.errstate(invalid="ignore", divide="ignore"):
        side_mean = np.bincount(slot, weights=run_mean, minlength=n_slots) / n_runs
        run_var = np.bincount(slot, weights=(run_mean - side_mean[slot]) ** 2, minlength=n_slots) / (n_runs - 1)

        # Per sample and side: the mean over runs; then the per-sample difference.
        sample_slot_key = cell_sample * 2 + cell_side
        n_ss = 2 * (_size(cell_sample))
        ss_count = np.bincount(sample_slot_key, minlength=n_ss)
        ss_mean = np.bincount(sample_slot_key, weights=cell_value, minlength=n_ss) / ss_count
        residual = cell_value - run_mean[cell_run] - ss_mean[sample_slot_key] + side_mean[cell_w * 2 + cell_side]
        cell_slot = cell_w * 2 + cell_side
        residual_ss = np.bincount(cell_slot, weights=residual**2, minlength=n_slots)
        slot_cells = np.bincount(cell_slot, minlength=n_slots)
        n_samples_slot = np.bincount(cell_slot[_first_of_each(sample_slot_key)], minlength=n_slots)
        residual_df = slot_cells - n_runs - n_samples_slot + 1
        ms_residual = np.where(residual_df >= 1, residual_ss / residual_df, 0.0)
        seed_var = np.where(n_runs >= 2, np.maximum(run_var - ms_residual / n_samples_slot, 0.0) / n_runs, 0.0)

        sample_w = np.zeros(_size(cell_sample), dtype=np.intp)
        sample_w[cell_sample] = cell_w
        both = (ss_count[0::2] > 0) & (ss_count[1::2] > 0)
        d = ss_mean[0::2] - ss_mean[1::2]
        d_w = sample_w[both]
        d = d[both]
        n_samples = np.bincount(d_w, minlength=n_within)
        d_mean = np.bincount(d_w, weights=d, minlength=n_within) / n_samples
        d_var = np.bincount(d_w, weights=(d - d_mean[d_w]) ** 2, minlength=n_within) / (n_samples - 1)
        var_samples = np.where(n_samples >= 2, d_var / n_samples, np.nan)

    mean_c, mean_b = side_mean[0::2], side_mean[1::2]
    diff = mean_c - mean_b
    var_seed_c, var_seed_b = seed_var[0::2], seed_var[1::2]
    var = var_samples + var_seed_c + var_seed_b
    df_samples = np.maximum(n_samples - 1, 1)
    df_c, df_b = np.maximum(n_runs[0::2] - 1, 1), np.maximum(n_runs[1::2] - 1, 1)
    parts = [(var_samples, df_samples), (var_seed_c, df_c), (var_seed_b, df_b)]
    lower, upper, p = _cochran_cox(diff, var, parts, confidence)
    labels = np.full(n_within, "paired-t", dtype=object)

    one_epoch = np.bincount(cell_w, weights=epochs > 1, minlength=n_within) == 0
    binary = np.bincount(cell_w, weights=(cell_value != 0) & (cell_value != 1), minlength=n_within) == 0
    mcnemar = (method == "auto") & (n_runs[0::2] == 1) & (n_runs[1::2] == 1) & one_epoch & binary & (n_samples >= 1)
    if mcnemar.any():
        n10 = np.bincount(d_w, weights=d > 0, minlength=n_within)
        n01 = np.bincount(d_w, weights=d < 0, minlength=n_within)
        m_low, m_high, m_p = _mcnemar(n10, n01, n_samples, confidence)
        lower, upper, p = (np.where(mcnemar, a, b) for a, b in ((m_low, lower), (m_high, upper), (m_p, p)))
        labels[mcnemar] = "mcnemar"
    flat = ~mcnemar & ~(var > 0) & (n_samples >= 1)
    labels[flat] = "no-spread"
    lower[flat], upper[flat], p[flat] = np.nan, np.nan, np.nan
    empty = n_pairs == 0
    labels[empty] = "empty"

    out.update(
        mean=mean_c,
        baseline_mean=mean_b,
        diff=diff,
        lower_bound=lower,
        upper_bound=upper,
        p_value=p,
        method=labels.astype(str),
        n_runs=n_runs[0::2],
        baseline_n_runs=n_runs[1::2],
    )
    return out


def _first_of_each(keys: np.ndarray) -> np.ndarray:
    """Index of the first element of each distinct key."""
    return np.unique(keys, return_index=True)[1]


def _size(codes: np.ndarray) -> int:
    return int(codes.max()) + 1 if codes.size else 0


def _cochran_cox(
    diff: np.ndarray, var: np.ndarray, parts: list[tuple[np.ndarray, np.ndarray]], confidence: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Interval ``diff ± c·√var`` with c the variance-weighted mean of each part's t quantile, and
    the p-value as the level where that interval reaches 0 (bisection, all rows at once)."""
    from scipy import stats

    def crit(level: np.ndarray | float) -> np.ndarray:
        level = np.broadcast_to(level, diff.shape)
        total = np.zeros(diff.shape)
        for part, dof in parts:
            total += np.nan_to_num(part) * stats.t.ppf((1 + level) / 2, dof)
        with np.errstate(invalid="ignore", divide="ignore"):
            return total / var

    with np.errstate(invalid="ignore", divide="ignore"):
        half = crit(confidence) * np.sqrt(var)
        z = np.abs(diff) / np.sqrt(var)
    # Find the level whose critical value equals |diff| / sd; crit grows with the level.
    lo, hi = np.zeros(diff.shape), np.ones(diff.shape)
    for _ in range(60):
        mid = (lo + hi) / 2
        above = crit(np.minimum(mid, 1 - 1e-16)) > z
        hi = np.where(above, mid, hi)
        lo = np.where(above, lo, mid)
    p = 1 - (lo + hi) / 2
    p = np.where(np.isfinite(z), p, np.nan)
    return diff - half, diff + half, p


def _mcnemar(
    n10: np.ndarray, n01: np.ndarray, n: np.ndarray, confidence: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exact McNemar p-value (binomial test on the discordant pairs) and Agresti & Min's (2005)
    adjusted Wald interval for the difference of paired proportions ("Wald+2": 0.5 added to
    every cell of the 2×2 table, so n + 2 pairs)."""
    from scipy import stats

    discordant = n10 + n01
    k = np.minimum(n10, n01)
    with np.errstate(invalid="ignore"):
        p = np.where(discordant > 0, np.minimum(1.0, 2 * stats.binom.cdf(k, discordant, 0.5)), 1.0)
    a, b = (n10 + 0.5) / (n + 2), (n01 + 0.5) / (n + 2)
    half = normal_quantile(confidence) * np.sqrt(np.maximum(a + b - (a - b) ** 2, 0.0) / (n + 2))
    centre = a - b
    return np.clip(centre - half, -1.0, 1.0), np.clip(centre + half, -1.0, 1.0), p


def compare_sweeps(
    sweep: str,
    baseline: str | None = None,
    value_col: str | None = None,
    *,
    group: str | None = None,
    store: Any = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """``compare_configs`` on stored sweeps' per-sample scores (``motools sweep compare``).

    With ``baseline``: every config of ``sweep`` minus the ``baseline`` sweep, on the samples
    both scored; ``group`` compares within each value of a parameter both sweeps have, or, if
    only ``sweep`` has it (a baseline without a learning rate), each of its values against the
    whole baseline. Without ``baseline``: every pair of ``group`` values within ``sweep``.
    ``value_col`` is a per-sample score column (default: the only one there is).
    """
    from motools.analysis.collate import collate_sweeps
    from motools.status import Status

    names = [sweep] if baseline is None or baseline == sweep else [baseline, sweep]
    samples = collate_sweeps(names, store=store, samples=True)
    samples = samples[samples["status"] == Status.FINISHED]
    if samples.empty:
        raise ValueError(f"no finished runs with per-sample scores in {', '.join(names)}")
    value_col = value_col or _only_score_column(samples)
    if value_col not in samples.columns:
        raise ValueError(f"no score column {value_col!r}; per-sample scores: {', '.join(score_columns(samples))}")
    if len(names) == 1:
        if group is None:
            raise ValueError("comparing configs within one sweep needs a parameter to compare (--group)")
        return compare_configs(samples, value_col, by=group, confidence=confidence)
    if group is None:
        return compare_configs(samples, value_col, by="sweep", baseline=baseline, confidence=confidence)
    require_columns(samples, [group])
    in_baseline = samples.loc[samples["sweep"] == baseline, group].notna().any()
    if in_baseline:
        return compare_configs(samples, value_col, by="sweep", baseline=baseline, within=group, confidence=confidence)
    return compare_configs(
        samples, value_col, by=["sweep", group], baseline={"sweep": baseline, group: np.nan}, confidence=confidence
    )


def score_columns(samples: pd.DataFrame) -> list[str]:
    """The per-sample score columns of a collated sample frame (numeric ones)."""
    cols = list(samples.columns)
    start = cols.index("epoch") + 1 if "epoch" in cols else 0
    return [c for c in cols[start:] if c not in ("answer", "target") and pd.api.types.is_numeric_dtype(samples[c])]


def _only_score_column(samples: pd.DataFrame) -> str:
    found = score_columns(samples)
    if len(found) != 1:
        raise ValueError(f"several per-sample scores ({', '.join(found) or 'none'}): name one with --metric")
    return found[0]
