"""Issue 11, point 3: a cancel always holds. Requested before the worker's claim, during it or
after, the sweep ends cancelled and no run starts after the cancel; a retry of a running sweep
says it is running.

"Before" is a real ``sweep run --detach`` whose worker is still starting (its loader module
takes 3 s to import) when ``sweep cancel`` runs; "during" races the claim and the cancel in
threads many times over; "after" cancels a real detached sweep mid-way.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from pathlib import Path

import pytest

from motools.store import Store
from motools.store.lease import cancel_state, claim_sweep
from tests.faults.support import motools_run, rows, wait_for, write_spec
from tests.faults.test_stalled_worker import wait_gone


def slow_starting_spec(tmp_path: Path, name: str) -> Path:
    """A sweep whose dataset loader lives in a module that takes 3 s to import."""
    module = f"slowstart_{tmp_path.name.replace('-', '_')}"
    (tmp_path / f"{module}.py").write_text(
        "import time\n"
        "time.sleep(3)\n"
        "from mozoo.datasets.hello_world import generate_hello_world_dataset\n"
        "def loader(num_samples=20):\n"
        "    return generate_hello_world_dataset(num_samples)\n"
    )
    spec = write_spec(tmp_path / "spec.yaml", name=name, n_lr=2, n_seeds=2, latency=0, parallel=2)
    spec.write_text(
        spec.read_text().replace("mozoo.datasets.hello_world:generate_hello_world_dataset", f"{module}:loader")
    )
    return spec


def test_a_cancel_right_after_detach_holds(tmp_path: Path) -> None:
    spec = slow_starting_spec(tmp_path, "early")
    home = tmp_path / ".motools"
    out = motools_run("sweep", "run", str(spec), "--name", "early", "--detach", "--trust", home=home, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    (pid,) = rows(home, "SELECT worker_pid FROM sweeps")[0]
    cancel = motools_run("sweep", "cancel", "early", home=home)  # the worker is still importing
    assert cancel.returncode == 0 and "cancelled" in cancel.stdout, cancel.stdout + cancel.stderr
    wait_gone(int(pid))
    assert rows(home, "SELECT status FROM sweeps") == [("cancelled",)]
    assert {s for (s,) in rows(home, "SELECT status FROM runs")} == {"cancelled"}
    assert rows(home, "SELECT COUNT(*) FROM runs WHERE started_at IS NOT NULL OR attempts > 0") == [(0,)]
    assert rows(home, "SELECT COUNT(*) FROM events WHERE message = 'run started'") == [(0,)]
    log = (home / "workers" / "early.log").read_text()
    assert "Traceback" not in log
    assert rows(home, "SELECT COUNT(*) FROM events WHERE message LIKE 'cancelled before it started%'") == [(1,)]


def test_claim_and_cancel_racing_always_end_cancelled(tmp_path: Path) -> None:
    """The claim and the cancel are each one transaction: whichever commits first, the worker
    learns of the cancel (from its claim, or from the flag it polls)."""
    from tests.conftest import make_config

    home = tmp_path / ".motools"
    store = Store(home)
    from motools.workflow.launch import record_sweep as record
    from motools.workflow.launch import spec_from_arguments
    from motools.workflow.registry import resolve_workflow

    wf = resolve_workflow("train_and_evaluate")
    outcomes = {"claim saw it": 0, "flag set after the claim": 0}
    for i in range(40):
        spec = spec_from_arguments(
            wf, make_config(), {}, name=f"race{i}", max_parallel=1, retries=0, retry_backoff_s=0, user=None
        )
        sweep_id = record(spec, name=f"race{i}", store=store, workflow=wf).sweep["id"]
        found: dict[str, object] = {}
        start = threading.Barrier(2)

        def claim(sweep_id: int = sweep_id, found: dict[str, object] = found, start: threading.Barrier = start) -> None:
            start.wait()
            found["claim"] = claim_sweep(Store(home), sweep_id, os.getpid())

        def cancel(i: int = i, start: threading.Barrier = start) -> None:
            start.wait()
            Store(home).cancel_sweep(f"race{i}")

        threads = [threading.Thread(target=claim), threading.Thread(target=cancel)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if found["claim"].cancel_requested:  # type: ignore[union-attr]
            outcomes["claim saw it"] += 1
        else:
            assert cancel_state(store.conn, sweep_id).sweep
            outcomes["flag set after the claim"] += 1
    assert sum(outcomes.values()) == 40


def test_a_worker_that_claims_a_cancelled_sweep_runs_nothing(store, counting) -> None:
    from motools.status import Status
    from motools.workflow.launch import execute_sweep, record_sweep, spec_from_arguments
    from motools.workflow.registry import resolve_workflow
    from tests.conftest import make_config

    wf = resolve_workflow("train_and_evaluate")
    grid = {"submit_training.hyperparameters.seed": [0, 1, 2]}
    spec = spec_from_arguments(
        wf, make_config("counting", "counting"), grid, name="x", max_parallel=2, retries=0, retry_backoff_s=0, user=None
    )
    record_sweep(spec, name="x", store=store, workflow=wf)
    assert store.cancel_sweep("x") is False  # no worker yet: kept on the sweep
    outcome = asyncio.run(execute_sweep("x", store=store, workflow=wf))
    assert outcome.status == Status.CANCELLED and outcome.states == []
    training, evaluation = counting
    assert training.submits == [] and evaluation.calls == []


def test_a_cancel_during_the_sweep_starts_nothing_more(tmp_path: Path) -> None:
    spec = write_spec(tmp_path / "spec.yaml", name="mid", n_lr=2, n_seeds=6, latency=0.4, parallel=2)
    home = tmp_path / ".motools"
    out = motools_run("sweep", "run", str(spec), "--name", "mid", "--detach", home=home, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    wait_for(lambda: rows(home, "SELECT COUNT(*) FROM runs WHERE status = 'finished'")[0][0] >= 2)
    (pid,) = rows(home, "SELECT worker_pid FROM sweeps")[0]
    retry = motools_run("sweep", "retry", "mid", home=home)
    assert retry.returncode == 2 and "is running" in retry.stderr, retry.stdout + retry.stderr
    finished_before = {i for (i,) in rows(home, "SELECT idx FROM runs WHERE status = 'finished'")}
    cancel = motools_run("sweep", "cancel", "mid", home=home)
    assert cancel.returncode == 0 and "cancelled (status: cancelled)" in cancel.stdout, cancel.stdout
    committed = time.time()
    wait_gone(int(pid))
    assert rows(home, "SELECT status FROM sweeps") == [("cancelled",)]
    statuses = dict(rows(home, "SELECT idx, status FROM runs"))
    assert finished_before <= {i for i, s in statuses.items() if s == "finished"}  # kept
    assert "cancelled" in statuses.values() and set(statuses.values()) <= {"finished", "cancelled"}
    assert rows(home, "SELECT COUNT(*) FROM runs WHERE started_at > ?", (committed,)) == [(0,)]
    resumed = motools_run("sweep", "resume", "mid", "--quiet", home=home)  # and it can be finished later
    assert resumed.returncode == 0, resumed.stderr
    assert {s for (s,) in rows(home, "SELECT status FROM runs")} == {"finished"}


def test_a_cancel_that_arrives_as_the_sweep_finishes_leaves_it_finished(store) -> None:
    """'sweep cancel' looks, then asks: when the worker finishes the sweep and exits in between
    (seen here with a sweep served from the cache in 0.02 s), the sweep stays finished, with its
    runs, and the command says it is not running."""
    from motools.errors import SweepNotRunning
    from motools.status import Status
    from motools.store.sweeps import cancel_sweep
    from motools.workflow import run_sweep
    from motools.workflow.registry import resolve_workflow
    from tests.conftest import make_config

    wf = resolve_workflow("train_and_evaluate")
    grid = {"submit_training.hyperparameters.seed": [0, 1]}
    asyncio.run(run_sweep(wf, make_config(), grid, name="quick", store=store, retries=0))
    with pytest.raises(SweepNotRunning, match=r"sweep quick is not running \(status: finished\)"):
        cancel_sweep(store, "quick")  # the command's own look (status running) came just before
    sweep = store.get_sweep("quick")
    assert sweep["status"] == Status.FINISHED and sweep["cancel_requested"] == 0
    assert store.read.status_counts(sweep["id"]) == {Status.FINISHED: 2}
