"""Tables of results: one row per run and task, swept parameters first, then the metrics."""

from __future__ import annotations

import asyncio
import json
import logging
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from motools.workflow.grid import short_names

if TYPE_CHECKING:
    import pandas as pd

    from motools.store import Store
    from motools.workflow.state import WorkflowState

log = logging.getLogger(__name__)

COMPANION_METRICS = ("stderr", "std", "var")


def _is_companion(metric: str) -> bool:
    return metric.rsplit("/", 1)[-1] in COMPANION_METRICS


def _metric_list(metrics: str | Sequence[str] | None) -> list[str] | None:
    if metrics is None:
        return None
    return [metrics] if isinstance(metrics, str) else list(metrics)


def _select(available: list[str], wanted: list[str] | None) -> list[str]:
    """Requested metrics, or by default the primary ones (``stderr`` and kin on request only)."""
    if wanted is None:
        primary = [m for m in available if not _is_companion(m)]
        return primary or available
    missing = [m for m in wanted if m not in available]
    if missing:
        raise ValueError(
            f"metric(s) {', '.join(map(repr, missing))} not found; available: {', '.join(available) or 'none'}"
        )
    return wanted


def _frame(records: list[dict[str, Any]], param_cols: list[str], lead: list[str], metric_cols: list[str]) -> pd.DataFrame:
    import pandas as pd

    cols = [*param_cols, *lead, *metric_cols]
    return pd.DataFrame.from_records(records, columns=cols)


async def collate_sweep_evals(
    sweep_states: Sequence[WorkflowState],
    eval_step_name: str = "evaluate_model",
    metrics: str | Sequence[str] | None = None,
    eval_atom_key: str = "eval_results",
) -> pd.DataFrame:
    """One row per run and task: swept parameters (leaf names), ``task``, then the metrics.

    ``metrics=None`` gives every primary metric (``accuracy``...); companions such as
    ``stderr`` appear when asked for by name. A requested metric that no run has raises
    ``ValueError`` listing the available ones. Runs whose evaluation step did not finish are
    left out with a warning that names them.
    """
    return await asyncio.to_thread(_collate_states, list(sweep_states), eval_step_name,
                                   _metric_list(metrics), eval_atom_key)


def _collate_states(states: list[WorkflowState], step_name: str, wanted: list[str] | None,
                    atom_key: str) -> pd.DataFrame:
    from motools.store import open_store

    paths: list[str] = []
    for st in states:
        paths.extend(p for p in st.params if p not in paths)
    names = short_names(paths)
    rows: list[tuple[WorkflowState, str]] = []
    skipped: list[str] = []
    for st in states:
        step = st.step_states.get(step_name)
        if step is None:
            raise ValueError(f"no step {step_name!r} in the workflow; steps: {', '.join(st.step_states)}")
        atom_id = step.output_atoms.get(atom_key) if step.status == "finished" else None
        if atom_id is None:
            skipped.append(f"run {st.run_index} {st.params} ({eval_step_status(step)})")
            continue
        rows.append((st, atom_id))
    if skipped:
        msg = f"{len(skipped)} run(s) have no finished {step_name!r}: " + "; ".join(skipped)
        warnings.warn(msg, stacklevel=3)
        log.warning(msg)
    by_home: dict[str | None, list[str]] = {}
    for st, atom_id in rows:
        by_home.setdefault(st.home, []).append(atom_id)
    values: dict[str, dict[str, dict[str, float]]] = {}
    for home, ids in by_home.items():
        store = open_store(home)
        for chunk in _chunks(sorted(set(ids)), 500):
            marks = ",".join("?" * len(chunk))
            for r in store.conn.execute(
                f"SELECT atom_id, task, metric, value FROM metrics WHERE atom_id IN ({marks})", chunk
            ):
                values.setdefault(r["atom_id"], {}).setdefault(r["task"], {})[r["metric"]] = r["value"]
    available = sorted({m for per_task in values.values() for d in per_task.values() for m in d})
    chosen = _select(available, wanted)
    records = []
    for st, atom_id in rows:
        for task, mvals in values.get(atom_id, {}).items():
            rec: dict[str, Any] = {names[p]: st.params.get(p) for p in paths}
            rec["task"] = task
            rec.update({m: mvals.get(m, float("nan")) for m in chosen})
            records.append(rec)
    return _frame(records, [names[p] for p in paths], ["task"], chosen)


def eval_step_status(step: Any) -> str:
    return step.status + (f": {step.error}" if getattr(step, "error", None) else "")


def _chunks(items: list[str], n: int) -> list[list[str]]:
    return [items[i : i + n] for i in range(0, len(items), n)]


def collate_sweep(
    name: str,
    *,
    store: Store | None = None,
    metrics: str | Sequence[str] | None = None,
    samples: bool = False,
    eval_step_name: str = "evaluate_model",
    eval_atom_key: str = "eval_results",
) -> pd.DataFrame:
    """The results table of a stored sweep, straight from the store (no WorkflowStates needed).

    Every run appears, with a ``status`` column, so failed and unfinished runs are visible
    (their metrics are NaN). ``samples=True`` gives one row per scored sample instead.
    """
    from motools.store import open_store

    store = store or open_store()
    sweep = store.get_sweep(name)
    runs = store.query(
        "SELECT r.id, r.idx, r.params, r.status, json_extract(s.outputs, ?) AS atom_id "
        "FROM runs r LEFT JOIN steps s ON s.run_id = r.id AND s.name = ? AND s.status = 'finished' "
        "WHERE r.sweep_id = ? ORDER BY r.idx",
        (f"$.{eval_atom_key}", eval_step_name, sweep["id"]),
    )
    params = [json.loads(r["params"]) for r in runs]
    paths: list[str] = []
    for p in params:
        paths.extend(k for k in p if k not in paths)
    names = short_names(paths)
    param_cols = [names[p] for p in paths]
    lead = ["run", "status", "task"]
    if samples:
        rows = store.query(
            "SELECT r.idx, sa.task, sa.sample_id, sa.epoch, sa.score FROM runs r "
            "JOIN steps s ON s.run_id = r.id AND s.name = ? AND s.status = 'finished' "
            "JOIN samples sa ON sa.atom_id = json_extract(s.outputs, ?) "
            "WHERE r.sweep_id = ? ORDER BY r.idx, sa.task, sa.epoch, sa.sample_id",
            (eval_step_name, f"$.{eval_atom_key}", sweep["id"]),
        )
        by_idx = {r["idx"]: (p, r["status"]) for r, p in zip(runs, params)}
        records = []
        for r in rows:
            p, status = by_idx[r["idx"]]
            rec: dict[str, Any] = {names[k]: p.get(k) for k in paths}
            rec.update(run=r["idx"], status=status, task=r["task"], sample_id=r["sample_id"],
                       epoch=r["epoch"], score=r["score"])
            records.append(rec)
        return _frame(records, param_cols, lead, ["sample_id", "epoch", "score"])
    values: dict[str, dict[str, dict[str, float]]] = {}
    for r in store.query(
        "SELECT m.atom_id, m.task, m.metric, m.value FROM metrics m WHERE m.atom_id IN ("
        "SELECT json_extract(s.outputs, ?) FROM steps s JOIN runs r ON r.id = s.run_id "
        "WHERE r.sweep_id = ? AND s.name = ? AND s.status = 'finished')",
        (f"$.{eval_atom_key}", sweep["id"], eval_step_name),
    ):
        values.setdefault(r["atom_id"], {}).setdefault(r["task"], {})[r["metric"]] = r["value"]
    available = sorted({m for per_task in values.values() for d in per_task.values() for m in d})
    chosen = _select(available, _metric_list(metrics)) if available or metrics else []
    records = []
    for r, p in zip(runs, params):
        base: dict[str, Any] = {names[k]: p.get(k) for k in paths}
        base.update(run=r["idx"], status=r["status"])
        per_task = values.get(r["atom_id"] or "", {})
        if not per_task:
            records.append({**base, "task": None, **{m: float("nan") for m in chosen}})
        for task, mvals in per_task.items():
            records.append({**base, "task": task, **{m: mvals.get(m, float("nan")) for m in chosen}})
    return _frame(records, param_cols, lead, chosen)
