"""Failing backends: transient errors are retried with backoff and jitter; permanent ones are not."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.faults.support import EXECUTORS, motools_run, rows, write_spec

pytestmark = pytest.mark.parametrize("executor", EXECUTORS)


def retry_events(home: Path) -> list[tuple[int, int, float]]:
    """(run index, attempt number, delay) for every retry the worker logged."""
    out = []
    for idx, msg in rows(
        home,
        "SELECT r.idx, e.message FROM events e JOIN runs r ON r.id = e.run_id WHERE e.message LIKE 'transient error%'",
    ):
        m = re.search(r"retry (\d+)/\d+ in ([\d.e-]+) s", msg)
        assert m, msg
        out.append((idx, int(m.group(1)), float(m.group(2))))
    return out


def test_transient_failures_are_retried_until_they_pass(tmp_path: Path, executor: str) -> None:
    spec = write_spec(tmp_path / "spec.yaml", latency=0, transient=0.4, retries=12, backoff=0.005, executor=executor)
    home = tmp_path / ".motools"
    out = motools_run("sweep", "run", str(spec), "--name", "flaky", "--quiet", home=home)
    assert out.returncode == 0, out.stderr + out.stdout
    assert {s for (s,) in rows(home, "SELECT status FROM runs")} == {"finished"}
    retries = retry_events(home)
    assert len(retries) >= 5  # 20 runs × 3 calls (2 training, 1 evaluation) at a 40 % failure rate
    retried_steps = {step for (step,) in rows(home, "SELECT step FROM events WHERE message LIKE 'transient error%'")}
    assert "evaluate_model" in retried_steps  # in the pool too, with the processes executor
    for _, attempt, delay in retries:  # exponential backoff with jitter in [0.5, 1.5) × base × 2^k
        base = 0.005 * 2 ** (attempt - 1)
        assert 0.5 * base - 1e-3 <= delay <= 1.5 * base + 1e-3


def test_transient_failures_past_the_retry_limit_fail_the_run(tmp_path: Path, executor: str) -> None:
    spec = write_spec(tmp_path / "spec.yaml", n_lr=1, n_seeds=3, latency=0, transient=1.0, retries=2, executor=executor)
    home = tmp_path / ".motools"
    out = motools_run("sweep", "run", str(spec), "--name", "hopeless", home=home)
    assert out.returncode == 1
    errors = rows(home, "SELECT error FROM runs")
    assert all("TransientError" in e and "simulated transient failure" in e for (e,) in errors)
    assert {n for (_, n, _) in retry_events(home)} == {1, 2}


def test_permanent_failures_fail_at_once_and_retry_reruns_only_the_failed(tmp_path: Path, executor: str) -> None:
    spec = write_spec(tmp_path / "spec.yaml", latency=0, permanent=0.1, retries=5, executor=executor)
    home = tmp_path / ".motools"
    out = motools_run("sweep", "run", str(spec), "--name", "broken", home=home)
    assert out.returncode == 1
    assert "simulated permanent failure" in out.stdout
    assert retry_events(home) == []  # permanent errors are never retried
    before = dict(rows(home, "SELECT idx, status FROM runs"))
    failed = {i for i, s in before.items() if s == "failed"}
    finished = {i for i, s in before.items() if s == "finished"}
    assert failed and finished
    stamps = dict(rows(home, "SELECT idx, finished_at FROM runs WHERE status='finished'"))

    for _ in range(10):  # each retry re-runs only what failed, until the dice are kind
        again = motools_run("sweep", "retry", "broken", home=home)
        assert again.returncode in (0, 1), again.stderr
        if again.returncode == 0:
            break
    assert {s for (s,) in rows(home, "SELECT status FROM runs")} == {"finished"}
    attempts = dict(rows(home, "SELECT idx, attempts FROM runs"))
    assert all(attempts[i] == 1 for i in finished) and all(attempts[i] >= 2 for i in failed)
    assert {i: t for i, t in rows(home, "SELECT idx, finished_at FROM runs") if i in finished} == stamps
    nothing = motools_run("sweep", "retry", "broken", home=home)
    assert nothing.returncode == 0 and "no failed or cancelled runs" in nothing.stdout
