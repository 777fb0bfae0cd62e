"""Turning finished sweeps into answers: tables, confidence intervals, charts, files.

Submodules import pandas, scipy and matplotlib only when these functions are first used.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "collate_sweep_evals": "motools.analysis.collate",
    "collate_sweep": "motools.analysis.collate",
    "collate_sweeps": "motools.analysis.collate",
    "compute_ci_df": "motools.analysis.stats",
    "compare_configs": "motools.analysis.compare",
    "best_setting": "motools.analysis.best",
    "BestSetting": "motools.analysis.best",
    "higher_is_better": "motools.analysis.metrics",
    "parameter_columns": "motools.analysis.frames",
    "plot_sweep_metric": "motools.analysis.plots",
    "plot_sweep_metrics": "motools.analysis.plots",
    "plot_sweep_heatmap": "motools.analysis.plots",
    "line_chart_data": "motools.analysis.charts",
    "heatmap_data": "motools.analysis.charts",
    "render_plotext": "motools.analysis.render_plotext",
    "draw_matplotlib": "motools.analysis.render_matplotlib",
}

__all__ = list(_LAZY)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'motools.analysis' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
