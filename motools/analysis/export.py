"""Writing results to files: the results table and CI table as CSV, charts as PNG/SVG/PDF.

Every file is written atomically (:mod:`motools.fileio`): nothing is overwritten unless asked
(``force=True``), a failed write leaves any earlier file whole, and a link is never written
through. Every function returns the path it wrote.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from motools.errors import MotoolsError
from motools.fileio import check_target, write_file
from motools.status import Status

if TYPE_CHECKING:
    import pandas as pd

    from motools.analysis.stats import CIMethod
    from motools.store import Store


def _write_frame(df: pd.DataFrame, path: str | os.PathLike[str], force: bool) -> Path:
    check_target(path, force=force, make_dirs=True)  # refuse before the work, not after
    data = df.to_csv(index=False).encode()
    return write_file(path, lambda fh: fh.write(data), force=force, make_dirs=True)


def finished_rows(sweep: str, store: Store | None = None, *, samples: bool = False, where: str = "") -> pd.DataFrame:
    """The results table (or per-sample table) limited to finished runs and to ``where``:
    what intervals and charts are drawn from."""
    from motools.analysis.collate import collate_sweep
    from motools.analysis.filters import filter_frame

    df = collate_sweep(sweep, store=store, samples=samples)
    done = filter_frame(df[df["status"] == Status.FINISHED], where).reset_index(drop=True)
    if done.empty:
        raise MotoolsError(f"sweep {sweep!r} has no finished runs" + (f" where {where}" if where else " yet"))
    return done


def export_results_csv(
    sweep: str,
    path: str | os.PathLike[str],
    *,
    store: Store | None = None,
    force: bool = False,
    samples: bool = False,
    where: str = "",
) -> Path:
    """Every run (with its status) or every scored sample (every score, answer, target), as CSV."""
    from motools.analysis.collate import collate_sweep
    from motools.analysis.filters import filter_frame

    check_target(path, force=force, make_dirs=True)
    return _write_frame(filter_frame(collate_sweep(sweep, store=store, samples=samples), where), path, force)


def ci_frame(
    sweep: str,
    group_cols: Sequence[str],
    *,
    value_col: str = "accuracy",
    confidence: float = 0.95,
    method: CIMethod = "auto",
    store: Store | None = None,
    where: str = "",
) -> pd.DataFrame:
    """The CI table of a metric (``accuracy``...) over runs, or of a per-sample score (``match``,
    ``judge/aligned``) over samples and seeds; a ``metric`` column says which it holds."""
    from motools.analysis.stats import compute_ci_df

    df = finished_rows(sweep, store, where=where)
    if value_col not in df.columns:
        samples = finished_rows(sweep, store, samples=True, where=where)
        if value_col in samples.columns:
            df = samples
    ci = compute_ci_df(df, value_col=value_col, group_cols=list(group_cols), confidence=confidence, method=method)
    ci.insert(len(group_cols), "metric", value_col)
    return ci


def export_ci_csv(
    sweep: str,
    path: str | os.PathLike[str],
    group_cols: Sequence[str],
    *,
    value_col: str = "accuracy",
    confidence: float = 0.95,
    method: CIMethod = "auto",
    store: Store | None = None,
    force: bool = False,
    where: str = "",
) -> Path:
    check_target(path, force=force, make_dirs=True)
    ci = ci_frame(
        sweep, group_cols, value_col=value_col, confidence=confidence, method=method, store=store, where=where
    )
    return _write_frame(ci, path, force)


def export_chart(
    sweep: str,
    path: str | os.PathLike[str],
    x_col: str,
    y_col: str = "accuracy",
    *,
    heatmap_y: str | None = None,
    series_col: str | None = None,
    title: str | None = None,
    store: Store | None = None,
    force: bool = False,
    where: str = "",
) -> Path:
    """A line chart of ``y_col`` against ``x_col`` (one series per ``series_col`` value), or a
    heatmap over ``x_col`` × ``heatmap_y``."""
    from motools.analysis.plots import plot_sweep_heatmap, plot_sweep_metric

    check_target(path, force=force, make_dirs=True)
    df = finished_rows(sweep, store, where=where)
    if y_col not in df.columns:
        samples = finished_rows(sweep, store, samples=True, where=where)
        if y_col in samples.columns:
            df = samples
    if heatmap_y:
        fig = plot_sweep_heatmap(df, x_col=x_col, y_col=heatmap_y, value_col=y_col, title=title or sweep)
    else:
        fig = plot_sweep_metric(df, x_col=x_col, y_col=y_col, title=title or sweep, series_col=series_col)
    return save_figure(fig, path, force=force, make_dirs=True)


def save_figure(fig: Any, path: str | os.PathLike[str], *, force: bool = False, make_dirs: bool = False) -> Path:
    """A matplotlib figure as PNG, SVG or PDF (by the file's suffix), written atomically."""
    fmt = Path(path).suffix.lstrip(".").lower() or "png"
    if fmt not in ("png", "svg", "pdf"):
        raise MotoolsError(f"{path}: a chart is written as .png, .svg or .pdf, not .{fmt}")
    return write_file(
        path, lambda fh: fig.savefig(fh, format=fmt, dpi=150, bbox_inches="tight"), force=force, make_dirs=make_dirs
    )


def output_paths(output: Any, sweep: str) -> list[Path]:
    """The files a spec's ``output:`` section will write."""
    paths = []
    if output.results_path:
        paths.append(Path(output.results_path))
    if output.confidence_intervals is not None:
        ci = output.confidence_intervals
        paths.append(Path(ci.path or _sibling(output.results_path, "_ci.csv") or f"{sweep}_ci.csv"))
    if output.plot is not None:
        paths.append(Path(output.plot.path))
    return [p.expanduser() for p in paths]


def check_outputs(output: Any, *, force: bool = False, sweep: str = "sweep") -> None:
    """Refuse before any run what the sweep's end could not write (an existing file without
    ``force``, a folder in the way), so an hour of training never ends in a refusal."""
    for p in output_paths(output, sweep):
        try:
            check_target(p, force=force, make_dirs=True, dry_run=True)
        except MotoolsError as exc:
            raise MotoolsError(f"output: {exc}") from None


def write_outputs_of(sweep: str, *, store: Store | None = None, force: bool = False) -> list[Path]:
    """Write what the stored sweep's spec asks for in ``output:`` (nothing if it asks nothing)."""
    from motools.specs import parse_spec_text
    from motools.store import open_store

    store = store or open_store()
    spec = parse_spec_text(store.get_sweep(sweep)["spec_yaml"], resolve=False)
    return write_spec_outputs(sweep, spec.output, store=store, force=force)


def write_spec_outputs(sweep: str, output: Any, *, store: Store | None = None, force: bool = False) -> list[Path]:
    """What a spec's ``output:`` section asks for, after its sweep ran."""
    written: list[Path] = []
    if output.results_path:
        written.append(export_results_csv(sweep, output.results_path, store=store, force=force))
    ci = output.confidence_intervals
    if ci is not None:
        path = ci.path or _sibling(output.results_path, "_ci.csv") or f"{sweep}_ci.csv"
        written.append(
            export_ci_csv(
                sweep,
                path,
                ci.group_cols,
                value_col=ci.value_col,
                confidence=ci.confidence,
                method=ci.method,
                store=store,
                force=force,
            )
        )
    if output.plot is not None:
        p = output.plot
        written.append(export_chart(sweep, p.path, p.x_col, p.y_col, title=p.title, store=store, force=force))
    return written


def _sibling(path: str | None, suffix: str) -> str | None:
    if not path:
        return None
    p = Path(path)
    return str(p.with_name(p.stem + suffix))
