"""Refusing hostile specs (issue 11): time and memory to refuse each reproduction of the probe.

Run: .venv/bin/python bench/bench_hostile.py

Each case runs in a fresh process twice: once calling ``motools.specs.load_spec`` after the
engine is imported (the cost of the refusal itself: wall time, growth of peak RSS, and the
peak of Python allocations), and once as ``motools spec add FILE`` end to end (interpreter
start and imports included). Target: every refusal under 1 s and 100 MB.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
BASE = """\
name: hostile
base_config:
  prepare_dataset:
    dataset_loader: mozoo.datasets.hello_world:generate_hello_world_dataset
    loader_kwargs: {num_samples: 20}
  submit_training:
    model: meta-llama/Llama-3.2-1B
    backend_name: dummy
  evaluate_model:
    eval_task: mozoo.tasks.hello_world:hello_world
    backend_name: dummy
param_grid:
  submit_training.hyperparameters.learning_rate: [1e-5]
"""


def alias_bomb() -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    prev = "a"
    for n in "bcdefghi":
        lines.append(f"{n}: &{n} [{','.join(['*' + prev] * 9)}]")
        prev = n
    return BASE.replace("loader_kwargs: {num_samples: 20}", "loader_kwargs:\n" + "\n".join("      " + x for x in lines))


def grid(n_keys: int, n_values: int) -> str:
    keys = "".join(
        f"  prepare_dataset.loader_kwargs.k{j}: [{', '.join(str(v) for v in range(n_values))}]\n" for j in range(n_keys)
    )
    return BASE.replace("param_grid:\n", "param_grid:\n" + keys)


CASES = {
    "alias bomb, 9 levels of 9 (831 bytes)": alias_bomb,
    "grid of 10^7 configs (7 lists of 10)": lambda: grid(7, 10),
    "grid of 100,001 configs": lambda: BASE.replace(
        "[1e-5]", "[" + ", ".join(f"{i + 1}e-9" for i in range(100_001)) + "]"
    ),
    "500-deep nesting": lambda: BASE.replace(
        "{num_samples: 20}", "{num_samples: 20, x: " + "[" * 500 + "]" * 500 + "}"
    ),
    "100,000-deep nesting": lambda: BASE.replace("{num_samples: 20}", "{x: " + "[" * 100_000 + "]" * 100_000 + "}"),
    ".inf and .nan": lambda: BASE.replace(
        "backend_name: dummy\n  evaluate", "backend_name: dummy\n    latency_s: .inf\n  evaluate"
    ),
    "a 900,000-character string": lambda: BASE.replace(
        "{num_samples: 20}", "{num_samples: 20, s: '" + "x" * 900_000 + "'}"
    ),
    "a 5 MB file": lambda: BASE + "#" + "x" * 5_000_000 + "\n",
    "19,900 values in loader_kwargs (just under the limits)": lambda: BASE.replace(
        "{num_samples: 20}", "{num_samples: 20, x: [" + "1," * 19_900 + "1]}"
    ),
    "os.system with a command (untrusted)": lambda: BASE.replace(
        "mozoo.datasets.hello_world:generate_hello_world_dataset", "os.system"
    ).replace("{num_samples: 20}", "{command: 'touch /tmp/pwned'}"),
    "an API key in loader_kwargs": lambda: BASE.replace(
        "{num_samples: 20}", "{num_samples: 20, api_key: sk-proj-Q3v9xL0aB7mN2pR5tW8yZ1cD4fG6hJ}"
    ),
}

PROBE = """
import json, resource, sys, time, tracemalloc
from motools.errors import SpecError
from motools.specs import load_spec
from motools.store import open_store
open_store()
import mozoo.workflows.train_and_evaluate, mozoo.tasks.hello_world  # warm: engine, zoo, Inspect loaded
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
if sys.argv[2] == "trace":
    tracemalloc.start()
t0 = time.perf_counter()
try:
    load_spec(sys.argv[1])
    outcome = "accepted"
except SpecError as exc:
    outcome = exc.problems[0].message[:70]
elapsed = time.perf_counter() - t0
peak_py = tracemalloc.get_traced_memory()[1] if sys.argv[2] == "trace" else 0
grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base
print(json.dumps({"s": elapsed, "rss_grown_kb": grown, "py_peak": peak_py, "outcome": outcome}))
"""


def probe(path: Path, home: Path, mode: str) -> dict | None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(path), mode],
        capture_output=True,
        text=True,
        env={**os.environ, "MOTOOLS_HOME": str(home), "PYTHONPATH": str(HERE)},
        cwd=home.parent,
    )
    if out.returncode != 0:
        print(out.stderr[-2000:], file=sys.stderr)
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])


def end_to_end(path: Path, home: Path) -> tuple[float, int, int]:
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "motools.cli", "spec", "add", str(path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "MOTOOLS_HOME": str(home), "PYTHONPATH": str(HERE)},
        cwd=home.parent,
    )
    _pid, status, usage = os.wait4(proc.pid, 0)
    return time.perf_counter() - t0, usage.ru_maxrss, os.waitstatus_to_exitcode(status)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        home = folder / ".motools"
        bare = end_to_end(folder / "missing.yaml", home)  # the cost of the process alone
        print(f"motools spec add (missing file): {bare[0]:.2f} s, max RSS {bare[1] / 1024:.0f} MB\n")
        print("| case | size | refusal: time | peak RSS growth | Python peak | end to end | refused with |")
        print("| --- | --- | --- | --- | --- | --- | --- |")
        for label, make in CASES.items():
            path = folder / "hostile.yaml"
            path.write_text(make())
            r = probe(path, home, "time")
            if r is None:
                print(f"| {label} | probe failed |")
                continue
            r["py_peak"] = (probe(path, home, "trace") or {}).get("py_peak", 0)
            e2e = end_to_end(path, home)
            size = path.stat().st_size
            print(
                f"| {label} | {size:,} B | {r['s'] * 1000:.0f} ms | {r['rss_grown_kb'] / 1024:.1f} MB | "
                f"{r['py_peak'] / 1e6:.1f} MB | {e2e[0]:.2f} s, {e2e[1] / 1024:.0f} MB, exit {e2e[2]} | "
                f"{r['outcome']} |"
            )


if __name__ == "__main__":
    main()
