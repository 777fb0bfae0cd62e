"""Issue 11, point 10: a reader that goes away (``motools sweep list | head``) ends the command
quietly, with exit 0, whether the pipe closes in the middle of the output or before the last
flush. Real shell pipelines."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from motools.store import Store


@pytest.fixture
def many_sweeps(isolated_home: Path) -> Path:
    Store(isolated_home).close()
    conn = sqlite3.connect(isolated_home / "motools.db")
    now = time.time()
    conn.executemany(
        "INSERT INTO sweeps(name, spec_name, status, n_runs, created_at, claim_generation) VALUES (?,?,?,?,?,0)",
        [(f"sweep-{i:05d}", "spec", "finished", 0, now - i) for i in range(3000)],
    )
    conn.commit()
    conn.close()
    return isolated_home


def pipeline(command: str, home: Path) -> tuple[int, str]:
    """Run ``motools ARGS | READER`` in bash; the exit status of motools and its stderr."""
    script = f"{sys.executable} -m motools.cli {command} 2>motools.err; echo ${{PIPESTATUS[0]}} > motools.rc"
    out = subprocess.run(
        ["bash", "-c", script], cwd=home.parent, env={**os.environ, "MOTOOLS_HOME": str(home)}, timeout=120
    )
    assert out.returncode == 0
    return int((home.parent / "motools.rc").read_text()), (home.parent / "motools.err").read_text()


@pytest.mark.parametrize("reader", ["head -1", "head -c 100", "true", "read line"])
def test_a_reader_that_goes_away_ends_the_command_quietly(many_sweeps: Path, reader: str) -> None:
    code, err = pipeline(f"sweep list | {reader}", many_sweeps)
    assert err == "" and code == 0


def test_small_outputs_too(many_sweeps: Path) -> None:
    """Output that fits the pipe's buffer fails only at the final flush: still quiet."""
    for command in ("spec list | true", "sweep show sweep-00001 | true", "--help | true"):
        code, err = pipeline(command, many_sweeps)
        assert err == "" and code == 0, (command, err)
