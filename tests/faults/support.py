"""Helpers for the fault suite: spec files, subprocess workers, store queries."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

LONG = os.environ.get("MOTOOLS_FAULTS_LONG") == "1"
# Every spec runs on this executor unless a test asks for another: `MOTOOLS_FAULTS_EXECUTOR=processes
# make faults` runs the whole suite with evaluations in a process pool.
EXECUTOR = os.environ.get("MOTOOLS_FAULTS_EXECUTOR", "local")
EXECUTORS = ["local", "processes"]  # what the key fault tests run on in `make test`

SPEC = """\
name: {name}
base_config:
  prepare_dataset:
    dataset_loader: mozoo.datasets.hello_world:generate_hello_world_dataset
    loader_kwargs: {{num_samples: 20}}
  submit_training:
    model: meta-llama/Llama-3.2-1B
    backend_name: dummy
    latency_s: {latency}
    transient_failure_rate: {transient}
    permanent_failure_rate: {permanent}
  evaluate_model:
    eval_task: mozoo.tasks.hello_world:hello_world
    transient_failure_rate: {transient}
    permanent_failure_rate: {permanent}
    backend_name: dummy
param_grid:
  submit_training.hyperparameters.learning_rate: {lrs}
  submit_training.hyperparameters.seed: {seeds}
execution:
  max_parallel: {parallel}
  retries: {retries}
  retry_backoff_s: {backoff}
"""


def write_spec(
    path: Path,
    *,
    name: str = "faulty",
    n_lr: int = 4,
    n_seeds: int = 5,
    latency: float = 0.05,
    parallel: int = 10,
    transient: float = 0.0,
    permanent: float = 0.0,
    retries: int = 2,
    backoff: float = 0.01,
    executor: str | None = None,
) -> Path:
    lrs = [round(1e-6 * 3**i, 12) for i in range(n_lr)]
    path.write_text(
        SPEC.format(
            name=name,
            latency=latency,
            lrs=lrs,
            seeds=list(range(n_seeds)),
            parallel=parallel,
            transient=transient,
            permanent=permanent,
            retries=retries,
            backoff=backoff,
        )
        + f"  executor: {executor or EXECUTOR}\n"  # the execution section is the spec's last
    )
    return path


def motools_popen(*args: str, home: Path, **kw: Any) -> subprocess.Popen:
    env = {**os.environ, "MOTOOLS_HOME": str(home)}
    return subprocess.Popen(
        [sys.executable, "-m", "motools.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        **kw,
    )


def motools_run(
    *args: str, home: Path, timeout: float = 300, env: dict[str, str] | None = None, **kw: Any
) -> subprocess.CompletedProcess:
    env = {**os.environ, **(env or {}), "MOTOOLS_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "motools.cli", *args], capture_output=True, text=True, env=env, timeout=timeout, **kw
    )


def rows(home: Path, sql: str, params: Any = ()) -> list[tuple]:
    conn = sqlite3.connect(home / "motools.db", timeout=30)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def wait_for(predicate: Callable[[], bool], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except sqlite3.OperationalError:
            pass
        time.sleep(0.02)
    raise AssertionError("condition not reached in time")


def step_executions(home: Path, sweep: str) -> dict[tuple[int, str], int]:
    """How often each (run index, step) really executed: its 'finished in' events."""
    out: dict[tuple[int, str], int] = {}
    for idx, step in rows(
        home,
        "SELECT r.idx, e.step FROM events e JOIN runs r ON r.id = e.run_id "
        "JOIN sweeps s ON s.id = r.sweep_id WHERE s.name = ? "
        "AND e.message LIKE '% finished in %'",
        (sweep,),
    ):
        out[(idx, step)] = out.get((idx, step), 0) + 1
    return out


def pool_pids(home: Path, driver_pid: int) -> set[int]:
    """Pool processes that ran steps for the driver ``driver_pid`` (processes executor)."""
    return {pid for (pid,) in rows(home, "SELECT DISTINCT pid FROM steps WHERE pid IS NOT NULL") if pid != driver_pid}


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
