"""Bytes the terminal app writes to its terminal (what an SSH link carries), in a real pty.

    .venv/bin/python bench/bench_wire.py            # all cases (about 3 minutes)
    .venv/bin/python bench/bench_wire.py small      # 9 configs, 3 at a time, panes view, 120x40
    .venv/bin/python bench/bench_wire.py large      # 100 configs, 25 at a time, panes view, 120x40
    .venv/bin/python bench/bench_wire.py idle       # the specs screen, nothing running
    .venv/bin/python bench/bench_wire.py results    # `r` on a 10,000-run sweep: time to the table
    .venv/bin/python bench/bench_wire.py select     # filter and sort all 10,000 rows (in process)

The sweeps run in real detached workers with the offline ``dummy`` backends (training reports
progress about once a second per run, as a real trainer does). The app opens on the running
sweep; after it settles, every byte it writes during a window is counted. Target (issue 13):
under 15 KB/s on average while a sweep runs, nothing while idle; results of a 10,000-run sweep
within 1 s of ``r``, filtering and sorting every row under 300 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_tui import PtyApp, _store

SPEC = """\
name: {name}
workflow: train_and_evaluate
base_config:
  prepare_dataset:
    dataset_loader: mozoo.datasets.hello_world:generate_hello_world_dataset
    loader_kwargs:
      num_samples: 20
  submit_training:
    model: meta-llama/Llama-3.2-1B
    hyperparameters:
      n_epochs: 1
      lora_rank: 8
      batch_size: 4
    backend_name: dummy
    latency_s: {latency}
  wait_for_training: {{}}
  evaluate_model:
    eval_task: mozoo.tasks.hello_world:hello_world
    backend_name: dummy
param_grid:
  submit_training.hyperparameters.learning_rate: [{lrs}]
  submit_training.hyperparameters.seed: [{seeds}]
execution:
  max_parallel: {parallel}
  retries: 0
"""


class CountingPty(PtyApp):
    """A PtyApp that also counts the raw bytes (escape sequences included) with timestamps."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        self.raw: list[tuple[float, int]] = []
        self._raw_lock = threading.Lock()
        super().__init__(*args, **kw)

    def _drain(self) -> None:
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:
                return
            if not data:
                return
            now = time.perf_counter()
            with self._raw_lock:
                self.raw.append((now, len(data)))
            from bench_tui import ANSI

            with self.lock:
                self.text += ANSI.sub(b"", data)
                self.chunks.append((now, len(self.text)))

    def bytes_between(self, t0: float, t1: float) -> int:
        with self._raw_lock:
            return sum(n for t, n in self.raw if t0 <= t < t1)


LRS = ["1e-5", "2e-5", "3e-5", "5e-5", "7e-5", "1e-4", "2e-4", "3e-4", "5e-4", "7e-4"]


def _launch(home: Path, name: str, n_lrs: int, n_seeds: int, parallel: int, latency: float) -> Any:
    from motools.specs import parse_spec_text
    from motools.status import Status
    from motools.store import Store
    from motools.workflow.launch import detach_sweep, record_sweep

    text = SPEC.format(
        name=name,
        latency=latency,
        parallel=parallel,
        lrs=", ".join(LRS[:n_lrs]),
        seeds=", ".join(str(i) for i in range(n_seeds)),
    )
    store = Store(home)
    spec = parse_spec_text(text)
    store.save_spec(spec.name, text)
    record_sweep(spec, name=name, store=store)
    detach_sweep(name, store=store)
    deadline = time.time() + 120
    while time.time() < deadline:
        counts = store.read.status_counts(store.get_sweep(name)["id"])
        if counts.get(Status.RUNNING, 0) >= min(parallel, 2):
            return store
        time.sleep(0.2)
    raise TimeoutError("the sweep did not start")


def bench_sweep(n_lrs: int, n_seeds: int, parallel: int, latency: float, window: float = 20.0) -> dict[str, Any]:
    n = n_lrs * n_seeds
    name = f"wire-{n}"
    with tempfile.TemporaryDirectory() as d:
        home = Path(d) / ".motools"
        store = _launch(home, name, n_lrs, n_seeds, parallel, latency)
        app = CountingPty(home, 120, 40)
        try:
            app.wait_for(name, timeout=30)
            try:  # the app reopens on the running sweep
                app.wait_for("view: panes", timeout=5)
            except TimeoutError:  # (older versions: on the sweeps list)
                app.send("\r")
                app.wait_for("view: panes", timeout=30)
            time.sleep(3.0)  # let the first paint and layout settle
            t0 = time.perf_counter()
            time.sleep(window)
            t1 = time.perf_counter()
            written = app.bytes_between(t0, t1)
            counts = store.read.status_counts(store.get_sweep(name)["id"])
        finally:
            app.close()
            store.cancel_sweep(name)
    return {
        "configs": n,
        "max_parallel": parallel,
        "window_s": round(t1 - t0, 2),
        "bytes": written,
        "kb_per_s": round(written / (t1 - t0) / 1024, 2),
        "runs_at_end": counts,
    }


def bench_idle(window: float = 15.0) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as d:
        home = _store(Path(d))
        import sqlite3

        with sqlite3.connect(home / "motools.db") as c:
            c.execute("UPDATE sweeps SET status='finished' WHERE status='running'")
        app = CountingPty(home, 120, 40)
        try:
            app.wait_for("lr-seeds")
            time.sleep(3.0)
            t0 = time.perf_counter()
            time.sleep(window)
            t1 = time.perf_counter()
            written = app.bytes_between(t0, t1)
        finally:
            app.close()
    return {"window_s": round(t1 - t0, 2), "bytes": written}


def bench_results(n: int = 10_000, runs: int = 3) -> dict[str, Any]:
    """``r`` on the sweep screen of an ``n``-run finished sweep: seconds until the results table
    shows its first rows, and until the best setting (the CI work) is shown."""
    with tempfile.TemporaryDirectory() as d:
        home = _store(Path(d), big=n, big_status="finished")
        table, best = [], []
        for _ in range(runs):
            app = CountingPty(home, 120, 40)
            try:
                app.wait_for("lr-seeds")
                app.send("w")
                app.wait_for("big-sweep")
                time.sleep(0.5)
                app.send("\r")
                app.wait_for(f"{n}/{n}", timeout=60)
                time.sleep(1.0)
                mark = app.mark()
                sent = app.send("r") - app.t0
                table.append(app.wait_for(f"of {n} rows", after=mark, timeout=60) - sent)
                best.append(app.wait_for("best ", after=mark, timeout=60) - sent)
            finally:
                app.close()
    return {
        "runs": n,
        "table_shown_s": {"median": sorted(table)[len(table) // 2], "max": max(table)},
        "best_shown_s": {"median": sorted(best)[len(best) // 2], "max": max(best)},
    }


def bench_select(n: int = 10_000, repeat: int = 5) -> dict[str, Any]:
    """Filtering and sorting every row of an ``n``-run results table (what ``/`` and ``s`` do,
    in the results screen's thread), after the table is loaded and pandas imported."""
    from motools.store.watch import open_reader
    from motools_tui.core import results as core

    with tempfile.TemporaryDirectory() as d:
        home = _store(Path(d), big=n, big_status="finished")
        from motools.store.read import ReadModel

        conn = open_reader(home / "motools.db")
        t = time.perf_counter()
        data = core.load(ReadModel(conn), "big-sweep")
        load_s = time.perf_counter() - t
        data.frame()
        cases = {
            "sort by accuracy": ("", ("accuracy", True)),
            "filter seed>500, sort by learning_rate": ("seed>500", ("learning_rate", False)),
            "filter plain text 0.85 (every cell)": ("0.85", None),
        }
        out: dict[str, Any] = {"rows": n, "load_table_s": round(load_s, 3)}
        for name, (expr, sort) in cases.items():
            times = []
            for _ in range(repeat):
                t = time.perf_counter()
                rows = core.select(data, expr, sort)
                times.append(time.perf_counter() - t)
            out[name] = {"ms_median": round(1000 * sorted(times)[repeat // 2], 1), "rows": len(rows)}
        conn.close()
    return out


CASES = {
    "small": lambda: bench_sweep(n_lrs=3, n_seeds=3, parallel=3, latency=20.0),
    "large": lambda: bench_sweep(n_lrs=10, n_seeds=10, parallel=25, latency=15.0),
    "idle": bench_idle,
    "results": bench_results,
    "select": bench_select,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("which", nargs="*", help=", ".join(CASES) + " (default: all)")
    args = parser.parse_args()
    unknown = set(args.which) - set(CASES)
    if unknown:
        parser.error(f"unknown case(s): {', '.join(sorted(unknown))}")
    out: dict[str, Any] = {"cpus": os.cpu_count(), "load_avg_at_start": os.getloadavg()}
    for name in args.which or list(CASES):
        out[name] = CASES[name]()
        print(f"{name}: {json.dumps(out[name], default=str)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
