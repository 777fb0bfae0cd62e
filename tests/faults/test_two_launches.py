"""Two launches, one sweep: the second is refused naming the worker; dead workers are detected."""

from __future__ import annotations

import os
import signal
import socket
import time
from pathlib import Path

import pytest

from motools.liveness import STALE_AFTER_S, worker_alive, worker_liveness
from tests.faults.support import EXECUTORS, alive, motools_popen, motools_run, pool_pids, rows, wait_for, write_spec


def test_a_second_worker_for_a_running_sweep_is_refused(tmp_path: Path) -> None:
    spec = write_spec(tmp_path / "spec.yaml", n_lr=2, n_seeds=4, latency=1.0, parallel=2)
    home = tmp_path / ".motools"
    first = motools_popen("sweep", "run", str(spec), "--name", "once", "--quiet", home=home)
    wait_for(
        lambda: (
            rows(home, "SELECT COUNT(*) FROM sweeps WHERE status='running' AND worker_pid=?", (first.pid,))[0][0] == 1
        )
    )
    second = motools_run("sweep", "resume", "once", home=home)
    assert second.returncode == 2
    assert f"still running in process {first.pid}" in second.stderr and "Traceback" not in second.stderr
    _out, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    assert max(n for (n,) in rows(home, "SELECT attempts FROM runs")) == 1


@pytest.mark.parametrize("executor", EXECUTORS)
def test_two_resumes_at_the_same_moment_run_the_sweep_once(tmp_path: Path, executor: str) -> None:
    spec = write_spec(tmp_path / "spec.yaml", n_lr=2, n_seeds=3, latency=0.5, parallel=2, executor=executor)
    home = tmp_path / ".motools"
    killed = motools_popen("sweep", "run", str(spec), "--name", "race", "--quiet", home=home)
    wait_for(lambda: rows(home, "SELECT COUNT(*) FROM runs WHERE status='running'")[0][0] >= 1)
    os.kill(killed.pid, signal.SIGKILL)
    killed.wait()
    a = motools_popen("sweep", "resume", "race", "--quiet", home=home)
    b = motools_popen("sweep", "resume", "race", "--quiet", home=home)
    results = [(p.wait(timeout=120), p.stderr.read()) for p in (a, b)]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 2], results
    refused = next(err for code, err in results if code == 2)
    assert "already running in process" in refused or "still running in process" in refused
    assert {s for (s,) in rows(home, "SELECT status FROM runs")} == {"finished"}


@pytest.mark.parametrize("executor", EXECUTORS)
def test_a_dead_worker_shows_as_interrupted_and_resumable(tmp_path: Path, executor: str) -> None:
    spec = write_spec(tmp_path / "spec.yaml", n_lr=1, n_seeds=4, latency=1.0, parallel=1, executor=executor)
    home = tmp_path / ".motools"
    proc = motools_popen("sweep", "run", str(spec), "--name", "dead", "--quiet", home=home)
    wait_for(lambda: rows(home, "SELECT COUNT(*) FROM runs WHERE status='finished'")[0][0] >= 1)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    pool = pool_pids(home, proc.pid)
    assert bool(pool) == (executor == "processes")
    wait_for(lambda: not any(alive(p) for p in pool), timeout=30)  # no pool process outlives its driver
    listed = motools_run("sweep", "list", home=home)
    assert "interrupted" in listed.stdout
    resumed = motools_run("sweep", "resume", "dead", "--quiet", home=home)
    assert resumed.returncode == 0, resumed.stderr


def test_worker_alive_uses_heartbeat_and_pid() -> None:
    now = time.time()
    me = {"status": "running", "heartbeat_at": now, "worker_pid": os.getpid(), "worker_host": socket.gethostname()}
    assert worker_alive(me)
    # Issue 11: on this host a live process is alive whatever its heartbeat age (stalled, not dead).
    stale = {**me, "heartbeat_at": now - STALE_AFTER_S - 1}
    assert worker_alive(stale) and worker_liveness(stale).stalled
    assert not worker_alive({**stale, "worker_host": "another-box"})  # elsewhere a stale heartbeat means dead
    assert not worker_alive({**me, "status": "finished"})
    gone = {**me, "worker_pid": 2**22 + 12345}  # no such process on this host
    assert not worker_alive(gone)
    elsewhere = {**gone, "worker_host": "another-box"}  # can't see its pids: trust the heartbeat
    assert worker_alive(elsewhere)
