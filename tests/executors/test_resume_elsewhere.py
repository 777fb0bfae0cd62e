"""A sweep resumed or retried somewhere else than its spec says (``--executor``, ``--workers``,
``--ray-address``; ``resume_sweep(executor=...)``): a driver killed on a cluster that is gone
since finishes locally, a sweep started in one process finishes on a pool. The recorded spec
stays as it is; the sweep's events say where this execution ran and what the spec says.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from motools.errors import MotoolsError
from motools.specs import load_spec_text
from motools.store import Store
from motools.workflow.launch import record_sweep, resume_sweep
from tests.faults.support import motools_run, rows, wait_for

ROOT = Path(__file__).resolve().parents[2]
SPEC = """\
name: elsewhere
workflow: tests.executors.workflows:probe_workflow
base_config:
  probe: {fetch_extra: false}
param_grid:
  make.x: [1, 2, 3]
execution:
  max_parallel: 3
"""


def recorded(home: Path, name: str) -> Store:
    """A sweep recorded (its spec says ``executor: local``, by default) that has not run yet."""
    store = Store(home)
    record_sweep(load_spec_text(SPEC, trust=True, home=home), name=name, store=store)
    return store


def placements(home: Path) -> dict[str, set[int]]:
    got: dict[str, set[int]] = {}
    for name, pid in rows(home, "SELECT name, pid FROM steps WHERE status = 'finished'"):
        got.setdefault(name, set()).add(pid)
    return got


def started_events(home: Path) -> list[str]:
    return [m for (m,) in rows(home, "SELECT message FROM events WHERE message LIKE 'sweep started%'")]


def test_resume_on_a_pool_though_the_spec_says_local(tmp_path: Path) -> None:
    home = tmp_path / "home"
    recorded(home, "elsewhere")
    done = motools_run(
        "sweep", "resume", "elsewhere", "--executor", "processes", "--workers", "1", "--quiet", home=home, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    assert {s for (s,) in rows(home, "SELECT status FROM runs")} == {"finished"}
    where = placements(home)
    assert len(where["make"]) == 1 and len(where["probe"]) == 1  # the driver; its one pool process
    assert where["probe"] != where["make"]
    (event,) = started_events(home)
    assert event.endswith("executor processes (chosen for this run of it; the spec says local)")
    ((spec_yaml,),) = rows(home, "SELECT spec_yaml FROM sweeps")
    assert "processes" not in spec_yaml  # the recorded spec is unchanged


def test_a_detached_resume_takes_the_choice_to_its_worker(tmp_path: Path) -> None:
    home = tmp_path / "home"
    recorded(home, "elsewhere")
    done = motools_run(
        "sweep", "resume", "elsewhere", "--detach", "--executor", "processes", "--workers", "1", home=home, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    wait_for(lambda: rows(home, "SELECT status FROM sweeps")[0][0] in ("finished", "failed"), timeout=120)
    assert rows(home, "SELECT status FROM sweeps")[0][0] == "finished"
    where = placements(home)
    assert where["probe"] != where["make"] and len(where["probe"]) == 1
    assert "executor processes (chosen" in started_events(home)[0]


@pytest.mark.parametrize(
    ("options", "said"),
    [
        (["--workers", "2"], "--workers applies to executor 'processes' only (this execution's executor: local)"),
        (["--ray-address", "10.0.0.5:6379"], "--ray-address applies to executor 'ray' only"),
        (["--executor", "processes", "--workers", "0"], "--workers must be a whole number from 1 to 1024, got 0"),
        (["--executor", "elsewhere"], "argument --executor: invalid choice: 'elsewhere'"),
    ],
)
def test_a_choice_that_does_not_fit_is_refused_and_changes_nothing(
    tmp_path: Path, options: list[str], said: str
) -> None:
    home = tmp_path / "home"
    recorded(home, "elsewhere")
    before = rows(home, "SELECT status, started_at, worker_pid FROM sweeps")
    for verb in ("resume", "retry"):
        done = motools_run("sweep", verb, "elsewhere", *options, home=home, cwd=ROOT)
        assert done.returncode == 2 and said in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert rows(home, "SELECT status, started_at, worker_pid FROM sweeps") == before
    assert rows(home, "SELECT COUNT(*) FROM steps") == [(0,)]


async def test_resume_sweep_in_python_runs_on_the_executor_asked_for(tmp_path: Path) -> None:
    store = recorded(tmp_path / "home", "elsewhere")
    with pytest.raises(MotoolsError, match="workers applies to executor 'processes' only"):
        await resume_sweep("elsewhere", store=store, workers=2)
    assert rows(store.home, "SELECT COUNT(*) FROM steps") == [(0,)]
    outcome = await resume_sweep("elsewhere", store=store, executor="processes", workers=1)
    assert outcome.status == "finished" and len(outcome.states) == 3
    where = placements(store.home)
    assert where["make"] == {os.getpid()} and os.getpid() not in where["probe"]
