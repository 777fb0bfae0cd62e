"""What the layout of a collated frame says: which columns are parameters, runs, samples.

``collate_sweep`` puts the swept parameters first, then the lead columns (``run, status, task``
and, per sample, ``sample_id, epoch``), then the metrics (and ``answer, target``);
``collate_sweeps`` adds a leading ``sweep``. Every analysis function reads the layout through
these helpers so that they agree on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

LEAD_COLUMNS: tuple[str, ...] = ("run", "status", "task", "sweep", "sample_id", "epoch", "answer", "target")
# A sample is the same sample in two configs when these agree.
PAIR_COLUMNS: tuple[str, ...] = ("task", "sample_id", "epoch")
# A run is identified by these (``sweep`` only in stacked frames).
RUN_COLUMNS: tuple[str, ...] = ("sweep", "run")


def as_list(cols: str | Sequence[str] | None) -> list[str]:
    if cols is None:
        return []
    return [cols] if isinstance(cols, str) else list(cols)


def is_seed_column(name: str) -> bool:
    """Seeds are replications, not settings: intervals are taken over them."""
    return "seed" in str(name).lower()


def is_sample_frame(df: pd.DataFrame) -> bool:
    """One row per scored sample (``collate_sweep(..., samples=True)``), not one per run."""
    return "sample_id" in df.columns and "run" in df.columns


def run_columns(df: pd.DataFrame) -> list[str]:
    """The columns that identify a run: ``run``, and ``sweep`` too in stacked sweeps."""
    return [c for c in RUN_COLUMNS if c in df.columns]


def sample_columns(df: pd.DataFrame) -> list[str]:
    """The columns that identify a sample across runs (``task``, ``sample_id``), or [] when rows
    carry no sample id."""
    if "sample_id" not in df.columns:
        return []
    return [c for c in ("task", "sample_id") if c in df.columns]


def parameter_columns(df: pd.DataFrame, metrics: Sequence[str] = ()) -> list[str]:
    """The swept parameters of ``df``, seeds included.

    In a collated frame they are the columns before the first lead column (``sweep`` aside).
    In any other frame every column that is neither a metric, a lead column, nor a float column
    with mostly distinct values (a measurement, not a setting) counts as a parameter.
    """
    import pandas as pd

    cols = [str(c) for c in df.columns]
    lead_at = next((i for i, c in enumerate(cols) if c in LEAD_COLUMNS and c != "sweep"), None)
    if lead_at is not None:
        return [c for c in cols[:lead_at] if c not in LEAD_COLUMNS and c not in metrics]
    params = []
    for c in cols:
        if c in LEAD_COLUMNS or c in metrics:
            continue
        column = df[c]
        measured = pd.api.types.is_float_dtype(column) and column.nunique() > max(1, len(column) // 2)
        if not measured:
            params.append(c)
    return params


def score_columns(samples: pd.DataFrame) -> list[str]:
    """The numeric per-sample score columns of a collated sample frame (after ``epoch``)."""
    import pandas as pd

    cols = list(samples.columns)
    start = cols.index("epoch") + 1 if "epoch" in cols else 0
    return [c for c in cols[start:] if c not in LEAD_COLUMNS and pd.api.types.is_numeric_dtype(samples[c])]


# Metrics that are the mean of their scorer's per-sample values (so per-sample data can give
# their interval): Inspect's accuracy() and mean().
MEAN_METRICS: tuple[str, ...] = ("accuracy", "mean")


def score_column_for(metric: str, score_columns: Sequence[str]) -> str | None:
    """The per-sample score whose mean a run-level metric is, if it is one: ``accuracy`` of a
    one-scorer task is the mean of its only score column, ``match/accuracy`` of ``match``,
    ``judge/aligned/mean`` of ``judge/aligned``; ``stderr`` and the like are not means."""
    if metric in score_columns:
        return metric
    head, _, tail = metric.rpartition("/")
    if tail not in MEAN_METRICS:
        return None
    if head:
        return head if head in score_columns else None
    return score_columns[0] if len(score_columns) == 1 else None
