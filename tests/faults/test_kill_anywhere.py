"""Kill anywhere: SIGKILL a 200-config sweep at random moments, resume each time, lose nothing."""

from __future__ import annotations

import os
import random
import signal
import time
from pathlib import Path

import pandas as pd
import pytest

from motools.analysis import collate_sweep
from motools.store import Store
from tests.faults.support import (
    EXECUTORS,
    LONG,
    alive,
    motools_popen,
    motools_run,
    pool_pids,
    rows,
    step_executions,
    wait_for,
    write_spec,
)

KILLS = 10 if LONG else 3


def finished(home: Path) -> int:
    return rows(home, "SELECT COUNT(*) FROM runs WHERE status='finished'")[0][0]


@pytest.mark.parametrize("executor", EXECUTORS)
def test_sigkill_at_random_moments_then_resume_until_done(tmp_path: Path, executor: str) -> None:
    spec = write_spec(tmp_path / "spec.yaml", n_lr=10, n_seeds=20, latency=0.1, parallel=10, executor=executor)
    home = tmp_path / "killed"
    rng = random.Random(1234)
    finished_before_kill: dict[int, tuple[float, int]] = {}
    kills = 0
    drivers: set[int] = set()  # the killed drivers, and pool processes that worked for them
    orphans: set[int] = set()
    args = ["sweep", "run", str(spec), "--name", "k", "--quiet"]
    while True:
        proc = motools_popen(*args, home=home)
        args = ["sweep", "resume", "k", "--quiet"]
        # let the worker claim the sweep, then kill it at a random moment: after a random number
        # of further runs have finished, plus a random fraction of a run
        wait_for(
            lambda proc=proc: (
                rows(
                    home,
                    "SELECT COUNT(*) FROM sweeps WHERE name='k' AND status='running' AND worker_pid = ?",
                    (proc.pid,),
                )[0][0]
                == 1
                or proc.poll() is not None
            )
        )
        if kills < KILLS:
            target = finished(home) + rng.randint(1, 12)
            wait_for(lambda proc=proc, target=target: finished(home) >= target or proc.poll() is not None)
            time.sleep(rng.uniform(0.0, 0.1))
        if kills < KILLS and proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            kills += 1
            orphans.update(pool_pids(home, proc.pid) - drivers)
            drivers.add(proc.pid)
            for idx, finished_at, attempts in rows(
                home, "SELECT idx, finished_at, attempts FROM runs WHERE status='finished'"
            ):
                finished_before_kill.setdefault(idx, (finished_at, attempts))
            continue
        _out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        break
    assert kills == KILLS
    wait_for(lambda: not any(alive(p) for p in orphans), timeout=30)  # no pool process outlived its driver
    final = rows(home, "SELECT idx, status, finished_at, attempts FROM runs ORDER BY idx")
    assert len(final) == 200 and {r[1] for r in final} == {"finished"}
    for idx, _, finished_at, attempts in final:
        if idx in finished_before_kill:  # finished before some kill: never started again
            assert (finished_at, attempts) == finished_before_kill[idx]
    work = step_executions(home, "k")
    assert max(work.values()) == 1  # nothing trained or evaluated twice
    assert sum(1 for (_, step) in work if step == "evaluate_model") == 200
    evals = rows(
        home,
        "SELECT COUNT(*) FROM steps s JOIN runs r ON r.id = s.run_id "
        "WHERE s.name='evaluate_model' AND s.status='finished'",
    )[0][0]
    assert evals == 200  # exactly one result per config
    assert rows(home, "PRAGMA integrity_check")[0][0] == "ok"

    calm = tmp_path / "calm"
    done = motools_run("sweep", "run", str(spec), "--name", "k", "--quiet", home=calm)  # same executor
    assert done.returncode == 0, done.stderr
    interrupted = collate_sweep("k", store=Store(home))
    uninterrupted = collate_sweep("k", store=Store(calm))
    pd.testing.assert_frame_equal(interrupted, uninterrupted)
    print(
        f"kill anywhere: {kills} SIGKILLs survived; {len(finished_before_kill)} of 200 runs had finished "
        f"before some kill and none ran again; {sum(work.values())} step executions for 800 steps"
    )
