"""Issue 11, point 2: liveness with fencing, with real processes and real SIGSTOP.

- A worker stopped with SIGSTOP past the stale time is alive (its pid is), shown as *stalled*
  with the heartbeat's age; a second launch is refused and a cancel sent meanwhile holds.
- The heartbeat comes from a thread: an event loop blocked by a step keeps beating.
- On another host the stale-heartbeat rule decides, and the claim generation keeps the old
  worker, woken up, from writing a single row beside the new one.

The stale time is shortened for every process of the test (``MOTOOLS_STALE_AFTER_S``).
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from motools.liveness import pid_alive
from tests.faults.support import motools_popen, motools_run, rows, step_executions, wait_for, write_spec

STALE = 2.0


@pytest.fixture(autouse=True)
def short_stale_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOTOOLS_STALE_AFTER_S", str(STALE))


def detached(tmp_path: Path, name: str, **spec_kw: object) -> tuple[Path, int]:
    spec = write_spec(tmp_path / "spec.yaml", name=name, **spec_kw)
    home = tmp_path / ".motools"
    out = motools_run("sweep", "run", str(spec), "--name", name, "--detach", home=home, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    wait_for(lambda: rows(home, "SELECT COUNT(*) FROM runs WHERE status = 'finished'")[0][0] >= 1)
    (pid,) = rows(home, "SELECT worker_pid FROM sweeps WHERE name = ?", (name,))[0]
    return home, int(pid)


def wait_gone(pid: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while pid_alive(pid) and time.monotonic() < deadline:
        try:  # our grandchild may be reparented to us in a container: reap it
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        time.sleep(0.05)
    assert not pid_alive(pid), f"worker {pid} still running"


def test_a_stopped_worker_is_stalled_not_dead_and_a_cancel_holds(tmp_path: Path) -> None:
    home, pid = detached(tmp_path, "stall", n_lr=2, n_seeds=4, latency=0.5, parallel=2)
    os.kill(pid, signal.SIGSTOP)
    try:
        time.sleep(3 * STALE)  # the heartbeat is now well past the stale time
        show = motools_run("sweep", "show", "stall", home=home)
        assert f"stalled (worker {pid} is alive but has not written for" in show.stdout, show.stdout
        assert "stalled" in motools_run("sweep", "list", home=home).stdout
        again = motools_run("sweep", "resume", "stall", home=home)
        assert again.returncode == 2 and f"still running in process {pid}" in again.stderr
        retry = motools_run("sweep", "retry", "stall", home=home)
        assert retry.returncode == 2 and "is running" in retry.stderr and "no failed" not in retry.stdout
        cancel = motools_popen("sweep", "cancel", "stall", home=home)
        wait_for(lambda: rows(home, "SELECT cancel_requested FROM sweeps")[0][0] == 1)
    finally:
        os.kill(pid, signal.SIGCONT)
    out, _err = cancel.communicate(timeout=120)
    assert "cancelled" in out
    wait_gone(pid)
    assert rows(home, "SELECT status, claim_generation FROM sweeps") == [("cancelled", 1)]
    assert all(n == 1 for n in step_executions(home, "stall").values())
    unfinished = rows(home, "SELECT COUNT(*) FROM runs WHERE status NOT IN ('finished', 'cancelled')")[0][0]
    assert unfinished == 0


def test_a_blocked_event_loop_keeps_beating(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A loader that blocks the worker's event loop for 4 s (five stale times): the heartbeat
    thread keeps the sweep fresh, so it never even reads as stalled."""
    module = f"blocker_{tmp_path.name.replace('-', '_')}"
    (tmp_path / f"{module}.py").write_text(
        "import time\n"
        "from mozoo.datasets.hello_world import generate_hello_world_dataset\n"
        "async def loader(num_samples=20):\n"
        "    time.sleep(4.0)  # blocks the event loop: no await\n"
        "    return generate_hello_world_dataset(num_samples)\n"
    )
    spec = write_spec(tmp_path / "spec.yaml", name="blocked", n_lr=1, n_seeds=1, latency=0, parallel=1)
    spec.write_text(
        spec.read_text().replace("mozoo.datasets.hello_world:generate_hello_world_dataset", f"{module}:loader")
    )
    home = tmp_path / ".motools"
    monkeypatch.setenv("MOTOOLS_STALE_AFTER_S", "0.8")
    worker = motools_popen(
        "sweep", "run", str(spec), "--name", "blocked", "--quiet", "--trust", home=home, cwd=tmp_path
    )
    wait_for(
        lambda: (
            rows(home, "SELECT COUNT(*) FROM steps WHERE name = 'prepare_dataset' AND status = 'running'")[0][0] == 1
        )
    )
    beats = set()
    deadline = time.monotonic() + 3.0
    while time.monotonic() < deadline:
        beats.add(rows(home, "SELECT heartbeat_at FROM sweeps")[0][0])
        assert "stalled" not in motools_run("sweep", "list", home=home).stdout
        time.sleep(0.3)
    assert len(beats) >= 3  # beating while the loop was blocked
    _out, err = worker.communicate(timeout=120)
    assert worker.returncode == 0, err


def test_on_another_host_the_fence_stops_the_old_writer(tmp_path: Path) -> None:
    home, pid_a = detached(tmp_path, "fence", n_lr=2, n_seeds=4, latency=0.5, parallel=2)
    os.kill(pid_a, signal.SIGSTOP)
    try:
        # As if worker A ran on another machine and its heartbeat went stale: nobody here can
        # see its pid, so the stale-heartbeat rule declares it dead.
        import sqlite3

        conn = sqlite3.connect(home / "motools.db", timeout=30)
        conn.execute("UPDATE sweeps SET worker_host = 'another-box', heartbeat_at = ?", (time.time() - 3600,))
        conn.commit()
        conn.close()
        written_by_a = {r[0] for r in rows(home, "SELECT id FROM steps WHERE pid = ?", (pid_a,))}
        b = motools_popen("sweep", "resume", "fence", "--quiet", home=home)
        wait_for(lambda: rows(home, "SELECT claim_generation FROM sweeps")[0][0] == 2)
    finally:
        os.kill(pid_a, signal.SIGCONT)  # A wakes up, mid-step, believing it holds the sweep
    _out, err = b.communicate(timeout=300)
    assert b.returncode == 0, err
    wait_gone(pid_a)
    assert rows(home, "SELECT status, claim_generation FROM sweeps") == [("finished", 2)]
    assert {s for (s,) in rows(home, "SELECT status FROM runs")} == {"finished"}
    # A never wrote after B's claim: no step row of A's that was not there before
    assert {r[0] for r in rows(home, "SELECT id FROM steps WHERE pid = ?", (pid_a,))} <= written_by_a
    assert all(n == 1 for n in step_executions(home, "fence").values())
    log = (home / "workers" / "fence.log").read_text()
    assert "claimed by another worker" in log or "another worker claimed" in log, log[-3000:]
