"""A sweep killed with SIGKILL mid-way is finished by `motools sweep resume`, repeating nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.faults.support import rows, step_executions, wait_for
from tests.faults.support import write_spec as spec_file


def write_spec(tmp_path: Path, *, n: int = 12, latency: float = 0.6, parallel: int = 3) -> Path:
    """``n`` configs (seeds) whose training takes ``latency`` seconds each."""
    return spec_file(tmp_path / "slow.yaml", name="slow", n_lr=1, n_seeds=n, latency=latency, parallel=parallel)


def motools(*args: str, **kw) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "motools.cli", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw
    )


def finished_runs(home: Path, name: str) -> int:
    return rows(
        home,
        "SELECT COUNT(*) FROM runs r JOIN sweeps s ON s.id = r.sweep_id WHERE s.name = ? AND r.status = 'finished'",
        (name,),
    )[0][0]


def test_sigkill_mid_sweep_then_resume_repeats_no_finished_work(tmp_path: Path, isolated_home: Path) -> None:
    spec = write_spec(tmp_path)
    proc = motools("sweep", "run", str(spec), "--name", "killed")
    wait_for(lambda: finished_runs(isolated_home, "killed") >= 4)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    before = dict(rows(isolated_home, "SELECT idx, finished_at FROM runs WHERE status='finished'"))
    assert 4 <= len(before) < 12
    status = rows(isolated_home, "SELECT status FROM sweeps WHERE name='killed'")[0][0]
    assert status == "running"  # the killed worker could not say otherwise...

    shown = subprocess.run(
        [sys.executable, "-m", "motools.cli", "sweep", "show", "killed"], capture_output=True, text=True, timeout=60
    )
    assert "interrupted" in shown.stdout  # ...but readers see that no worker is alive

    resumed = subprocess.run(
        [sys.executable, "-m", "motools.cli", "sweep", "resume", "killed"], capture_output=True, text=True, timeout=120
    )
    assert resumed.returncode == 0, resumed.stderr
    final = rows(isolated_home, "SELECT idx, status, finished_at, attempts FROM runs ORDER BY idx")
    assert [r[1] for r in final] == ["finished"] * 12
    for idx, _, finished_at, attempts in final:
        if idx in before:
            assert finished_at == before[idx] and attempts == 1  # never run again
    work = step_executions(isolated_home, "killed")
    assert max(work.values()) == 1  # no step of any run executed twice
    assert sum(1 for (_, step) in work if step == "wait_for_training") == 12
    assert rows(isolated_home, "SELECT status FROM sweeps WHERE name='killed'")[0][0] == "finished"
    assert rows(isolated_home, "PRAGMA integrity_check")[0][0] == "ok"


def test_cancel_from_another_terminal_then_resume(tmp_path: Path, isolated_home: Path) -> None:
    spec = write_spec(tmp_path, n=8, latency=0.8, parallel=2)
    proc = motools("sweep", "run", str(spec), "--name", "stopme")
    wait_for(lambda: finished_runs(isolated_home, "stopme") >= 2)
    cancel = subprocess.run(
        [sys.executable, "-m", "motools.cli", "sweep", "cancel", "stopme"], capture_output=True, text=True, timeout=60
    )
    assert cancel.returncode == 0 and "cancelled" in cancel.stdout
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "Traceback" not in err
    statuses = [r[0] for r in rows(isolated_home, "SELECT status FROM runs ORDER BY idx")]
    assert "cancelled" in statuses and "finished" in statuses
    assert rows(isolated_home, "SELECT status FROM sweeps WHERE name='stopme'")[0][0] == "cancelled"
    resumed = subprocess.run(
        [sys.executable, "-m", "motools.cli", "sweep", "resume", "stopme"], capture_output=True, text=True, timeout=120
    )
    assert resumed.returncode == 0, resumed.stderr
    assert {r[0] for r in rows(isolated_home, "SELECT status FROM runs")} == {"finished"}
    assert max(step_executions(isolated_home, "stopme").values()) == 1


def test_ctrl_c_cancels_cleanly_and_leaves_a_resumable_sweep(tmp_path: Path, isolated_home: Path) -> None:
    spec = write_spec(tmp_path, n=6, latency=0.8, parallel=2)
    proc = motools("sweep", "run", str(spec), "--name", "interrupted")
    wait_for(lambda: finished_runs(isolated_home, "interrupted") >= 1)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "Traceback" not in err and "cancelling" in err
    assert "resume with: motools sweep resume interrupted" in out
    assert rows(isolated_home, "SELECT status FROM sweeps WHERE name='interrupted'")[0][0] == "cancelled"
    running = rows(isolated_home, "SELECT COUNT(*) FROM runs WHERE status IN ('running', 'pending')")[0][0]
    cancelled = rows(isolated_home, "SELECT COUNT(*) FROM runs WHERE status = 'cancelled'")[0][0]
    assert running == 0 and cancelled >= 1
    resumed = subprocess.run(
        [sys.executable, "-m", "motools.cli", "sweep", "resume", "interrupted"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert resumed.returncode == 0, resumed.stderr


@pytest.mark.parametrize("signame", ["SIGTERM"])
def test_sigterm_is_a_clean_cancel_too(tmp_path: Path, isolated_home: Path, signame: str) -> None:
    spec = write_spec(tmp_path, n=4, latency=1.0, parallel=2)
    proc = motools("sweep", "run", str(spec), "--name", "termed", "--quiet")
    wait_for(lambda: rows(isolated_home, "SELECT COUNT(*) FROM runs WHERE status='running'")[0][0] >= 1)
    proc.send_signal(getattr(signal, signame))
    proc.communicate(timeout=60)
    assert rows(isolated_home, "SELECT status FROM sweeps WHERE name='termed'")[0][0] == "cancelled"


def test_one_cancelled_config_ends_the_sweep_cancelled_not_failed(tmp_path: Path, isolated_home: Path) -> None:
    """Issue 13: cancelling one config (from the app or another terminal) is not a failure."""
    from motools.store import Store

    spec = write_spec(tmp_path, n=3, latency=0.8, parallel=3)
    proc = motools("sweep", "run", str(spec), "--name", "one")
    wait_for(lambda: rows(isolated_home, "SELECT COUNT(*) FROM runs WHERE status='running'")[0][0] == 3)
    Store(isolated_home).request_cancel_run("one", 1)
    _out, err = proc.communicate(timeout=60)
    assert "Traceback" not in err
    statuses = [r[0] for r in rows(isolated_home, "SELECT status FROM runs ORDER BY idx")]
    assert statuses == ["finished", "cancelled", "finished"]
    status, message = rows(isolated_home, "SELECT status, message FROM sweeps WHERE name='one'")[0]
    assert status == "cancelled" and message == "2 finished, 0 failed, 1 cancelled"
    assert proc.returncode == 130


def test_a_cancelled_pending_config_is_recorded_cancelled_at_once(tmp_path: Path, isolated_home: Path) -> None:
    """Issue 13: a config cancelled while it waits for a slot reads cancelled straight away."""
    from motools.store import Store

    spec = write_spec(tmp_path, n=3, latency=1.5, parallel=1)
    proc = motools("sweep", "run", str(spec), "--name", "queue")
    wait_for(lambda: rows(isolated_home, "SELECT COUNT(*) FROM runs WHERE status='running'")[0][0] == 1)
    Store(isolated_home).request_cancel_run("queue", 2)
    wait_for(lambda: rows(isolated_home, "SELECT status FROM runs WHERE idx=2")[0][0] == "cancelled", timeout=10)
    assert rows(isolated_home, "SELECT status FROM sweeps WHERE name='queue'")[0][0] == "running"
    proc.communicate(timeout=60)
    assert [r[0] for r in rows(isolated_home, "SELECT status FROM runs ORDER BY idx")] == [
        "finished",
        "finished",
        "cancelled",
    ]
