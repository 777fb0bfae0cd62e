"""Benchmarks of the terminal app, in a real pseudo-terminal (120x40).

    .venv/bin/python bench/bench_tui.py            # everything (about 2 minutes)
    .venv/bin/python bench/bench_tui.py startup    # process start -> specs list painted
    .venv/bin/python bench/bench_tui.py live       # 1,000-config sweep running: key latency, CPU
    .venv/bin/python bench/bench_tui.py idle       # CPU while idle on the specs screen
    .venv/bin/python bench/bench_tui.py memory     # RSS with a 10,000-run sweep open

The app runs as ``motools-tui`` in a pty whose output a thread drains and timestamps; a
measurement is the time until given text appears in what the app wrote. Targets (issue 5):
first paint < 0.5 s, key effect < 100 ms and CPU < 20 % of a core while a 1,000-config sweep
runs, idle CPU < 2 %, RSS < 300 MB with a 10,000-run sweep open.
"""

from __future__ import annotations

import argparse
import bisect
import fcntl
import json
import os
import re
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "tui"))
BIN = Path(sys.executable).parent
APP = BIN / "motools-tui"
ANSI = re.compile(rb"\x1b\[[0-9;?<>=$]*[A-Za-z~]|\x1b[()][A-Za-z0-9]|\x1b[=>]|\x1b\][^\x07]*\x07")


class PtyApp:
    """``motools-tui`` in a pseudo-terminal; everything it writes is kept with timestamps."""

    def __init__(
        self,
        home: Path,
        cols: int = 120,
        rows: int = 40,
        env: dict[str, str] | None = None,
        argv: list[str] | None = None,
    ):
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        full_env = {
            **os.environ,
            "MOTOOLS_HOME": str(home),
            "TERM": "xterm-256color",
            "COLORTERM": "truecolor",
            "TINKER_TELEMETRY": "0",
            **(env or {}),
        }
        self.t0 = time.perf_counter()
        self.proc = subprocess.Popen(
            argv or [str(APP)],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=full_env,
            cwd=str(home.parent),
            start_new_session=True,
        )
        os.close(slave)
        self.chunks: list[tuple[float, bytes]] = []
        self.text = b""
        self.lock = threading.Lock()
        self.reader = threading.Thread(target=self._drain, daemon=True)
        self.reader.start()

    def _drain(self) -> None:
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:
                return
            if not data:
                return
            now = time.perf_counter()
            with self.lock:
                self.text += ANSI.sub(b"", data)
                self.chunks.append((now, len(self.text)))

    def mark(self) -> int:
        with self.lock:
            return len(self.text)

    def wait_for(self, needle: str, after: int = 0, timeout: float = 30.0) -> float:
        """Seconds since process start when ``needle`` first appeared (after offset ``after``)."""
        target = needle.encode()
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            with self.lock:
                pos = self.text.find(target, after)
                if pos >= 0:
                    end = pos + len(target)  # the chunk that completed the needle
                    i = bisect.bisect_left([n for _, n in self.chunks], end)
                    return self.chunks[min(i, len(self.chunks) - 1)][0] - self.t0
            time.sleep(0.002)
        raise TimeoutError(f"{needle!r} did not appear within {timeout}s")

    def send(self, keys: str) -> float:
        t = time.perf_counter()
        os.write(self.master, keys.encode())
        return t

    def cpu_seconds(self) -> float:
        import psutil

        times = psutil.Process(self.proc.pid).cpu_times()
        return times.user + times.system

    def rss_mb(self) -> float:
        import psutil

        return psutil.Process(self.proc.pid).memory_info().rss / 2**20

    def close(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
        os.close(self.master)


def _store(tmp: Path, **kw: Any) -> Path:
    from fakestore import build

    home = tmp / ".motools"
    build(home, **kw).close()
    return home


FLOOR_APP = """
from textual.app import App
from textual.widgets import Static
class Floor(App):
    def compose(self):
        yield Static("motools  specs\\nlr-seeds")
Floor().run()
"""


def bench_startup(runs: int = 7) -> dict[str, Any]:
    """Process start to the specs screen painted with its list (three specs); and, for
    reference, the same for a one-Static Textual app (the floor this machine sets)."""
    with tempfile.TemporaryDirectory() as d:
        home = _store(Path(d))
        # Not a live sweep in this store: the app stays on the specs screen.
        import sqlite3

        with sqlite3.connect(home / "motools.db") as c:
            c.execute("UPDATE sweeps SET status='finished' WHERE status='running'")
        firsts, lists = [], []
        for _ in range(runs):
            app = PtyApp(home)
            try:
                firsts.append(app.wait_for("motools  specs"))
                lists.append(app.wait_for("lr-seeds"))
            finally:
                app.close()
        floor = []
        for _ in range(runs):
            app = PtyApp(home, argv=[sys.executable, "-c", FLOOR_APP])
            try:
                floor.append(app.wait_for("lr-seeds"))
            finally:
                app.close()
    return {
        "textual_hello_world_floor_s": {"median": statistics.median(floor), "min": min(floor)},
        "first_paint_s": {"median": statistics.median(firsts), "min": min(firsts), "max": max(firsts)},
        "specs_list_painted_s": {"median": statistics.median(lists), "min": min(lists), "max": max(lists)},
        "runs": runs,
    }


SWEEP_1000 = """\
name: bench-1000
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
    latency_s: 3.0
  wait_for_training: {{}}
  evaluate_model:
    eval_task: mozoo.tasks.hello_world:hello_world
    backend_name: dummy
param_grid:
  submit_training.hyperparameters.learning_rate: [1e-5, 2e-5, 3e-5, 5e-5, 7e-5, 1e-4, 2e-4, 3e-4, 5e-4, 7e-4]
  submit_training.hyperparameters.seed: [{}]
execution:
  max_parallel: 100
  retries: 0
""".format(", ".join(str(i) for i in range(100)))


def bench_live(seconds: float = 15.0, presses: int = 20) -> dict[str, Any]:
    """A real 1,000-config sweep (dummy backends, 3 s of simulated training each, 100 at once):
    key-to-screen latency and the app's CPU while the sweep screen shows it live."""
    from motools.specs import parse_spec_text
    from motools.status import Status
    from motools.store import Store
    from motools.workflow.launch import detach_sweep, record_sweep

    with tempfile.TemporaryDirectory() as d:
        home = Path(d) / ".motools"
        store = Store(home)
        spec = parse_spec_text(SWEEP_1000)
        store.save_spec(spec.name, SWEEP_1000)
        record_sweep(spec, name="bench-1000", store=store)
        detach_sweep("bench-1000", store=store)
        deadline = time.time() + 120
        while time.time() < deadline:  # wait for the worker to be up and running runs
            sweep = store.get_sweep("bench-1000")
            if sweep["status"] == Status.RUNNING and store.read.status_counts(sweep["id"]).get(Status.RUNNING):
                break
            time.sleep(0.2)
        app = PtyApp(home)
        try:
            app.wait_for("bench-1000", timeout=30)  # a running sweep: the app reopens on it
            app.wait_for("view: panes", timeout=30)
            time.sleep(1.0)
            latencies = []
            mode = "panes"
            for _ in range(presses):
                mode = "list" if mode == "panes" else "panes"
                mark = app.mark()
                sent = app.send("v")
                shown = app.wait_for(f"view: {mode}", after=mark, timeout=10)
                latencies.append(shown - (sent - app.t0))
                time.sleep(0.25)
            moves = []
            for key in ("\x1b[B", "\x1b[A") * 5:  # down, up: the cursor pane moves
                mark = app.mark()
                sent = app.send(key)
                time.sleep(0.3)
                with app.lock:
                    chunks = [t for t, _ in app.chunks if t >= sent]
                if chunks:
                    moves.append(chunks[0] - sent)
            cpu0, t0 = app.cpu_seconds(), time.perf_counter()
            time.sleep(seconds)
            cpu1, t1 = app.cpu_seconds(), time.perf_counter()
            progress = store.read.status_counts(store.get_sweep("bench-1000")["id"])
        finally:
            app.close()
            store.cancel_sweep("bench-1000")
    return {
        "view_toggle_latency_ms": {
            "median": 1000 * statistics.median(latencies),
            "p95": 1000 * sorted(latencies)[int(0.95 * (len(latencies) - 1))],
            "max": 1000 * max(latencies),
        },
        "cursor_move_first_output_ms": {"median": 1000 * statistics.median(moves), "max": 1000 * max(moves)}
        if moves
        else None,
        "cpu_percent_of_one_core": 100 * (cpu1 - cpu0) / (t1 - t0),
        "window_s": t1 - t0,
        "sweep_progress_at_end": dict(progress or {}),
    }


def bench_idle(seconds: float = 15.0) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as d:
        home = _store(Path(d))
        import sqlite3

        with sqlite3.connect(home / "motools.db") as c:
            c.execute("UPDATE sweeps SET status='finished' WHERE status='running'")
        app = PtyApp(home)
        try:
            app.wait_for("lr-seeds")
            time.sleep(2.0)
            cpu0, t0 = app.cpu_seconds(), time.perf_counter()
            time.sleep(seconds)
            cpu1, t1 = app.cpu_seconds(), time.perf_counter()
            rss = app.rss_mb()
        finally:
            app.close()
    return {"cpu_percent_of_one_core": 100 * (cpu1 - cpu0) / (t1 - t0), "window_s": t1 - t0, "rss_mb": rss}


def bench_memory(n: int = 10_000) -> dict[str, Any]:
    """RSS with an ``n``-run sweep open on the sweep screen, then on its results screen."""
    with tempfile.TemporaryDirectory() as d:
        t = time.perf_counter()
        home = _store(Path(d), big=n, big_status="finished")
        build_s = time.perf_counter() - t
        app = PtyApp(home)
        try:
            app.wait_for("lr-seeds")
            app.send("w")
            app.wait_for("big-sweep")
            time.sleep(0.5)
            app.send("\r")
            opened = app.wait_for(f"{n}/{n}", timeout=60)
            time.sleep(1.5)
            rss_sweep = app.rss_mb()
            mark = app.mark()
            app.send("v")
            app.wait_for("view: list", after=mark)
            time.sleep(0.5)
            rss_list = app.rss_mb()
            app.send("r")
            results_at = app.wait_for("best (max accuracy)", timeout=120)
            time.sleep(1.5)
            rss_results = app.rss_mb()
        finally:
            app.close()
    return {
        "runs": n,
        "store_build_s": build_s,
        "sweep_screen_open_s_since_start": opened,
        "rss_mb_sweep_screen": rss_sweep,
        "rss_mb_sweep_list_view": rss_list,
        "rss_mb_results_screen": rss_results,
        "results_shown_s_since_start": results_at,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("which", nargs="*", help="startup, idle, live, memory (default: all)")
    parser.add_argument("--json", action="store_true", help="print JSON only")
    args = parser.parse_args()
    unknown = set(args.which) - {"startup", "idle", "live", "memory"}
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    results: dict[str, Any] = {"cpus": os.cpu_count(), "load_avg_at_start": os.getloadavg()}
    for name in args.which or ["startup", "idle", "live", "memory"]:
        results[name] = {"startup": bench_startup, "idle": bench_idle, "live": bench_live, "memory": bench_memory}[
            name
        ]()
        if not args.json:
            print(f"{name}: {json.dumps(results[name], indent=2, default=str)}", flush=True)
    if args.json:
        print(json.dumps(results, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
