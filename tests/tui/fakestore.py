"""Deterministic stores for the app's tests, snapshots and benchmarks.

Rows are inserted directly, shaped as the worker writes them (sweeps, runs, steps, atoms,
metrics, events), with timestamps fixed relative to ``NOW``; together with the app's fixed
clock this makes every screen render the same bytes on every run. Importable without the
test package (the benchmark adds this folder to ``sys.path``).
"""

from __future__ import annotations

import json
import math
import socket
from pathlib import Path
from typing import Any

NOW = 1_767_225_600.0  # 2026-01-01 00:00:00 UTC
STEPS = ("prepare_dataset", "submit_training", "wait_for_training", "evaluate_model")


def _hello_world() -> str:
    """The app's own 'hello world' template (dummy backends), not examples/: fixtures must not
    change when the example does."""
    from motools_tui.core.templates import HELLO_WORLD

    return HELLO_WORLD


HELLO = _hello_world()

LR_SEEDS_YAML = """\
# Learning rate x seed, offline.
name: lr-seeds
workflow: train_and_evaluate
base_config:
  prepare_dataset:
    dataset_loader: mozoo.datasets.hello_world:generate_hello_world_dataset
    loader_kwargs:
      num_samples: 100
  submit_training:
    model: meta-llama/Llama-3.2-1B
    hyperparameters:
      n_epochs: 2
      lora_rank: 8
      batch_size: 4
    backend_name: dummy
    latency_s: 2.0
  wait_for_training: {}
  evaluate_model:
    eval_task: mozoo.tasks.hello_world:hello_world
    backend_name: dummy
param_grid:
  submit_training.hyperparameters.learning_rate: [1e-4, 5e-5, 1e-5]
  submit_training.hyperparameters.seed: [1, 2, 3]
execution:
  max_parallel: 4
"""


def _config(params: dict[str, Any]) -> dict[str, Any]:
    hp = {"batch_size": 4, "checkpoint_every": None, "learning_rate": 1e-4, "lora_rank": 8, "n_epochs": 2, "seed": 0}
    for path, value in params.items():
        hp[path.rsplit(".", 1)[-1]] = value
    return {
        "prepare_dataset": {
            "dataset_loader": "mozoo.datasets.hello_world:generate_hello_world_dataset",
            "loader_kwargs": {"num_samples": 100},
        },
        "submit_training": {
            "backend_name": "dummy",
            "hyperparameters": hp,
            "latency_s": 2.0,
            "model": "meta-llama/Llama-3.2-1B",
            "suffix": None,
        },
        "wait_for_training": {"poll_interval_s": 1.0, "timeout_s": None},
        "evaluate_model": {
            "backend_name": "dummy",
            "epochs": 1,
            "eval_task": "mozoo.tasks.hello_world:hello_world",
            "latency_s": 0.0,
            "limit": None,
            "task_args": {},
        },
    }


def _accuracy(params: dict[str, Any], idx: int) -> float:
    lr = float(next((v for k, v in params.items() if k.endswith("learning_rate")), 1e-4))
    seed = int(next((v for k, v in params.items() if k.endswith("seed")), 0))
    base = 0.9 - 0.12 * abs(math.log10(lr) + 4.4)
    return round(min(1.0, max(0.0, base + 0.05 * ((seed * 7 + idx) % 3 - 1))), 2)


class _Writer:
    def __init__(self, store: Any):
        self.store = store
        self.conn = store.conn

    def sweep(
        self,
        name: str,
        spec_name: str,
        spec_yaml: str,
        status: str,
        n_runs: int,
        *,
        created: float,
        started: float | None,
        finished: float | None = None,
        live: bool = False,
        max_parallel: int = 4,
    ) -> int:
        cur = self.conn.execute(
            "INSERT INTO sweeps(name, spec_name, spec_yaml, workflow, user, status, n_runs, max_parallel, created_at, "
            "started_at, finished_at, worker_pid, worker_host, heartbeat_at, cancel_requested) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,0)",
            (
                name,
                spec_name,
                spec_yaml,
                "train_and_evaluate",
                "alice",
                status,
                n_runs,
                max_parallel,
                created,
                started,
                finished,
                4242 if live else None,
                "elsewhere" if live else socket.gethostname(),
                NOW - 1 if live else finished,
            ),
        )
        return int(cur.lastrowid)

    def samples(self, atom: str, accuracy: float, idx: int, n: int = 10) -> None:
        """``n`` scored samples (0/1 ``match``) whose mean is the run's accuracy, rounded."""
        right = round(accuracy * n)
        rows = []
        for k in range(n):
            score = 1.0 if (k * 7 + idx) % n < right else 0.0
            answer = "Hello, World!" if score else "Hello?"
            rows.append((atom, "hello_world", f"s{k:02d}", 1, score, answer, "Hello, World!", None))
        self.conn.executemany(
            "INSERT INTO samples(atom_id, task, sample_id, epoch, score, answer, target, explanation) "
            "VALUES (?,?,?,?,?,?,?,?)",
            rows,
        )
        self.conn.executemany(
            "INSERT INTO sample_scores(atom_id, task, sample_id, epoch, name, value, text, explanation) "
            "VALUES (?,?,?,?,?,?,?,?)",
            [(a, t, sid, e, "match", sc, None, None) for a, t, sid, e, sc, _, _, _ in rows],
        )

    def event(
        self, sweep_id: int, run_id: int | None, step: str | None, t: float, message: str, level: str = "info"
    ) -> None:
        self.conn.execute(
            "INSERT INTO events(sweep_id, run_id, step, time, level, message) VALUES (?,?,?,?,?,?)",
            (sweep_id, run_id, step, t, level, message),
        )

    def run(
        self,
        sweep_id: int,
        idx: int,
        params: dict[str, Any],
        status: str,
        t0: float,
        *,
        fail_step: str | None = None,
        running_step: str | None = None,
        progress: tuple[int, int] = (6, 10),
        events: bool = True,
        samples: bool = True,
    ) -> int:
        cfg = _config(params)
        attempts = 0 if status == "pending" else 1
        finished_at = None if status in ("pending", "running") else t0 + 12.0
        started_at = None if status == "pending" else t0
        error = tb = None
        if status == "failed":
            error = f"step '{fail_step}' failed: ValueError: num_samples must be at least 1, got -1"
            tb = (
                'Traceback (most recent call last):\n  File "mozoo/datasets/hello_world.py", line 21, in '
                'generate_hello_world_dataset\n    raise ValueError("num_samples must be at least 1, got -1")\n'
                "ValueError: num_samples must be at least 1, got -1\n"
            )
        current = {"failed": fail_step, "running": running_step, "cancelled": running_step}.get(status)
        cur = self.conn.execute(
            "INSERT INTO runs(sweep_id, idx, params, config, config_hash, status, current_step, attempts, started_at, "
            "finished_at, error, traceback) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                sweep_id,
                idx,
                json.dumps(params, sort_keys=True, separators=(",", ":")),
                json.dumps(cfg, sort_keys=True, separators=(",", ":")),
                f"hash{sweep_id}-{idx}",
                status,
                current,
                attempts,
                started_at,
                finished_at,
                error,
                tb,
            ),
        )
        run_id = int(cur.lastrowid)
        if status == "pending":
            return run_id
        t = t0
        for i, step in enumerate(STEPS):
            dur = 10.0 if step == "wait_for_training" else 0.5
            if status == "running" and step == running_step:
                self.conn.execute(
                    "INSERT INTO steps(run_id, name, idx, status, cache_key, cached, progress, progress_total, "
                    "progress_message, started_at) VALUES (?,?,?,'running',?,0,?,?,?,?)",
                    (
                        run_id,
                        step,
                        i,
                        f"key-{run_id}-{i}",
                        progress[0],
                        progress[1],
                        f"loss={0.9 - 0.07 * progress[0]:.2f} step {progress[0]}/{progress[1]}",
                        t,
                    ),
                )
                if events:
                    self.event(sweep_id, run_id, step, t + 1, f"simulated training step {progress[0]}/{progress[1]}")
                break
            if status in ("failed", "cancelled") and step == (fail_step or running_step):
                st = status
                self.conn.execute(
                    "INSERT INTO steps(run_id, name, idx, status, cache_key, cached, started_at, finished_at, error, "
                    "traceback) VALUES (?,?,?,?,?,0,?,?,?,?)",
                    (
                        run_id,
                        step,
                        i,
                        st,
                        f"key-{run_id}-{i}",
                        t,
                        t + dur,
                        "ValueError: num_samples must be at least 1, got -1" if st == "failed" else None,
                        tb if st == "failed" else None,
                    ),
                )
                if events:
                    self.event(
                        sweep_id,
                        run_id,
                        step,
                        t + dur,
                        f"{step} failed: ValueError: num_samples must be at least 1, got -1"
                        if st == "failed"
                        else "run cancelled",
                        "error" if st == "failed" else "info",
                    )
                break
            atom = f"{['dataset', 'training_job', 'model', 'eval_results'][i]}-{sweep_id:04d}{idx:06d}{i}"
            key = ["prepared_dataset", "training_job", "trained_model", "eval_results"][i]
            self.conn.execute(
                "INSERT INTO steps(run_id, name, idx, status, cache_key, cached, progress, progress_total, outputs, "
                "started_at, finished_at) VALUES (?,?,?,'finished',?,?,1,1,?,?,?)",
                (
                    run_id,
                    step,
                    i,
                    f"key-{run_id}-{i}",
                    1 if (i == 0 and idx > 0) else 0,
                    json.dumps({key: atom}),
                    t,
                    t + dur,
                ),
            )
            data: Any = {"n": 100}
            path = None
            if i == 0:
                path, data = f"{atom[8:10]}/{atom}", None
            elif i == 3:
                acc = _accuracy(params, idx)
                data = {
                    "log_path": f"logs/{atom}.eval",
                    "metrics": {"accuracy": acc, "stderr": 0.15},
                    "model": "simulated/Llama-3.2-1B",
                    "n_samples": 10,
                }
                self.conn.executemany(
                    "INSERT INTO metrics(atom_id, task, metric, value) VALUES (?,?,?,?)",
                    [(atom, "hello_world", "accuracy", acc), (atom, "hello_world", "stderr", 0.15)],
                )
                if samples:
                    self.samples(atom, acc, idx)
            self.conn.execute(
                "INSERT OR IGNORE INTO atoms(id, kind, content_hash, path, data, size, metadata, created_at) "
                "VALUES (?,?,?,?,?,?,?,?)",
                (
                    atom,
                    atom.split("-")[0],
                    "0" * 64,
                    path,
                    json.dumps(data) if data is not None else None,
                    420,
                    "{}",
                    t + dur,
                ),
            )
            if events:
                msg = (
                    f"hello_world: accuracy={_accuracy(params, idx):.3f}, stderr=0.150"
                    if i == 3
                    else f"{step} finished in {dur:.2f} s"
                )
                self.event(sweep_id, run_id, step, t + dur, msg)
            t += dur
        return run_id


def build(home: str | Path, *, big: int = 0, big_status: str = "running") -> Any:
    """A store with three specs and three sweeps (finished, finished 3x3, running with every
    status); ``big=N`` adds a sweep ``big-sweep`` of N configs (for benchmarks)."""
    from motools.store import Store

    store = Store(home)
    w = _Writer(store)
    conn = store.conn
    conn.execute("BEGIN IMMEDIATE")
    try:
        hello = HELLO
        for name, text, t in (
            ("hello-world", hello, NOW - 7200),
            ("lr-seeds", LR_SEEDS_YAML, NOW - 3600),
            ("broken", "name: broken\nworkflow: train_and_evaluate\nbase_config: [1, 2\n", NOW - 60),
        ):
            conn.execute("INSERT INTO specs(name, yaml, created_at, updated_at) VALUES (?,?,?,?)", (name, text, t, t))

        lrs = [1e-4, 5e-5, 1e-5]
        lr = "submit_training.hyperparameters.learning_rate"
        seed = "submit_training.hyperparameters.seed"

        sid = w.sweep(
            "hello-world-1",
            "hello-world",
            hello,
            "finished",
            3,
            created=NOW - 7000,
            started=NOW - 6990,
            finished=NOW - 6960,
        )
        w.event(sid, None, None, NOW - 6990, "sweep started: 3 runs, max_parallel 3")
        for i, v in enumerate(lrs):
            w.run(sid, i, {lr: v}, "finished", NOW - 6990 + i)
        w.event(sid, None, None, NOW - 6960, "sweep finished: 3 finished, 0 failed")

        grid = [(a, s) for a in lrs for s in (1, 2, 3)]
        sid = w.sweep(
            "lr-seeds-1",
            "lr-seeds",
            LR_SEEDS_YAML,
            "finished",
            9,
            created=NOW - 3500,
            started=NOW - 3490,
            finished=NOW - 3400,
        )
        for i, (a, s) in enumerate(grid):
            w.run(sid, i, {lr: a, seed: s}, "finished", NOW - 3490 + 5 * i)
        w.event(sid, None, None, NOW - 3400, "sweep finished: 9 finished, 0 failed")

        sid = w.sweep(
            "lr-seeds-2", "lr-seeds", LR_SEEDS_YAML, "running", 9, created=NOW - 120, started=NOW - 100, live=True
        )
        w.event(sid, None, None, NOW - 100, "sweep started: 9 runs, max_parallel 4")
        plan = ["finished", "finished", "failed", "finished", "running", "cancelled", "running", "pending", "pending"]
        for i, ((a, s), status) in enumerate(zip(grid, plan, strict=False)):
            w.run(
                sid,
                i,
                {lr: a, seed: s},
                status,
                NOW - 100 + 8 * i,
                fail_step="prepare_dataset" if status == "failed" else None,
                running_step="wait_for_training" if status in ("running", "cancelled") else None,
                progress=(3 + i % 5, 10),
            )

        if big:
            n_lr = 10
            values = [round(1e-5 * (1.6**k), 8) for k in range(n_lr)]
            seeds = -(-big // n_lr)
            sid = w.sweep(
                "big-sweep",
                "lr-seeds",
                LR_SEEDS_YAML,
                big_status,
                big,
                created=NOW - 600,
                started=NOW - 590,
                live=big_status == "running",
                max_parallel=50,
            )
            for i in range(big):
                params = {lr: values[i % n_lr], seed: i // n_lr % seeds}
                if big_status != "running":
                    status = "finished"
                else:
                    status = "finished" if i < big * 0.3 else ("running" if i < big * 0.3 + 50 else "pending")
                w.run(
                    sid,
                    i,
                    params,
                    status,
                    NOW - 590 + i * 0.1,
                    running_step="wait_for_training",
                    events=i % 10 == 0,
                    samples=False,
                )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return store
