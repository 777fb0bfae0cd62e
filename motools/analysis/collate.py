"""Tables of results: one row per run and task, swept parameters first, then the metrics.

Results are found where the workflow declares them (``Workflow.results``), or, when it declares
none, in any step output whose atom carries metrics: no step or output name is assumed.
"""

from __future__ import annotations

import asyncio
import json
import logging
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from motools.evals.metrics import primary_metrics
from motools.params import param_labels
from motools.status import Status

if TYPE_CHECKING:
    import pandas as pd

    from motools.store import Store
    from motools.workflow.state import StepState, WorkflowState

log = logging.getLogger(__name__)


def _metric_list(metrics: str | Sequence[str] | None) -> list[str] | None:
    if metrics is None:
        return None
    return [metrics] if isinstance(metrics, str) else list(metrics)


def _select(available: list[str], wanted: list[str] | None) -> list[str]:
    """Requested metrics, or by default the primary ones (``stderr`` and kin on request only)."""
    if wanted is None:
        return primary_metrics(available)
    missing = [m for m in wanted if m not in available]
    if missing:
        raise ValueError(
            f"metric(s) {', '.join(map(repr, missing))} not found; available: {', '.join(available) or 'none'}"
        )
    return wanted


def _frame(
    records: list[dict[str, Any]], param_cols: list[str], lead: list[str], metric_cols: list[str]
) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame.from_records(records, columns=[*param_cols, *lead, *metric_cols])


def _param_columns(param_dicts: Sequence[dict[str, Any]]) -> tuple[list[str], dict[str, str]]:
    paths: list[str] = []
    for p in param_dicts:
        paths.extend(k for k in p if k not in paths)
    return paths, param_labels(paths)


async def collate_sweep_evals(
    sweep_states: Sequence[WorkflowState],
    eval_step_name: str | None = None,
    metrics: str | Sequence[str] | None = None,
    eval_atom_key: str | None = None,
) -> pd.DataFrame:
    """One row per run and task: swept parameters (leaf names), ``task``, then the metrics.

    ``eval_step_name``/``eval_atom_key`` pick the step output holding the results; by default,
    the outputs the workflow declares (``Workflow.results``), else any output with metrics.
    ``metrics=None`` gives every primary metric (``accuracy``...); companions such as ``stderr``
    appear when asked for by name. A requested metric that no run has raises ``ValueError``
    listing the available ones. Runs whose evaluation did not finish are left out with a
    warning that names them.
    """
    return await asyncio.to_thread(
        _collate_states, list(sweep_states), eval_step_name, _metric_list(metrics), eval_atom_key
    )


def _result_outputs(st: WorkflowState, step_name: str | None, atom_key: str | None) -> list[tuple[StepState, str]]:
    """``(step state, output key)`` pairs that should hold the state's evaluation results."""
    if step_name is not None:
        step = st.step_states.get(step_name)
        if step is None:
            raise ValueError(f"no step {step_name!r} in the workflow; steps: {', '.join(st.step_states)}")
        keys = [atom_key] if atom_key else list(step.output_atoms) or [""]
        return [(step, k) for k in keys]
    declared = [(s, k) for s, k in st.result_outputs if atom_key is None or k == atom_key]
    if declared:
        return [(st.step_states[s], k) for s, k in declared if s in st.step_states]
    return [
        (step, k) for step in st.step_states.values() for k in step.output_atoms if atom_key is None or k == atom_key
    ]


def _collate_states(
    states: list[WorkflowState], step_name: str | None, wanted: list[str] | None, atom_key: str | None
) -> pd.DataFrame:
    from motools.store import open_store

    paths, names = _param_columns([st.params for st in states])
    candidates: list[tuple[WorkflowState, list[str]]] = []
    skipped: list[str] = []
    for st in states:
        outputs = _result_outputs(st, step_name, atom_key)
        ids = [s.output_atoms[k] for s, k in outputs if s.status == Status.FINISHED and k in s.output_atoms]
        if not ids:
            what = ", ".join(f"{s.status}" + (f": {s.error}" if s.error else "") for s, _ in outputs) or "no results"
            skipped.append(f"run {st.run_index} {st.params} ({what})")
            continue
        candidates.append((st, ids))
    if skipped:
        where = repr(step_name) if step_name else "evaluation"
        msg = f"{len(skipped)} run(s) have no finished {where}: " + "; ".join(skipped)
        warnings.warn(msg, stacklevel=3)
        log.warning(msg)
    values: dict[str, dict[str, dict[str, float]]] = {}
    by_home: dict[str | None, set[str]] = {}
    for st, ids in candidates:
        by_home.setdefault(st.home, set()).update(ids)
    for home, ids in by_home.items():
        for r in open_store(home).read.metrics_of_atoms(ids):
            values.setdefault(r["atom_id"], {}).setdefault(r["task"], {})[r["metric"]] = r["value"]
    available = sorted({m for per_task in values.values() for d in per_task.values() for m in d})
    chosen = _select(available, wanted)
    records = []
    for st, ids in candidates:
        for atom_id in ids:
            for task, mvals in values.get(atom_id, {}).items():
                rec: dict[str, Any] = {names[p]: st.params.get(p) for p in paths}
                rec["task"] = task
                rec.update({m: mvals.get(m, float("nan")) for m in chosen})
                records.append(rec)
    return _frame(records, [names[p] for p in paths], ["task"], chosen)


def _declared_filter(store: Store, sweep: dict[str, Any]) -> set[tuple[str, str]] | None:
    """The ``(step, output)`` pairs a stored sweep's workflow declares as results, if it can be loaded."""
    from motools.errors import MotoolsError
    from motools.workflow.launch import sweep_workflow

    try:
        declared = sweep_workflow(sweep)[0].result_outputs
    except MotoolsError:  # the workflow's module is not importable here: take any output with metrics
        return None
    return set(declared) or None


def collate_sweep(
    name: str,
    *,
    store: Store | None = None,
    metrics: str | Sequence[str] | None = None,
    samples: bool = False,
) -> pd.DataFrame:
    """The results table of a stored sweep, straight from the store (no WorkflowStates needed).

    Every run appears, with a ``status`` column, so failed and unfinished runs are visible
    (their metrics are NaN). ``samples=True`` gives one row per scored sample instead.
    """
    from motools.store import open_store

    store = store or open_store()
    read = store.read
    sweep = store.get_sweep(name)
    runs = read.runs(sweep["id"])
    declared = _declared_filter(store, sweep)
    found = [a for a in read.result_atoms(sweep["id"]) if declared is None or (a["step"], a["key"]) in declared]
    atoms_of: dict[int, list[str]] = {}
    for a in found:
        atoms_of.setdefault(a["run_id"], []).append(a["atom_id"])
    params = [json.loads(r["params"]) for r in runs]
    paths, names = _param_columns(params)
    param_cols = [names[p] for p in paths]
    lead = ["run", "status", "task"]
    if samples:
        return _sample_frame(read, runs, params, paths, names, atoms_of)
    values: dict[str, dict[str, dict[str, float]]] = {}
    for r in read.metrics_of_atoms(a["atom_id"] for a in found):
        values.setdefault(r["atom_id"], {}).setdefault(r["task"], {})[r["metric"]] = r["value"]
    available = sorted({m for per_task in values.values() for d in per_task.values() for m in d})
    chosen = _select(available, _metric_list(metrics)) if available or metrics else []
    records = []
    for r, p in zip(runs, params, strict=True):
        base: dict[str, Any] = {names[k]: p.get(k) for k in paths}
        base.update(run=r["idx"], status=r["status"])
        per_task: dict[str, dict[str, float]] = {}
        for atom_id in atoms_of.get(r["id"], []):
            for task, mvals in values.get(atom_id, {}).items():
                per_task.setdefault(task, {}).update(mvals)
        if not per_task:
            records.append({**base, "task": None, **{m: float("nan") for m in chosen}})
        for task, mvals in per_task.items():
            records.append({**base, "task": task, **{m: mvals.get(m, float("nan")) for m in chosen}})
    return _frame(records, param_cols, lead, chosen)


def _sample_frame(
    read: Any,
    runs: list[dict[str, Any]],
    params: list[dict[str, Any]],
    paths: list[str],
    names: dict[str, str],
    atoms_of: dict[int, list[str]],
) -> pd.DataFrame:
    """One row per run, task, sample and epoch: parameters, ``run``, ``status``, ``task``,
    ``sample_id``, ``epoch``, one column per score, ``answer``, ``target``."""
    import pandas as pd

    param_cols = [names[p] for p in paths]
    lead = ["run", "status", "task", "sample_id", "epoch"]
    links = [
        {**{names[k]: p.get(k) for k in paths}, "run": r["idx"], "status": r["status"], "atom_id": atom_id}
        for r, p in zip(runs, params, strict=True)
        for atom_id in atoms_of.get(r["id"], [])
    ]
    score_names, columns, tuples = read.sample_table({link["atom_id"] for link in links})
    if not links or not tuples:
        return pd.DataFrame(columns=[*param_cols, *lead, "answer", "target"])
    per_atom = pd.DataFrame.from_records(tuples, columns=columns)
    for col in score_names:  # numbers stay numbers; a column holding text keeps its text
        if per_atom[col].dtype == object:
            numeric = pd.to_numeric(per_atom[col], errors="coerce")
            if numeric.notna().sum() == per_atom[col].notna().sum():
                per_atom[col] = numeric
    frame = pd.DataFrame(links).merge(per_atom, on="atom_id", how="inner")
    frame = frame.sort_values(["run", "task", "epoch", "sample_id"], kind="stable").reset_index(drop=True)
    return frame[[*param_cols, *lead, *score_names, "answer", "target"]]


def collate_sweeps(
    names: Sequence[str],
    *,
    store: Store | None = None,
    metrics: str | Sequence[str] | None = None,
    samples: bool = False,
) -> pd.DataFrame:
    """Several sweeps in one table, each row tagged with its ``sweep`` (the first column).

    Parameters a sweep does not have are NaN in its rows, so a baseline sweep (no learning
    rate) and its fine-tunes land in one table and one chart.
    """
    import pandas as pd

    frames = [collate_sweep(name, store=store, metrics=metrics, samples=samples).assign(sweep=name) for name in names]
    if not frames:
        raise ValueError("collate_sweeps needs at least one sweep name")
    params: list[str] = []
    rest: list[str] = []
    for frame in frames:
        cols = [c for c in frame.columns if c != "sweep"]
        cut = cols.index("run")
        params.extend(c for c in cols[:cut] if c not in params)
        rest.extend(c for c in cols[cut:] if c not in rest)
    return pd.concat(frames, ignore_index=True, sort=False)[["sweep", *params, *rest]]
