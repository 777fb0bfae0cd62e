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
