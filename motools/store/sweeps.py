"""Recording sweeps and their runs, and the requests any process may make of a sweep.

These are the only writes the CLI and the app make to a sweep: recording it (before any worker
runs it), asking it to cancel, and marking a sweep without a live worker cancelled. Everything a
running sweep writes goes through its worker's :class:`~motools.store.records.SweepRecords`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from motools.errors import MotoolsError, SweepBusy, SweepNotRunning
from motools.liveness import worker_alive
from motools.status import TERMINAL, UNFINISHED, Status

if TYPE_CHECKING:
    from motools.store.db import Store


@dataclass(frozen=True)
class RunRecord:
    """One grid point to record: its parameters and resolved config (canonical JSON)."""

    params_json: str
    config_json: str
    config_hash: str


@dataclass(frozen=True)
class SweepRecord:
    """Everything the sweeps row holds about how to run the sweep."""

    name: str
    spec_name: str
    spec_yaml: str
    workflow: str
    user: str | None
    max_parallel: int
    base_hash: str
    import_paths: Sequence[str] = ()
    workdir: str | None = None


@dataclass(frozen=True)
class Recorded:
    sweep: dict[str, Any]
    run_ids: list[int]  # in the order the runs were given
    added: int  # runs new to the sweep (all of them for a new sweep)
    existed: bool


def record_sweep(
    store: Store,
    sweep: SweepRecord,
    runs: Sequence[RunRecord],
    *,
    allow_new_runs: bool = True,
    now: float | None = None,
) -> Recorded:
    """Insert a sweep with its pending runs, or extend the sweep of that name with new grid points.

    A sweep of the same name must have the same workflow, base config and swept parameters; runs
    whose config it already has are kept as they are (finished ones never run again), the others
    are appended. Recording also clears an earlier cancel: recording says "run this".
    """
    from motools.names import check_name

    check_name(sweep.name, "sweep name")
    if sweep.spec_name:
        check_name(sweep.spec_name, "spec name")
    now = time.time() if now is None else now
    with store.transaction() as c:
        row = c.execute("SELECT * FROM sweeps WHERE name = ?", (sweep.name,)).fetchone()
        existed = row is not None
        if row is None:
            cur = c.execute(
                "INSERT INTO sweeps(name, spec_name, spec_yaml, workflow, user, status, n_runs, max_parallel, "
                "created_at, cancel_requested, claim_generation, base_hash, import_paths, workdir) "
                "VALUES (?,?,?,?,?,?,0,?,?,0,0,?,?,?)",
                (
                    sweep.name,
                    sweep.spec_name,
                    sweep.spec_yaml,
                    sweep.workflow,
                    sweep.user,
                    Status.PENDING,
                    sweep.max_parallel,
                    now,
                    sweep.base_hash,
                    json.dumps(list(sweep.import_paths)),
                    sweep.workdir,
                ),
            )
            sweep_id = int(cur.lastrowid or 0)
            existing: dict[str, tuple[int, int]] = {}
        else:
            current = dict(row)
            sweep_id = int(current["id"])
            if worker_alive(current, now=now):
                raise SweepBusy(
                    f"sweep {sweep.name!r} is still running in process {current['worker_pid']} on "
                    f"{current['worker_host']}; wait for it, or cancel it with 'motools sweep cancel {sweep.name}'"
                )
            existing = {
                r["config_hash"]: (int(r["id"]), int(r["idx"]))
                for r in c.execute("SELECT id, idx, config_hash FROM runs WHERE sweep_id = ?", (sweep_id,))
            }
            _check_same_experiment(c, current, sweep, runs, existing)
        next_idx = 1 + max((idx for _, idx in existing.values()), default=-1)
        run_ids: list[int] = []
        added = 0
        for run in runs:
            found = existing.get(run.config_hash)
            if found is not None:
                run_ids.append(found[0])
                continue
            if existed and not allow_new_runs:
                raise MotoolsError(f"sweep {sweep.name!r} has no run with config {run.config_hash[:12]}")
            cur = c.execute(
                "INSERT INTO runs(sweep_id, idx, params, config, config_hash, status, attempts) VALUES (?,?,?,?,?,?,0)",
                (sweep_id, next_idx, run.params_json, run.config_json, run.config_hash, Status.PENDING),
            )
            existing[run.config_hash] = (int(cur.lastrowid or 0), next_idx)
            run_ids.append(int(cur.lastrowid or 0))
            next_idx += 1
            added += 1
        n_runs = c.execute("SELECT COUNT(*) FROM runs WHERE sweep_id = ?", (sweep_id,)).fetchone()[0]
        c.execute(
            "UPDATE sweeps SET n_runs = ?, max_parallel = ?, spec_yaml = ?, user = COALESCE(?, user), "
            "base_hash = COALESCE(base_hash, ?), import_paths = ?, workdir = COALESCE(?, workdir), "
            "cancel_requested = 0 WHERE id = ?",
            (
                n_runs,
                sweep.max_parallel,
                sweep.spec_yaml,
                sweep.user,
                sweep.base_hash,
                json.dumps(list(sweep.import_paths)),
                sweep.workdir,
                sweep_id,
            ),
        )
        if existed:
            _reopen(c, sweep_id)
        out = dict(c.execute("SELECT * FROM sweeps WHERE id = ?", (sweep_id,)).fetchone())
    return Recorded(out, run_ids, added, existed)


def _reopen(conn: Any, sweep_id: int) -> None:
    """An ended sweep waits for a worker again; an earlier cancel no longer applies."""
    conn.execute(
        "UPDATE sweeps SET status = ?, finished_at = NULL, cancel_requested = 0, message = NULL, "
        "worker_pid = NULL, worker_host = NULL, worker_token = NULL WHERE id = ? AND status != ?",
        (Status.PENDING, sweep_id, Status.RUNNING),
    )


def prepare_to_run(
    store: Store, name: str, *, max_parallel: int | None = None, now: float | None = None
) -> dict[str, Any]:
    """Make a recorded sweep ready for a new worker (resume, retry): refused while one runs it."""
    now = time.time() if now is None else now
    with store.transaction() as c:
        row = c.execute("SELECT * FROM sweeps WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise MotoolsError(f"no sweep named {name!r}")
        current = dict(row)
        if worker_alive(current, now=now):
            raise SweepBusy(
                f"sweep {name!r} is still running in process {current['worker_pid']} on {current['worker_host']}"
            )
        _reopen(c, current["id"])
        c.execute(
            "UPDATE sweeps SET cancel_requested = 0, max_parallel = COALESCE(?, max_parallel) WHERE id = ?",
            (max_parallel, current["id"]),
        )
        return dict(c.execute("SELECT * FROM sweeps WHERE id = ?", (current["id"],)).fetchone())


def _check_same_experiment(
    conn: Any,
    current: dict[str, Any],
    sweep: SweepRecord,
    runs: Sequence[RunRecord],
    existing: dict[str, tuple[int, int]],
) -> None:
    """Only added grid values may extend a sweep; anything else needs a new sweep name."""
    name = sweep.name
    if current.get("workflow") and current["workflow"] != sweep.workflow:
        raise MotoolsError(
            f"a sweep named {name!r} already exists with workflow {current['workflow']!r}, not {sweep.workflow!r}; "
            "choose another name"
        )
    stored_base = current.get("base_hash")
    if stored_base and stored_base != sweep.base_hash:
        raise MotoolsError(
            f"a sweep named {name!r} already exists with a different base config; a sweep can only be extended "
            "with new grid values, so a changed base config needs a new sweep name (--name)"
        )
    row = conn.execute("SELECT params FROM runs WHERE sweep_id = ? ORDER BY idx LIMIT 1", (current["id"],)).fetchone()
    if row is not None and runs:
        before, after = set(json.loads(row[0])), set(json.loads(runs[0].params_json))
        if before != after:
            raise MotoolsError(
                f"a sweep named {name!r} already exists sweeping {', '.join(sorted(before)) or 'nothing'}; "
                f"this grid sweeps {', '.join(sorted(after)) or 'nothing'}: choose another name"
            )
    if not stored_base and any(r.config_hash not in existing for r in runs):
        raise MotoolsError(
            f"a sweep named {name!r} already exists with a different grid or config; choose another name"
        )


def record_launcher(store: Store, sweep_id: int, pid: int, host: str) -> None:
    """Note the detached worker's pid (and start time) on its pending sweep, so a worker that
    dies before it claims the sweep shows as interrupted rather than pending forever."""
    from motools.liveness import process_token

    with store.transaction() as c:
        c.execute(
            "UPDATE sweeps SET worker_pid = ?, worker_host = ?, worker_token = ? WHERE id = ? AND status = ?",
            (pid, host, process_token(pid), sweep_id, Status.PENDING),
        )


def request_cancel(store: Store, sweep_id: int, *, now: float | None = None) -> None:
    """Ask the sweep's worker to stop; it records its unfinished runs as cancelled."""
    with store.transaction() as c:
        c.execute("UPDATE sweeps SET cancel_requested = 1 WHERE id = ?", (sweep_id,))
        c.execute(
            "INSERT INTO requests(sweep_id, kind, payload, created_at) VALUES (?,?,?,?)",
            (sweep_id, "cancel", "{}", time.time() if now is None else now),
        )


def cancel_sweep(store: Store, name: str, *, now: float | None = None) -> bool:
    """Stop a sweep from any process. True when its live worker was asked to stop; with no live
    worker its unfinished runs are marked cancelled here, and a worker still starting up finds
    the cancel when it claims the sweep and runs nothing (False). A sweep that has ended, even
    a moment ago (its worker finished while this was asked), is left as it is:
    :class:`~motools.errors.SweepNotRunning`."""
    now = time.time() if now is None else now
    sweep = store.get_sweep(name)
    if worker_alive(sweep, now=now):
        request_cancel(store, sweep["id"], now=now)
        return True
    with store.transaction() as c:
        row = dict(c.execute("SELECT * FROM sweeps WHERE id = ?", (sweep["id"],)).fetchone())
        if worker_alive(row, now=now):  # a worker claimed it meanwhile: ask it instead
            c.execute("UPDATE sweeps SET cancel_requested = 1 WHERE id = ?", (sweep["id"],))
            return True
        if row["status"] in TERMINAL:  # its worker finished it meanwhile: nothing to cancel
            raise SweepNotRunning(f"sweep {name} is not running (status: {row['status']})")
        c.execute(
            "UPDATE runs SET status = ?, finished_at = COALESCE(finished_at, ?) WHERE sweep_id = ? "
            "AND status IN (?, ?)",
            (Status.CANCELLED, now, sweep["id"], *sorted(UNFINISHED)),
        )
        c.execute(
            "UPDATE sweeps SET status = ?, finished_at = ?, cancel_requested = 1 WHERE id = ?",
            (Status.CANCELLED, now, sweep["id"]),
        )
    return False


def request_cancel_run(store: Store, sweep_id: int, run_index: int, *, now: float | None = None) -> None:
    """Ask the worker to stop one run (grid point); the rest of the sweep goes on."""
    with store.transaction() as c:
        c.execute(
            "INSERT INTO requests(sweep_id, kind, payload, created_at) VALUES (?,?,?,?)",
            (sweep_id, "cancel_run", json.dumps({"run_index": run_index}), time.time() if now is None else now),
        )


__all__ = [
    "Recorded",
    "RunRecord",
    "SweepRecord",
    "cancel_sweep",
    "prepare_to_run",
    "record_launcher",
    "record_sweep",
    "request_cancel",
    "request_cancel_run",
]
