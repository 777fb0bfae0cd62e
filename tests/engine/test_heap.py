"""Keeping the garbage collector off the long-lived heap: only in motools' own processes.

A process that evaluates with Inspect holds a large, permanent heap; motools' own processes
(the command, a sweep's worker, the pool) freeze it (``gc.freeze``) once the imports and the
first evaluation are done. A researcher's own process running ``run_sweep`` is left alone.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

PROBE = """
import asyncio, gc, json, sys
from motools import heap
from motools.store import Store
from motools.workflow import run_sweep
from mozoo.workflows.train_and_evaluate import train_and_evaluate_workflow
from tests.conftest import make_config

if sys.argv[2] == "own":
    heap.own_process()
grid = {"submit_training.hyperparameters.seed": [0, 1]}
states = asyncio.run(run_sweep(train_and_evaluate_workflow, make_config(evaluation="inspect"), grid,
                               store=Store(sys.argv[1]), max_parallel=2))
print(json.dumps({"finished": len(states), "frozen": gc.get_freeze_count(),
                  "inspect": "inspect_ai" in sys.modules}))
"""


def _probe(home: Path, mode: str) -> dict[str, int]:
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(home), mode], capture_output=True, text=True, cwd=root, timeout=300
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_motools_own_process_freezes_its_heap_after_the_first_evaluation(tmp_path: Path) -> None:
    got = _probe(tmp_path / "own", "own")
    assert got["finished"] == 2 and got["inspect"]
    assert got["frozen"] > 50_000  # Inspect, pydantic and the task: out of every later collection


def test_a_researchers_process_is_left_alone(tmp_path: Path) -> None:
    got = _probe(tmp_path / "theirs", "theirs")
    assert got["finished"] == 2 and got["inspect"]
    assert got["frozen"] == 0


PAUSE = """
import gc, json
from motools import heap
heap.pause()
theirs = gc.isenabled()  # not motools' own process: left alone
heap.own_process()
heap.pause()
paused = gc.isenabled()
heap.settle(collect=False)
print(json.dumps([theirs, paused, gc.isenabled(), gc.get_freeze_count() > 0]))
"""


def test_motools_own_process_pauses_the_collector_until_it_settles() -> None:
    out = subprocess.run([sys.executable, "-c", PAUSE], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == [True, False, True, True]


SPEC = """\
name: gc-probe
workflow: tests.executors.workflows:probe_workflow
base_config:
  probe: {{fetch_extra: false}}
param_grid:
  make.x: [1, 2]
execution:
  executor: {executor}
"""


def test_a_sweep_run_from_the_command_line_runs_its_steps_with_the_collector_on(tmp_path: Path) -> None:
    """``motools sweep run`` pauses the collector for its start (imports, validation) only: the
    steps, here and in the pool, run with it on, over a frozen heap."""
    from tests.faults.support import motools_run, rows

    root = Path(__file__).resolve().parents[2]
    for executor in ("local", "processes"):
        spec = tmp_path / f"{executor}.yaml"
        spec.write_text(SPEC.format(executor=executor))
        home = tmp_path / executor
        done = motools_run("sweep", "run", str(spec), "--trust", "--quiet", home=home, cwd=root)
        assert done.returncode == 0, done.stderr
        reports = [
            json.loads(data)
            for (data,) in rows(
                home,
                "SELECT a.data FROM steps s JOIN atoms a ON a.id = json_extract(s.outputs, '$.report') "
                "WHERE s.name = 'probe'",
            )
        ]
        assert len(reports) == 2
        assert all(r["gc_enabled"] and r["frozen"] > 10_000 for r in reports), (executor, reports)
