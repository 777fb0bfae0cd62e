"""Issue 11, point 4: limits act before expansion. Each hostile spec of the probe is refused with
exit 2, a message naming the limit and how to raise it, no traceback, and nothing saved.

The figures (time and memory to refuse each) are measured by ``bench/bench_hostile.py``; here a
generous address-space limit on the subprocess makes "it did not blow up" a checked fact.
"""

from __future__ import annotations

import asyncio
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from motools.cli import main
from motools.errors import SpecError
from motools.limits import LIMITS, check_yaml_text
from motools.yamlio import YamlLimitError, YamlSyntaxError, load_yaml
from tests.faults.support import SPEC

MEMORY_CAP = 1_500_000_000  # the alias bomb alone took more than this before the limits


def base_text(name: str = "hostile", lrs: str = "[1e-5]") -> str:
    return SPEC.format(
        name=name, latency=0, lrs=lrs, seeds=[0], parallel=1, transient=0, permanent=0, retries=0, backoff=0
    )


def alias_bomb() -> str:
    """The probe's bomb: nine levels of nine aliases under loader_kwargs (831 bytes)."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    prev = "a"
    for n in "bcdefghi":
        lines.append(f"{n}: &{n} [{','.join(['*' + prev] * 9)}]")
        prev = n
    bomb = "\n".join("      " + line for line in lines)
    return base_text().replace("loader_kwargs: {num_samples: 20}", "loader_kwargs:\n" + bomb)


def deep(n: int) -> str:
    return base_text().replace("{num_samples: 20}", "{num_samples: 20, x: " + "[" * n + "1" + "]" * n + "}")


HOSTILE = {
    "alias bomb": (alias_bomb, "yaml_nodes"),
    "ten million configs": (
        lambda: base_text(lrs="[" + ", ".join(f"{i + 1}e-6" for i in range(10)) + "]").replace(
            "param_grid:\n",
            "param_grid:\n"
            + "".join(f"  prepare_dataset.loader_kwargs.k{j}: [0,1,2,3,4,5,6,7,8,9]\n" for j in range(6)),
        ),
        "grid_configs",
    ),
    "500-deep nesting": (lambda: deep(500), "yaml_depth"),
    "a 100,000-character string": (
        lambda: base_text().replace("{num_samples: 20}", "{num_samples: 20, note: '" + "x" * 100_000 + "'}"),
        "string_chars",
    ),
    "a 2 MB file": (lambda: base_text() + "# " + "x" * 2_000_000 + "\n", "spec_bytes"),
}


def capped(limit: int):
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return apply


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_specs_are_refused_naming_the_limit(tmp_path: Path, case: str) -> None:
    make, limit = HOSTILE[case]
    spec = tmp_path / "hostile.yaml"
    spec.write_text(make())
    home = tmp_path / ".motools"
    env = {**os.environ, "MOTOOLS_HOME": str(home)}
    for args in (["spec", "add", str(spec)], ["sweep", "run", str(spec), "--quiet"]):
        out = subprocess.run(
            [sys.executable, "-m", "motools.cli", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            preexec_fn=capped(MEMORY_CAP),
        )
        assert out.returncode == 2, out.stderr[-2000:]
        assert "Traceback" not in out.stderr and "MemoryError" not in out.stderr
        assert f"({limit} = " in out.stderr and LIMITS[limit].env in out.stderr, out.stderr[-2000:]
        assert str(spec) in out.stderr
    if (home / "motools.db").exists():
        import sqlite3

        conn = sqlite3.connect(home / "motools.db")
        assert conn.execute("SELECT COUNT(*) FROM specs").fetchone()[0] == 0
        assert conn.execute("SELECT COUNT(*) FROM sweeps").fetchone()[0] == 0
        conn.close()


def test_non_finite_numbers_are_refused_with_their_path(tmp_path: Path, store, capsys) -> None:
    for value, path in (
        (".inf", "base_config.submit_training.latency_s"),
        (".nan", "base_config.submit_training.latency_s"),
        ("-.inf", "base_config.submit_training.latency_s"),
    ):
        spec = tmp_path / "spec.yaml"
        spec.write_text(base_text().replace("latency_s: 0", f"latency_s: {value}"))
        assert main(["spec", "add", str(spec)]) == 2
        err = capsys.readouterr().err
        assert f"{path} (line" in err and "finite number" in err
    spec.write_text(base_text(lrs="[1e-5, .nan]"))
    assert main(["spec", "add", str(spec)]) == 2
    assert "param_grid.submit_training.hyperparameters.learning_rate.1" in capsys.readouterr().err
    assert store.list_specs() == []


def test_limits_can_be_raised_by_environment_or_config(tmp_path: Path, store, capsys, monkeypatch) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(base_text(lrs="[1e-6, 2e-6, 3e-6]"))
    monkeypatch.setenv("MOTOOLS_LIMIT_GRID_CONFIGS", "2")
    assert main(["spec", "add", str(spec)]) == 2
    assert "the grid has 3 configs (3 × 1)" in capsys.readouterr().err
    monkeypatch.delenv("MOTOOLS_LIMIT_GRID_CONFIGS")
    (store.home / "config").write_text("limits:\n  grid_configs: 2\n")
    assert main(["spec", "add", str(spec)]) == 2
    capsys.readouterr()
    (store.home / "config").write_text("limits:\n  grid_configs: 3\n")
    assert main(["spec", "add", str(spec)]) == 0


def test_a_python_grid_is_sized_before_it_is_expanded(store) -> None:
    """run_sweep with ten million grid points is refused at once (nothing is expanded)."""
    from motools.workflow import run_sweep
    from tests.conftest import make_config

    grid = {f"prepare_dataset.loader_kwargs.k{j}": list(range(10)) for j in range(7)}
    with pytest.raises(SpecError, match="grid_configs"):
        asyncio.run(run_sweep("train_and_evaluate", make_config(), grid, store=store, name="huge"))
    nan_grid = {"submit_training.latency_s": [0.0, float("nan")]}
    with pytest.raises(SpecError, match=r"param_grid\.submit_training\.latency_s\.1: expected a finite number"):
        asyncio.run(run_sweep("train_and_evaluate", make_config(), nan_grid, store=store, name="nan"))
    assert store.list_sweeps() == []


def test_recursive_aliases_and_deep_python_values_do_not_crash() -> None:
    with pytest.raises(YamlLimitError, match="recursive alias"):
        load_yaml("a: &a [1, *a]")
    with pytest.raises(YamlSyntaxError):
        load_yaml("[" * 100_000)  # deeper than any parser stack: refused, never a RecursionError
    check_yaml_text("a: [1, 2, {b: c}]")  # a normal document passes
