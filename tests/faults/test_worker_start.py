"""Issue 11, points 5 and 10: a detached worker starts from a clean import path, and a worker
that cannot start, or dies before it starts, never leaves its sweep pending forever.

Real detached workers throughout; the launching command runs with ``python -P`` as the
``motools`` console script does (its own folder is not on the import path either).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.faults.support import motools_run, rows, wait_for, write_spec
from tests.faults.test_stalled_worker import wait_gone

STRAY = 'raise SystemExit("a stray {name}.py beside the store was imported")\n'


def cli(*args: str, home: Path, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-P", "-m", "motools.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "MOTOOLS_HOME": str(home)},
        cwd=cwd,
        timeout=300,
    )


def test_stray_modules_beside_the_store_are_never_imported(tmp_path: Path) -> None:
    for name in ("typing", "json", "yaml", "sqlite3", "pydantic"):
        (tmp_path / f"{name}.py").write_text(STRAY.format(name=name))
    spec = write_spec(tmp_path / "spec.yaml", name="clean", n_lr=1, n_seeds=2, latency=0, parallel=2)
    home = tmp_path / ".motools"
    out = cli("sweep", "run", str(spec), "--name", "clean", "--detach", home=home, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    wait_for(lambda: rows(home, "SELECT status FROM sweeps")[0][0] in ("finished", "failed"))
    log = (home / "workers" / "clean.log").read_text()
    assert rows(home, "SELECT status FROM sweeps") == [("finished",)], log
    assert "stray" not in log


def user_workflow(tmp_path: Path) -> str:
    module = f"wfmod_{tmp_path.name.replace('-', '_')}"
    (tmp_path / f"{module}.py").write_text(
        "from motools.workflow.base import Workflow\n"
        "from mozoo.workflows.train_and_evaluate import train_and_evaluate_workflow as base\n"
        "workflow = Workflow(name='mine', config_model=base.config_model, steps=base.steps, results=base.results)\n"
    )
    return module


def test_a_worker_that_cannot_import_the_workflow_says_why(tmp_path: Path) -> None:
    module = user_workflow(tmp_path)
    spec = write_spec(tmp_path / "spec.yaml", name="broken", n_lr=1, n_seeds=2, latency=0, parallel=2)
    spec.write_text(f"workflow: {module}:workflow\n" + spec.read_text())
    home = tmp_path / ".motools"
    first = cli("sweep", "run", str(spec), "--name", "broken", "--quiet", "--trust", home=home, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    (tmp_path / f"{module}.py").write_text('raise RuntimeError("broken on purpose")\n')  # edited since
    out = cli("sweep", "retry", "broken", "--detach", home=home, cwd=tmp_path)  # nothing to retry
    assert out.returncode == 0
    conn_reopen = cli("sweep", "resume", "broken", "--detach", home=home, cwd=tmp_path)
    assert conn_reopen.returncode == 0, conn_reopen.stderr
    wait_for(lambda: rows(home, "SELECT status FROM sweeps")[0][0] == "failed")
    (message,) = rows(home, "SELECT message FROM sweeps")[0]
    assert "broken on purpose" in message
    listed = cli("sweep", "list", home=home, cwd=tmp_path).stdout
    assert "failed: " in listed and "broken on purpose" in listed
    shown = cli("sweep", "show", "broken", home=home, cwd=tmp_path).stdout
    assert "status:   failed: " in shown and "broken on purpose" in shown


def test_a_worker_killed_before_it_starts_is_not_pending_forever(tmp_path: Path) -> None:
    from tests.faults.test_cancel_holds import slow_starting_spec

    spec = slow_starting_spec(tmp_path, "killed")
    home = tmp_path / ".motools"
    out = motools_run("sweep", "run", str(spec), "--name", "killed", "--detach", "--trust", home=home, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    (pid,) = rows(home, "SELECT worker_pid FROM sweeps")[0]
    os.kill(int(pid), signal.SIGKILL)  # still importing: it never claimed the sweep
    wait_gone(int(pid))
    assert rows(home, "SELECT status FROM sweeps") == [("pending",)]  # as stored...
    listed = motools_run("sweep", "list", home=home).stdout
    assert "interrupted" in listed and "pending" not in listed  # ...but read for what it is
    shown = motools_run("sweep", "show", "killed", home=home).stdout
    assert f"its worker, process {pid}, exited before it started" in shown and "killed.log" in shown
    resumed = motools_run("sweep", "resume", "killed", "--quiet", home=home, cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert rows(home, "SELECT status FROM sweeps") == [("finished",)]
