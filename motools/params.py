"""Column names for swept parameters: one rule for tables, charts, the CLI and the app.

A parameter is shown under its leaf name (``learning_rate`` for
``submit_training.hyperparameters.learning_rate``), and under its full dot path where two
leaves collide or the leaf would clash with a column every results table has.
"""

from __future__ import annotations

from collections.abc import Sequence

RESERVED_COLUMNS = frozenset({"run", "status", "task", "sweep", "sample_id", "epoch", "answer", "target"})


def param_labels(paths: Sequence[str]) -> dict[str, str]:
    """``{dot.path: column name}`` for the swept parameters of a sweep."""
    leaves = [p.rsplit(".", 1)[-1] for p in paths]
    return {
        p: (leaf if leaves.count(leaf) == 1 and leaf not in RESERVED_COLUMNS else p)
        for p, leaf in zip(paths, leaves, strict=True)
    }


__all__ = ["RESERVED_COLUMNS", "param_labels"]
