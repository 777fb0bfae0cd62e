"""Benchmark of the ``inspect`` evaluation backend (run: ``.venv/bin/python bench/bench_inspect.py``).

1. Parallelism: eight evaluations of ``hello_world`` against simulated models that take 0.2 s per
   reply, started together (``max_parallel`` 8), against one such evaluation. Target: eight take
   under twice the time of one. The same eight without batching (one ``eval_async`` per
   evaluation) are timed too, for comparison.
2. Scale: a 100-config sweep (dummy training + inspect evaluation): wall time, peak memory and
   where the time goes (per-step time split; ``--profile`` adds cProfile's top entries).

Every sweep uses a fresh store in a temporary folder, so nothing is served from cache.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import os
import pstats
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from motools.evals.backends.inspect import InspectEvalBackend
from motools.evals.base import register_eval_backend
from motools.store import Store
from motools.workflow import run_sweep
from mozoo.workflows.train_and_evaluate import TrainAndEvaluateConfig, train_and_evaluate_workflow

REPLY_LATENCY_S = 0.2


GRID_100 = {  # 100 configs: ten learning rates by ten seeds
    "submit_training.hyperparameters.learning_rate": [10 ** (-3 - i / 3) for i in range(10)],
    "submit_training.hyperparameters.seed": list(range(10)),
}


def config(latency_s: float = 0.0, evaluation: str = "inspect") -> TrainAndEvaluateConfig:
    """The benchmarks' sweep: ``hello_world`` data, ``dummy`` training, ``evaluation`` of its task."""
    return TrainAndEvaluateConfig(
        prepare_dataset={
            "dataset_loader": "mozoo.datasets.hello_world:generate_hello_world_dataset",
            "loader_kwargs": {"num_samples": 20},
        },
        submit_training={
            "model": "meta-llama/Llama-3.2-1B",
            "hyperparameters": {"n_epochs": 2, "batch_size": 4},
            "backend_name": "dummy",
        },
        evaluate_model={
            "eval_task": "mozoo.tasks.hello_world:hello_world",
            "backend_name": evaluation,
            "latency_s": latency_s,
        },
    )


def lr_grid(n: int) -> dict[str, list[Any]]:
    return {"submit_training.hyperparameters.learning_rate": [10 ** (-3 - 3 * i / max(1, n - 1)) for i in range(n)]}


async def timed_sweep(
    root: Path, grid: dict[str, list[Any]], latency_s: float, max_parallel: int, backend: InspectEvalBackend
) -> tuple[float, float, Store, int]:
    """Wall and CPU seconds of a sweep, its store and how many runs finished."""
    register_eval_backend("inspect", backend)
    store = Store(Path(tempfile.mkdtemp(dir=root)) / ".motools")
    start, cpu = time.perf_counter(), time.process_time()
    states = await run_sweep(
        train_and_evaluate_workflow, config(latency_s), grid, max_parallel=max_parallel, store=store, retries=0
    )
    return time.perf_counter() - start, time.process_time() - cpu, store, len(states)


def step_split(store: Store) -> dict[str, tuple[float, float]]:
    """Per step: summed and longest duration (s) over the sweep's runs."""
    rows = store.query(
        "SELECT name, SUM(finished_at - started_at) AS total, MAX(finished_at - started_at) AS longest "
        "FROM steps WHERE cached = 0 GROUP BY name ORDER BY MIN(idx)"
    )
    return {r["name"]: (r["total"] or 0.0, r["longest"] or 0.0) for r in rows}


async def parallelism(root: Path) -> dict[str, float]:
    await timed_sweep(root, lr_grid(2), 0.0, 2, InspectEvalBackend())  # warm up: imports, first eval
    one, cpu1, store1, n1 = await timed_sweep(root, lr_grid(1), REPLY_LATENCY_S, 1, InspectEvalBackend())
    batched = InspectEvalBackend()
    eight, cpu8, store8, n8 = await timed_sweep(root, lr_grid(8), REPLY_LATENCY_S, 8, batched)
    instant, _, _, _ = await timed_sweep(root, lr_grid(8), 0.0, 8, InspectEvalBackend())
    unbatched, _, _, _ = await timed_sweep(root, lr_grid(8), REPLY_LATENCY_S, 8, InspectEvalBackend(max_batch=1))
    assert n1 == 1 and n8 == 8
    eval1 = step_split(store1)["evaluate_model"][1]
    eval8 = step_split(store8)["evaluate_model"][1]
    print(
        f"1. eight evaluations started together (hello_world, 10 samples, {REPLY_LATENCY_S} s per reply); "
        f"{os.cpu_count()} CPUs"
    )
    print(f"   one evaluation:       sweep {one:.2f} s, CPU {cpu1:.2f} s (evaluate step {eval1:.2f} s)")
    print(
        f"   eight, batched:       sweep {eight:.2f} s, CPU {cpu8:.2f} s (slowest evaluate step {eval8:.2f} s; "
        f"{batched.stats['eval_calls']} eval_async call(s), largest batch {batched.stats['largest_batch']})"
    )
    print(f"   eight, replies 0 s:   sweep {instant:.2f} s (what is left is Inspect's CPU work per sample)")
    print(f"   eight, unbatched:     sweep {unbatched:.2f} s (one eval_async per evaluation)")
    print(f"   ratio eight/one:      {eight / one:.2f} x sweep, {eval8 / eval1:.2f} x evaluate step (target < 2)")
    return {
        "one_s": one,
        "eight_s": eight,
        "eight_no_latency_s": instant,
        "eight_unbatched_s": unbatched,
        "ratio": eight / one,
    }


async def scale(root: Path, profile: bool) -> dict[str, float]:
    grid = GRID_100
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    backend = InspectEvalBackend()
    profiler = cProfile.Profile() if profile else None
    if profiler:
        profiler.enable()
    wall, cpu, store, n = await timed_sweep(root, grid, 0.0, 8, backend)
    if profiler:
        profiler.disable()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert n == 100
    flag = " [profiled]" if profile else ""
    print(f"\n2. 100-config sweep, dummy training + inspect evaluation (max_parallel 8){flag}")
    print(f"   wall {wall:.1f} s, CPU {cpu:.1f} s, peak RSS {peak:.0f} MB (was {before:.0f} MB before the sweep)")
    print(
        f"   {backend.stats['eval_calls']} eval_async calls for {backend.stats['evaluations']} evaluations "
        f"(largest batch {backend.stats['largest_batch']}); inside eval_async {backend.stats['eval_seconds']:.1f} s, "
        f"the rest (engine, store, dummy training, result conversion) {wall - backend.stats['eval_seconds']:.1f} s"
    )
    logs = list((store.home / "inspect_logs").glob("*.eval"))
    print(f"   {len(logs)} .eval logs, {sum(p.stat().st_size for p in logs) / 1e6:.1f} MB")
    print("   step time (summed over runs / longest single):")
    for name, (total, longest) in step_split(store).items():
        print(f"     {name:18s} {total:8.1f} s  {longest:6.2f} s")
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(15)
        print("   cProfile, top 15 by own time:")
        print("\n".join("     " + line for line in out.getvalue().splitlines() if line.strip()))
    return {"wall_s": wall, "cpu_s": cpu, "peak_rss_mb": peak}


async def main(profile: bool = False) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="motools-bench-") as tmp:
        root = Path(tmp)
        os.chdir(root)
        try:
            return {"parallelism": await parallelism(root), "scale": await scale(root, profile)}
        finally:
            register_eval_backend("inspect", "motools.evals.backends.inspect:InspectEvalBackend")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", action="store_true", help="profile the 100-config sweep with cProfile")
    asyncio.run(main(parser.parse_args().profile))
