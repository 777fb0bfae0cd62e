"""A full disk stops the worker with a clear message and leaves the store intact and resumable."""

from __future__ import annotations

import os
import resource
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.faults.support import motools_run, rows, write_spec


def _disk_of(limit: int):
    def apply() -> None:  # in the child: files may not grow past `limit` bytes, as on a full disk
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def test_a_full_disk_stops_the_worker_cleanly(tmp_path: Path) -> None:
    spec = write_spec(tmp_path / "spec.yaml", n_lr=10, n_seeds=20, latency=0, parallel=20)
    home = tmp_path / ".motools"
    made = motools_run("spec", "add", str(spec), home=home)  # creates and migrates the store
    assert made.returncode == 0, made.stderr
    limit = (home / "motools.db").stat().st_size + 256 * 1024
    env = {**os.environ, "MOTOOLS_HOME": str(home)}
    full = subprocess.run(
        [sys.executable, "-m", "motools.cli", "sweep", "run", "faulty", "--name", "full"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        preexec_fn=_disk_of(limit),
    )
    assert full.returncode == 2
    assert "Traceback" not in full.stderr
    assert "the store could not be written" in full.stderr and "motools sweep resume full" in full.stderr
    assert rows(home, "PRAGMA integrity_check")[0][0] == "ok"
    done_before = rows(home, "SELECT COUNT(*) FROM runs WHERE status='finished'")[0][0]
    assert done_before < 200

    resumed = motools_run("sweep", "resume", "full", "--quiet", home=home)
    assert resumed.returncode == 0, resumed.stderr
    assert rows(home, "SELECT COUNT(*) FROM runs WHERE status='finished'")[0][0] == 200
    assert rows(home, "PRAGMA integrity_check")[0][0] == "ok"


def test_a_store_that_cannot_be_created_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the .motools folder should be")
    out = motools_run("sweep", "list", home=blocker)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "cannot create the motools folder" in out.stderr
    conn = sqlite3.connect(tmp_path / "x.db")
    conn.close()
