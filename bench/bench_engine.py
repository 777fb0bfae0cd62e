"""Engine benchmarks (issue 2): a 1000-config dummy sweep, the same sweep cached, import time.

Run: .venv/bin/python bench/bench_engine.py
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def base_config():
    from mozoo.workflows.train_and_evaluate import TrainAndEvaluateConfig

    return TrainAndEvaluateConfig(
        prepare_dataset={
            "dataset_loader": "mozoo.datasets.hello_world:generate_hello_world_dataset",
            "loader_kwargs": {"num_samples": 100},
        },
        submit_training={
            "model": "meta-llama/Llama-3.2-1B",
            "hyperparameters": {"n_epochs": 2, "lora_rank": 8, "batch_size": 4},
            "backend_name": "dummy",
        },
        evaluate_model={"eval_task": "mozoo.tasks.hello_world:hello_world", "backend_name": "dummy"},
    )


GRID = {
    "submit_training.hyperparameters.learning_rate": [1e-6 * 2**i for i in range(10)],
    "submit_training.hyperparameters.n_epochs": list(range(1, 11)),
    "submit_training.hyperparameters.seed": list(range(10)),
}


async def sweep_once(store, name: str) -> tuple[float, int]:
    from motools.workflow import run_sweep
    from mozoo.workflows.train_and_evaluate import train_and_evaluate_workflow

    cfg = base_config()
    t0 = time.perf_counter()
    states = await run_sweep(train_and_evaluate_workflow, cfg, GRID, max_parallel=100, store=store, name=name)
    return time.perf_counter() - t0, len(states)


def import_time(runs: int = 7) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import motools"], check=True)
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    from motools.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / ".motools")
        cold, n = asyncio.run(sweep_once(store, "bench-cold"))
        warm, n2 = asyncio.run(sweep_once(store, "bench-cached"))
        rows = store.query_one(
            "SELECT (SELECT COUNT(*) FROM runs) AS runs, (SELECT COUNT(*) FROM steps) AS steps, "
            "(SELECT COUNT(*) FROM samples) AS samples, (SELECT COUNT(*) FROM events) AS events"
        )
    bare = min(
        (lambda t0: (subprocess.run([sys.executable, "-c", "pass"], check=True), time.perf_counter() - t0)[1])(
            time.perf_counter()
        )
        for _ in range(5)
    )
    imp = import_time()
    print(f"{'benchmark':<48} {'result':>10}  target")
    print(f"{'1000-config sweep, dummy backends, cold':<48} {cold:>9.2f}s  < 5 s   ({n} runs ok)")
    print(f"{'same sweep again, all cached':<48} {warm:>9.2f}s  < 1 s   ({n2} runs ok)")
    label = 'python -c "import motools" (whole process)'
    print(f"{label:<48} {imp:>9.3f}s  < 0.3 s (bare interpreter {bare:.3f}s)")
    print(f"rows persisted: {rows}")


if __name__ == "__main__":
    main()
