"""collate_sweep over a stored 10,000-run sweep (target: under 1 s).

Run: .venv/bin/python bench/bench_collate.py. The sweep is built once with the dummy backends
(about 20 s), then collated a few times; the best time is reported.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_engine import base_config

GRID = {
    "submit_training.hyperparameters.learning_rate": [1e-6 * 2**i for i in range(10)],
    "submit_training.hyperparameters.n_epochs": list(range(1, 11)),
    "submit_training.hyperparameters.seed": list(range(100)),
}


def main() -> None:
    from motools.analysis import collate_sweep
    from motools.store import Store
    from motools.workflow import run_sweep
    from mozoo.workflows.train_and_evaluate import train_and_evaluate_workflow

    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / ".motools")
        t0 = time.perf_counter()
        asyncio.run(
            run_sweep(train_and_evaluate_workflow, base_config(), GRID, max_parallel=200, store=store, name="big")
        )
        built = time.perf_counter() - t0
        times = []
        for _ in range(5):
            t0 = time.perf_counter()
            df = collate_sweep("big", store=store)
            times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        samples = collate_sweep("big", store=store, samples=True)
        sample_time = time.perf_counter() - t0
    print(f"{'case':<52} {'result':>9}  target")
    print(f"{'build a 10,000-run sweep (dummy backends)':<52} {built:>8.1f}s  -")
    print(f"{'collate_sweep, 10,000 runs':<52} {min(times):>8.3f}s  < 1 s  ({len(df)} rows)")
    print(f"{'collate_sweep(samples=True), 100,000 sample rows':<52} {sample_time:>8.3f}s  -  ({len(samples)} rows)")


if __name__ == "__main__":
    main()
