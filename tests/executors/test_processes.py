"""The ``processes`` executor: CPU-heavy steps in a pool of real worker processes.

What must hold: those steps run in the pool (not the driver) and everything they make comes
back to the driver's store; results equal a local run's; a crashed pool process fails only
its own steps, which are retried (resuming from a checkpoint saved before the crash); cancel
reaches a step in the pool; killing the driver leaves no pool process behind.
"""

from __future__ import annotations

import asyncio
import gc
import os
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from motools.analysis import collate_sweep
from motools.errors import MotoolsError
from motools.liveness import this_host
from motools.status import Status
from motools.store import Store
from motools.workflow import SweepControl, run_sweep
from mozoo.workflows.train_and_evaluate import train_and_evaluate_workflow
from tests.conftest import make_config
from tests.executors.workflows import ProbeConfig, ProbeWorkflowConfig, probe_workflow, reports
from tests.faults.support import motools_popen, motools_run, rows, step_executions, wait_for

X_GRID = {"make.x": [1, 2, 3, 4, 5, 6]}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def test_cpu_heavy_steps_run_in_the_pool_and_come_back_whole(store: Store) -> None:
    states = await run_sweep(
        probe_workflow, ProbeWorkflowConfig(), X_GRID, store=store, executor="processes", workers=2, max_parallel=6
    )
    assert [s.status for s in states] == [Status.FINISHED] * 6
    got = reports(states)
    pool_pids = {r["pid"] for r in got}
    assert os.getpid() not in pool_pids and 1 <= len(pool_pids) <= 2
    # the template froze its warm heap before forking (kept shared, out of the workers' collections);
    # the researcher's own process (this one, the driver) is left alone
    assert all(r["frozen"] > 10_000 for r in got) and gc.get_freeze_count() == 0
    assert all(r["gc_enabled"] for r in got)  # the template's pause (its imports) ended at the fork
    # inputs arrived whole (JSON, a 100 kB file), and an atom that is no input was fetched from the driver
    assert all(r["blob_ok"] and r["extra"] == r["x"] * 7 for r in got)
    sweep = store.read.sweep(states[0].sweep_name)
    placed = {(r["name"], r["host"], r["pid"]) for r in store.read.sweep_steps(sweep["id"])}
    assert {(n, p) for n, h, p in placed if n == "make"} == {("make", os.getpid())}
    assert {p for n, h, p in placed if n == "probe"} == pool_pids
    assert {h for _, h, _ in placed} == {this_host()}
    # what the step logged, its progress and its evaluation results reached the driver's store
    events = [e["message"] for e in store.read.events(sweep_id=sweep["id"])]
    assert sum(m.startswith("probe of x=") for m in events) == 6
    metrics = store.read.run_metrics(sweep["id"])
    assert sorted(m["probe"]["accuracy"] for m in metrics.values()) == [0, 0, 0, 1, 1, 1]
    samples = collate_sweep(states[0].sweep_name, store=store, samples=True)
    assert len(samples) == 18
    pids_now = {r["pid"] for r in got}
    wait_for(lambda: not any(_alive(p) for p in pids_now), timeout=30)  # the pool ended with the sweep


async def test_a_max_parallel_that_leaves_pool_processes_idle_is_said_once(tmp_path: Path) -> None:
    """With three pool processes and max_parallel 2, one process could never work while six runs
    wait: the sweep says so once, as a warning event naming the setting, which 'sweep show'
    prints. Two runs could not use a third process anyway, so then nothing is said."""
    home = tmp_path / "home"
    store = Store(home)

    async def warnings(name: str, grid: dict[str, list[int]]) -> list[str]:
        states = await run_sweep(
            probe_workflow,
            ProbeWorkflowConfig(),
            grid,
            store=store,
            name=name,
            executor="processes",
            workers=3,
            max_parallel=2,
        )
        assert [s.status for s in states] == [Status.FINISHED] * len(grid["make.x"])
        sweep = store.read.sweep(states[0].sweep_name)
        return [e["message"] for e in store.read.events(sweep_id=sweep["id"]) if e["level"] == "warning"]

    said = (
        "max_parallel 2 lets at most 2 of the 3 processes of the processes executor work at once: set "
        "execution.max_parallel to 3 or more (a few per process, such as 12, lets each batch its evaluations)"
    )
    assert await warnings("narrow", X_GRID) == [said]
    assert await warnings("small", {"make.x": [7, 8]}) == []
    shown = motools_run("sweep", "show", "narrow", home=home)
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[lines.index("warnings:") + 1] == f"  {said}"
    assert "warnings:" not in motools_run("sweep", "show", "small", home=home).stdout


async def test_results_equal_a_local_run_with_real_inspect(tmp_path: Path) -> None:
    grid = {
        "submit_training.hyperparameters.learning_rate": [1e-5, 1e-4, 1e-3],
        "submit_training.hyperparameters.seed": [0, 1],
    }
    config = make_config(evaluation="inspect")
    frames = []
    for executor in ("local", "processes"):
        store = Store(tmp_path / executor)
        states = await run_sweep(
            train_and_evaluate_workflow, config, grid, store=store, executor=executor, name="same", max_parallel=6
        )
        assert len(states) == 6
        frames.append(collate_sweep("same", store=store, samples=True).drop(columns=["run_id"], errors="ignore"))
        placed = {
            r["pid"] for r in store.read.sweep_steps(store.get_sweep("same")["id"]) if r["name"] == "evaluate_model"
        }
        assert (placed == {os.getpid()}) == (executor == "local")
        assert len(list((store.home / "inspect_logs").glob("*.eval"))) == 6
    pd.testing.assert_frame_equal(frames[0], frames[1])


async def test_a_crashed_pool_process_fails_only_its_own_steps_which_retry(store: Store, tmp_path: Path) -> None:
    config = ProbeWorkflowConfig(probe=ProbeConfig(marker_dir=str(tmp_path), crash_once=True))
    states = await run_sweep(
        probe_workflow,
        config,
        X_GRID,
        store=store,
        executor="processes",
        workers=2,
        max_parallel=6,
        retry_backoff_s=0.01,
    )
    assert [s.status for s in states] == [Status.FINISHED] * 6
    crashed = int((tmp_path / "crashed").read_text())
    got = reports(states)
    resumed = [r for r in got if r["resumed_from"]]
    assert len(resumed) == 1 and resumed[0]["resumed_from"]["crashed_pid"] == crashed  # durable checkpoint
    sweep = store.read.sweep(states[0].sweep_name)
    retries = [e["message"] for e in store.read.events(sweep_id=sweep["id"]) if e["message"].startswith("transient")]
    assert retries and all(f"pool process {crashed} was killed (SIGKILL)" in m for m in retries)
    assert all(n == 1 for n in step_executions(store.home, sweep["name"]).values())


async def test_a_step_error_in_the_pool_fails_its_run_with_the_error_and_both_tracebacks(store: Store) -> None:
    config = ProbeWorkflowConfig(probe=ProbeConfig(fail="bad luck"))
    states = await run_sweep(probe_workflow, config, {"make.x": [1, 2]}, store=store, executor="processes", workers=1)
    assert states == []
    runs = store.read.runs(store.read.sweeps()[0]["id"])
    assert {r["status"] for r in runs} == {Status.FAILED}
    steps = [s for r in runs for s in store.read.steps(r["id"]) if s["name"] == "probe"]
    assert all(s["error"].startswith("ValueError: bad luck (x=") for s in steps)
    assert all("in probe" in s["traceback"] and "handoff.py" in s["traceback"] for s in steps)


async def test_cancel_reaches_a_step_running_in_the_pool(store: Store, tmp_path: Path) -> None:
    config = ProbeWorkflowConfig(probe=ProbeConfig(marker_dir=str(tmp_path), sleep_s=600))
    control = SweepControl()

    async def cancel_once_started() -> None:
        while len(list(tmp_path.glob("started-*"))) < 2:
            await asyncio.sleep(0.05)
        control.cancel()

    canceller = asyncio.create_task(cancel_once_started())
    states = await run_sweep(
        probe_workflow, config, {"make.x": [1, 2]}, store=store, executor="processes", workers=1, control=control
    )
    await canceller
    assert states == []
    assert store.read.sweeps()[0]["status"] == Status.CANCELLED
    wait_for(lambda: len(list(tmp_path.glob("cancelled-*"))) == 2, timeout=30)
    pool = {int(p.read_text()) for p in tmp_path.glob("started-*")}
    wait_for(lambda: not any(_alive(p) for p in pool), timeout=30)


def test_unknown_executor_and_bad_workers_are_refused_at_once(store: Store) -> None:
    with pytest.raises(MotoolsError, match="unknown executor 'threads'"):
        asyncio.run(run_sweep(probe_workflow, ProbeWorkflowConfig(), store=store, executor="threads"))
    with pytest.raises(ValueError, match="workers must be"):
        asyncio.run(run_sweep(probe_workflow, ProbeWorkflowConfig(), store=store, executor="processes", workers=0))


SPEC = """\
name: pooled
base_config:
  prepare_dataset:
    dataset_loader: mozoo.datasets.hello_world:generate_hello_world_dataset
    loader_kwargs: {{num_samples: 20}}
  submit_training:
    model: meta-llama/Llama-3.2-1B
    backend_name: dummy
  evaluate_model:
    eval_task: mozoo.tasks.hello_world:hello_world
    backend_name: dummy
    latency_s: {latency}
param_grid:
  submit_training.hyperparameters.seed: [0, 1, 2, 3, 4, 5, 6, 7]
execution:
  max_parallel: 4
  executor: processes
  workers: 2
"""


def test_killing_the_driver_leaves_no_pool_process_and_resume_finishes(tmp_path: Path) -> None:
    spec = tmp_path / "pooled.yaml"
    spec.write_text(SPEC.format(latency=1.5))
    home = tmp_path / "home"
    driver = motools_popen("sweep", "run", str(spec), "--name", "p", "--quiet", home=home)

    def pool_pids() -> set[int]:
        return {
            pid
            for (pid,) in rows(home, "SELECT pid FROM steps WHERE name = 'evaluate_model' AND pid IS NOT NULL")
            if pid != driver.pid
        }

    wait_for(lambda: len(rows(home, "SELECT 1 FROM steps WHERE name='evaluate_model' AND status='finished'")) >= 1)
    pids = pool_pids()
    assert pids and all(_alive(p) for p in pids)
    os.kill(driver.pid, signal.SIGKILL)
    driver.wait()
    finished_before = dict(
        rows(
            home,
            "SELECT r.idx, s.finished_at FROM steps s JOIN runs r ON r.id = s.run_id "
            "WHERE s.name = 'evaluate_model' AND s.status = 'finished'",
        )
    )
    wait_for(lambda: not any(_alive(p) for p in pids), timeout=30)  # the pool followed its driver
    done = motools_run("sweep", "resume", "p", "--quiet", home=home)
    assert done.returncode == 0, done.stderr
    assert {s for (s,) in rows(home, "SELECT status FROM runs")} == {"finished"}
    after = {
        idx: (finished_at, cached)
        for idx, finished_at, cached in rows(
            home,
            "SELECT r.idx, s.finished_at, s.cached FROM steps s JOIN runs r ON r.id = s.run_id "
            "WHERE s.name = 'evaluate_model'",
        )
    }
    # finished evaluations were not repeated: kept as they were, or served from the cache (a run
    # whose last step finished but whose own row was not yet committed runs again, as cache hits)
    assert all(after[i][0] == t or after[i][1] == 1 for i, t in finished_before.items())
    assert max(step_executions(home, "p").values()) == 1


async def test_sweep_show_says_where_each_step_ran(tmp_path: Path) -> None:
    home = tmp_path / "home"
    store = Store(home)
    await run_sweep(
        probe_workflow, ProbeWorkflowConfig(), X_GRID, store=store, name="where", executor="processes", workers=2
    )
    shown = motools_run("sweep", "show", "where", home=home)
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    ran_on = lines[lines.index("ran on:") + 1 : lines.index("ran on:") + 3]
    assert ran_on[0].split() == ["make", f"{this_host()}:", "6", "in", "1", "process"]
    assert ran_on[1].split()[:2] == ["probe", f"{this_host()}:"] and ran_on[1].split()[2] == "6"
    pool = len({r["pid"] for r in store.read.sweep_steps(store.get_sweep("where")["id"]) if r["name"] == "probe"})
    assert ran_on[1].endswith(f"in {pool} process" + ("es" if pool > 1 else ""))


def test_ctrl_c_in_the_terminal_cancels_through_the_driver_only(tmp_path: Path) -> None:
    """A terminal sends SIGINT to its foreground process group: the driver's, not the pool's."""
    spec = tmp_path / "pooled.yaml"
    spec.write_text(SPEC.format(latency=30))
    home = tmp_path / "home"
    driver = motools_popen("sweep", "run", str(spec), "--name", "c", home=home, process_group=0)
    wait_for(lambda: len(rows(home, "SELECT 1 FROM steps WHERE name='evaluate_model' AND pid IS NOT NULL")) >= 1)
    os.killpg(driver.pid, signal.SIGINT)  # Ctrl-C
    _out, err = driver.communicate(timeout=120)
    assert driver.returncode == 130, err  # cancelled cleanly, by the driver
    assert rows(home, "SELECT status FROM sweeps")[0][0] == "cancelled"
    pool = {pid for (pid,) in rows(home, "SELECT pid FROM steps WHERE name='evaluate_model'") if pid != driver.pid}
    wait_for(lambda: not any(_alive(p) for p in pool), timeout=30)
    assert "Traceback" not in err


def test_the_evaluation_warm_up_loads_inspect_and_the_task_before_any_request() -> None:
    import json

    probe = (
        "import json, sys\n"
        "from mozoo.workflows.train_and_evaluate import train_and_evaluate_workflow as wf\n"
        "step = wf.step('evaluate_model')\n"
        "before = 'inspect_ai' in sys.modules\n"
        "step.warmup(step.config_model(eval_task='mozoo.tasks.hello_world:hello_world', backend_name='inspect'))\n"
        "loaded = [m in sys.modules for m in ('mozoo.tasks.hello_world', 'inspect_ai.agent._acp.server')]\n"
        "print(json.dumps([before, *loaded]))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == [False, True, True]


async def test_a_pool_started_early_is_the_one_the_sweep_uses(store: Store) -> None:
    from motools.executors import early

    early.start_early()  # what the command does on reading "executor: processes"
    template = early._early[0].pid if early._early else None
    assert template is not None
    states = await run_sweep(
        probe_workflow, ProbeWorkflowConfig(), {"make.x": [1, 2]}, store=store, executor="processes", workers=1
    )
    assert [s.status for s in states] == [Status.FINISHED] * 2
    assert {r["ppid"] for r in reports(states)} == {template}  # forked by the early template
    assert early._early is None


def _pool_folders(tmp: Path) -> list[Path]:
    return sorted(tmp.glob("motools-pool-*"))


def test_the_command_starts_the_pool_before_validating_and_leaves_none_behind(tmp_path: Path) -> None:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    spec = tmp_path / "pooled.yaml"
    spec.write_text(SPEC.format(latency=0))
    env = {"TMPDIR": str(tmp)}
    done = motools_run("sweep", "run", str(spec), "--name", "early", "--quiet", home=tmp_path / "home", env=env)
    assert done.returncode == 0, done.stderr
    pids = {p for (p,) in rows(tmp_path / "home", "SELECT pid FROM steps WHERE name = 'evaluate_model'")}
    assert len(pids) >= 1 and not (pids & {os.getpid()})
    wait_for(lambda: not _pool_folders(tmp), timeout=30)  # the template left with the command

    # a spec the pool was started for, then refused by validation: a clear error, nothing left
    spec.write_text(SPEC.format(latency=0).replace("mozoo.tasks.hello_world:hello_world", "mozoo.tasks.nope:nope"))
    refused = motools_run("sweep", "run", str(spec), "--quiet", home=tmp_path / "home2", env=env)
    assert refused.returncode == 2 and "eval_task" in refused.stderr and "Traceback" not in refused.stderr
    wait_for(lambda: not _pool_folders(tmp), timeout=30)
    assert not (tmp_path / "home2" / "motools.db").exists() or not rows(tmp_path / "home2", "SELECT 1 FROM sweeps")
