"""Busy store: a worker writing flat out, three readers polling like the app, two processes adding
specs, for 30 s. Nobody sees "database is locked"; report the worst reader wait."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from tests.faults.support import motools_run, write_spec

DURATION_S = 30.0

READER = textwrap.dedent("""
    import json, sys, time
    from motools.store import Store
    store, until, polls, errors = Store(sys.argv[1]), time.time() + float(sys.argv[2]), 0, []
    waits, totals = {}, {}
    QUERIES = {
        "sweeps": "SELECT id, name, status, n_runs, heartbeat_at FROM sweeps ORDER BY id DESC",
        "runs": "SELECT id, idx, status, current_step, started_at, finished_at FROM runs "
                "WHERE sweep_id = (SELECT MAX(id) FROM sweeps) ORDER BY idx",
        "steps": "SELECT run_id, name, status, progress, progress_total FROM steps ORDER BY id DESC LIMIT 200",
        "events": "SELECT id, run_id, message FROM events ORDER BY id DESC LIMIT 200",
    }
    def timed(name, sql):
        # wait = until the first row is ready (where a lock would hold us); total = every row read
        t0 = time.perf_counter()
        try:
            cur = store.conn.execute(sql)
            first = cur.fetchone()
            t1 = time.perf_counter()
            rest = cur.fetchall()
        except Exception as exc:
            errors.append(repr(exc))
            return
        t2 = time.perf_counter()
        waits[name] = max(waits.get(name, 0.0), t1 - t0)
        totals[name] = max(totals.get(name, 0.0), t2 - t0)
    last = None
    while time.time() < until:
        t0 = time.perf_counter()
        try:
            version = store.data_version()
        except Exception as exc:
            errors.append(repr(exc))
        waits["data_version"] = max(waits.get("data_version", 0.0), time.perf_counter() - t0)
        if version != last:
            last = version
            for name, sql in QUERIES.items():
                timed(name, sql)
        polls += 1
        time.sleep(0.05)
    print(json.dumps({"worst": max(waits.values()), "waits": waits, "totals": totals, "polls": polls,
                      "errors": errors}))
""")

SPEC_ADDER = textwrap.dedent("""
    import json, sys, time
    from motools.store import Store
    store, until, n, errors, worst = Store(sys.argv[1]), time.time() + float(sys.argv[2]), 0, [], 0.0
    text = open(sys.argv[3]).read()
    while time.time() < until:
        t0 = time.perf_counter()
        try:
            store.save_spec(f"{sys.argv[4]}-{n % 50}", text)
            n += 1
        except Exception as exc:
            errors.append(repr(exc))
        worst = max(worst, time.perf_counter() - t0)
        time.sleep(0.02)
    print(json.dumps({"saves": n, "errors": errors, "worst": worst}))
""")


def test_busy_store_never_locks_anyone_out(tmp_path: Path) -> None:
    home = tmp_path / ".motools"
    spec = write_spec(tmp_path / "spec.yaml", n_lr=10, n_seeds=100, latency=0, parallel=100)
    assert motools_run("spec", "add", str(spec), home=home).returncode == 0
    env = {**os.environ, "MOTOOLS_HOME": str(home)}
    (tmp_path / "reader.py").write_text(READER)
    (tmp_path / "adder.py").write_text(SPEC_ADDER)
    until = time.time() + DURATION_S
    readers = [
        subprocess.Popen(
            [sys.executable, str(tmp_path / "reader.py"), str(home), str(DURATION_S)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(3)
    ]
    adders = [
        subprocess.Popen(
            [sys.executable, str(tmp_path / "adder.py"), str(home), str(DURATION_S), str(spec), f"adder{i}"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for i in range(2)
    ]
    sweeps = 0
    worker_errors = []
    while time.time() < until - 3:  # the worker: fresh 1000-config sweeps, back to back
        out = motools_run(
            "sweep", "run", "faulty", "--name", f"busy-{sweeps}", "--quiet", "--max-parallel", "100", home=home
        )
        if out.returncode != 0:
            worker_errors.append(out.stderr)
        sweeps += 1
    reads = [json.loads(p.communicate(timeout=120)[0]) for p in readers]
    adds = [json.loads(p.communicate(timeout=120)[0]) for p in adders]
    assert worker_errors == []
    assert all(r["errors"] == [] for r in reads), reads
    assert all(a["errors"] == [] for a in adds), adds
    worst = max(r["worst"] for r in reads)
    report = {
        "sweeps": sweeps,
        "reader_polls": sum(r["polls"] for r in reads),
        "worst_reader_wait_s": worst,
        "worst_reader_total_s": max(max(r["totals"].values()) for r in reads),
        "spec_saves": sum(a["saves"] for a in adds),
        "worst_save_s": max(a["worst"] for a in adds),
    }
    print("busy store:", report)
    (Path(os.environ.get("MOTOOLS_REPORT_DIR", tmp_path)) / "busy_store.json").write_text(json.dumps(report))
    assert sweeps >= 2 and all(r["polls"] > 100 for r in reads)
    assert worst < 0.1, report
