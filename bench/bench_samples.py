"""collate_sweep(samples=True) of a 1,000-run sweep with 100 samples and 3 score columns each
(target: under 2 s). Run: .venv/bin/python bench/bench_samples.py

The sweep is recorded through the worker's own write path (SweepRecords), with a judge-style
result per run: two dict keys and one scalar per sample, so the pivot to one column per score
is what is measured. The best of five collations is reported.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

N_RUNS, N_SAMPLES = 1000, 100


async def build(store) -> None:
    from motools.atoms import canonical_json
    from motools.status import Status
    from motools.store.records import SampleRecord, SweepRecords
    from motools.store.sweeps import RunRecord, SweepRecord, record_sweep
    from motools.store.writer import StoreWriter

    runs = [
        RunRecord(json.dumps({"lr": 1e-5 * (1 + i % 10), "seed": i // 10}), canonical_json({"i": i}), f"h{i}")
        for i in range(N_RUNS)
    ]
    recorded = record_sweep(store, SweepRecord("big", "big", "name: big\n", "lab", None, 4, "b"), runs)
    writer = StoreWriter(store.db_path)
    records = SweepRecords(writer, recorded.sweep["id"])
    rng = random.Random(0)
    for run_id in recorded.run_ids:
        atom, row, _ = store.atom_row_for("evaluation", canonical_json({"run": run_id}), as_json={"run": run_id})
        records.atom(row)
        samples = [
            SampleRecord(
                f"s{j}",
                1,
                {
                    "judge/aligned": rng.uniform(0, 100),
                    "judge/coherent": rng.uniform(0, 100),
                    "match": float(rng.random() < 0.5),
                },
                answer=f"answer {j}",
                target="t",
            )
            for j in range(N_SAMPLES)
        ]
        records.results(atom.id, "persona", {"match/accuracy": 0.5}, samples)
        records.step_started(run_id, "judge", 0, f"k{run_id}", 0.0)
        records.step_finished(
            run_id, "judge", f"k{run_id}", {"verdicts": atom.id}, workflow="lab", had_checkpoint=False
        )
        records.run_finished(run_id)
    await writer.flush()
    writer.close()
    assert Status.FINISHED


def main() -> None:
    from motools.analysis import collate_sweep
    from motools.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / ".motools")
        t0 = time.perf_counter()
        asyncio.run(build(store))
        built = time.perf_counter() - t0
        times = []
        for _ in range(5):
            t0 = time.perf_counter()
            df = collate_sweep("big", store=store, samples=True)
            times.append(time.perf_counter() - t0)
    print(f"{'case':<62} {'result':>8}  target")
    print(f"{'record 1,000 runs x 100 samples x 3 scores':<62} {built:>7.2f}s  -")
    label = "collate_sweep(samples=True), 100,000 rows x 3 score columns"
    print(f"{label:<62} {min(times):>7.2f}s  < 2 s  ({len(df)} rows, {df.shape[1]} columns)")


if __name__ == "__main__":
    main()
