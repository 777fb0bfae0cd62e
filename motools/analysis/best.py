"""The best setting of a sweep, honestly: its interval, and which settings it has not beaten.

Picking the highest mean and stopping there overstates what a sweep showed: with a few seeds
and a finite eval set, several settings are usually within noise of the winner. ``best_setting``
names those contenders, with the test and the rule that decided.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from motools.analysis.frames import as_list, is_sample_frame, is_seed_column, parameter_columns
from motools.analysis.metrics import higher_is_better as metric_higher_is_better
from motools.analysis.stats import compute_ci_df, require_columns


@dataclass(frozen=True)
class BestSetting:
    """The winner under one grouping, and the table of every setting against it.

    ``table`` holds one row per setting, best first: the group columns, its mean and interval
    (``compute_ci_df``), then ``diff`` (setting minus best) with ``diff_lower``/``diff_upper``,
    ``p_value``, ``p_holm``, ``test`` and ``contender`` (True for the best and for every
    setting the test could not tell apart from it, or could not test).
    """

    value_col: str
    higher_is_better: bool
    group_cols: list[str]
    setting: dict[str, Any]
    mean: float
    lower_bound: float
    upper_bound: float
    method: str
    confidence: float
    table: pd.DataFrame
    rule: str

    @property
    def contenders(self) -> pd.DataFrame:
        """The settings that might be the best: the best itself and those not beaten by it."""
        return self.table[self.table["contender"]].reset_index(drop=True)

    def summary(self) -> str:
        """One line: ``best learning_rate=5e-05: 0.91 [0.86, 0.95]; also possible: ...``."""
        name = _label(self.setting) or "(all rows)"
        text = f"best {name}: {self.mean:.4g}"
        if np.isfinite(self.lower_bound):
            text += f" [{self.lower_bound:.4g}, {self.upper_bound:.4g}]"
        others = [_label({c: row[c] for c in self.group_cols}) for _, row in self.contenders.iloc[1:].iterrows()]
        return text + (f"; also possible: {', '.join(others)}" if others else "; no other setting close")


def best_setting(
    df: pd.DataFrame,
    value_col: str,
    group_cols: str | Sequence[str] | None = None,
    *,
    param_cols: Sequence[str] | None = None,
    higher_is_better: bool | None = None,
    confidence: float = 0.95,
    cluster_col: str | Sequence[str] | None = None,
) -> BestSetting:
    """The setting with the best mean ``value_col`` and the settings not distinguishable from it.

    Settings are the groups of ``group_cols``; by default every swept parameter except seeds
    (any column whose name contains ``seed``), plus ``sweep`` when several sweeps are stacked.
    ``param_cols`` names the swept parameters when the frame's layout does not tell
    (``frames.parameter_columns``). Higher is better unless ``higher_is_better`` says otherwise
    or the metric's name looks like a loss, an error, a latency or a cost.

    The rule: a setting is beaten when a test against the best rejects "same mean" at level
    ``1 - confidence`` after Holm's adjustment over all settings tested. With per-sample data
    the test is ``compare_configs`` (paired on the same samples, seeds as clusters); with one
    row per run it is Welch's t test on run values. Settings the test cannot reach (one run,
    or runs that agree exactly, at run level) stay contenders: nothing showed them worse.
    """
    require_columns(df, [value_col])
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be between 0 and 1 (exclusive), got {confidence!r}")
    groups = _default_groups(df, value_col, param_cols) if group_cols is None else as_list(group_cols)
    require_columns(df, groups)
    higher = metric_higher_is_better(value_col) if higher_is_better is None else higher_is_better
    ci = compute_ci_df(df, value_col, groups, confidence, cluster_col=cluster_col)
    present = ci[ci["count"] > 0]
    if present.empty:
        raise ValueError(f"no values of {value_col!r} to rank")
    order = present["mean"].to_numpy()
    best_row = present.index[int(np.argmax(order) if higher else np.argmin(order))]
    best = ci.loc[best_row]
    setting = {c: _plain(best[c]) for c in groups}

    if is_sample_frame(df) and groups and len(present) > 1:
        tests = _paired_tests(df, value_col, groups, setting, confidence, cluster_col)
        how = "a paired test on the same samples (compare_configs; seeds as clusters)"
    else:
        tests = _welch_tests(df, value_col, groups, ci, best_row, confidence)
        how = "Welch's t test on run values"
    table = _table(ci, tests, groups, best_row, higher, confidence)
    n_tested = int(table["p_value"].notna().sum())
    rule = (
        f"contender: the best, or not distinguishable from it by {how} at level {1 - confidence:g} "
        f"after Holm's adjustment over {n_tested} comparison(s); untestable settings stay contenders"
    )
    return BestSetting(
        value_col=value_col,
        higher_is_better=higher,
        group_cols=groups,
        setting=setting,
        mean=float(best["mean"]),
        lower_bound=float(best["lower_bound"]),
        upper_bound=float(best["upper_bound"]),
        method=str(best["method"]),
        confidence=confidence,
        table=table,
        rule=rule,
    )


def _default_groups(df: pd.DataFrame, value_col: str, param_cols: Sequence[str] | None) -> list[str]:
    params = parameter_columns(df, [value_col]) if param_cols is None else list(param_cols)
    groups = [c for c in params if not is_seed_column(c)]
    if "sweep" in df.columns and df["sweep"].nunique() > 1 and "sweep" not in groups:
        groups.insert(0, "sweep")
    return groups


def _paired_tests(
    df: pd.DataFrame,
    value_col: str,
    groups: list[str],
    setting: dict[str, Any],
    confidence: float,
    cluster_col: str | Sequence[str] | None,
) -> pd.DataFrame:
    from motools.analysis.compare import compare_configs

    out = compare_configs(df, value_col, groups, setting, cluster_col=cluster_col, confidence=confidence)
    return out[[*groups, "diff", "lower_bound", "upper_bound", "p_value", "method"]].rename(
        columns={"lower_bound": "diff_lower", "upper_bound": "diff_upper", "method": "test"}
    )


def _welch_tests(
    df: pd.DataFrame, value_col: str, groups: list[str], ci: pd.DataFrame, best_row: Any, confidence: float
) -> pd.DataFrame:
    """Welch's unequal-variance t test of every group against the best, on run values."""
    from scipy import stats

    if not groups:
        return pd.DataFrame(columns=["diff", "diff_lower", "diff_upper", "p_value", "test"])
    values = df.groupby(groups, sort=False, dropna=False)[value_col]
    var = values.var(ddof=1).reset_index(drop=True).to_numpy(dtype=float)
    n = ci["count"].to_numpy(dtype=float)
    mean = ci["mean"].to_numpy(dtype=float)
    b = ci.index.get_loc(best_row)
    with np.errstate(invalid="ignore", divide="ignore"):
        se2 = var / n
        total = se2 + se2[b]
        dof = total**2 / (se2**2 / (n - 1) + se2[b] ** 2 / (n[b] - 1))
        diff = mean - mean[b]
        testable = (n >= 2) & (n[b] >= 2) & (total > 0)
        half = stats.t.ppf((1 + confidence) / 2, dof) * np.sqrt(total)
        p = 2 * stats.t.sf(np.abs(diff) / np.sqrt(total), dof)
    return (
        ci[groups]
        .assign(
            diff=diff,
            diff_lower=np.where(testable, diff - half, np.nan),
            diff_upper=np.where(testable, diff + half, np.nan),
            p_value=np.where(testable, p, np.nan),
            test=np.where(testable, "welch", "untested"),
        )
        .drop(index=best_row)
    )


def _table(
    ci: pd.DataFrame, tests: pd.DataFrame, groups: list[str], best_row: Any, higher: bool, confidence: float
) -> pd.DataFrame:
    from motools.analysis.compare import holm

    table = ci.copy()
    table["diff"] = 0.0
    table["diff_lower"] = np.nan
    table["diff_upper"] = np.nan
    table["p_value"] = np.nan
    table["test"] = "best"
    for _, row in tests.iterrows():
        match = np.ones(len(table), dtype=bool)
        for c in groups:
            match &= (table[c] == row[c]).to_numpy() | (table[c].isna().to_numpy() & pd.isna(row[c]))
        for col in ("diff", "diff_lower", "diff_upper", "p_value", "test"):
            table.loc[match, col] = row[col]
    table.loc[~table.index.isin([best_row]) & (table["test"] == "best"), "test"] = "untested"
    table.loc[table["count"] == 0, "test"] = "empty"
    table["p_holm"] = holm(table["p_value"].to_numpy(dtype=float))
    beaten = table["p_holm"] < (1 - confidence)
    table["contender"] = ~beaten & (table["count"] > 0)
    key = table["mean"].fillna(-np.inf if higher else np.inf)
    table = table.assign(_key=key).sort_values("_key", ascending=not higher, kind="stable").drop(columns="_key")
    first = [*groups, "mean", "lower_bound", "upper_bound", "count", "confidence", "method"]
    rest = [c for c in table.columns if c not in first]
    return table[[*first, *rest]].reset_index(drop=True)


def _label(setting: dict[str, Any]) -> str:
    from motools.analysis.charts import format_value

    return " ".join(f"{k}={format_value(v)}" for k, v in setting.items())


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value
