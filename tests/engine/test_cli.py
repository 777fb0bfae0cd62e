"""The motools command line: specs, sweeps, exit statuses, and errors without tracebacks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from motools.cli import main
from tests.engine.test_specs import EXAMPLE, GOOD


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "motools.cli", *args], capture_output=True, text=True, timeout=120)


def test_spec_add_list_show_delete(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["spec", "add", str(EXAMPLE)]) == 0
    assert "saved spec 'hello-world' (3 configs)" in capsys.readouterr().out
    assert main(["spec", "add", str(EXAMPLE)]) == 2
    assert "already saved; use --force" in capsys.readouterr().err
    assert main(["spec", "add", str(EXAMPLE), "--name", "copy"]) == 0
    capsys.readouterr()
    assert main(["spec", "list"]) == 0
    out = capsys.readouterr().out
    assert "hello-world  train_and_evaluate  3" in out and "never run" in out and "copy" in out
    assert main(["spec", "show", "hello-world"]) == 0
    assert "submit_training.hyperparameters.learning_rate" in capsys.readouterr().out
    assert main(["spec", "delete", "copy"]) == 0
    assert main(["spec", "show", "copy"]) == 2
    assert "no saved spec named 'copy'" in capsys.readouterr().err


def test_bad_spec_is_refused_with_exit_2_no_traceback_and_no_change(tmp_path: Path, store) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(GOOD.replace("hello_world:hello_world", "hello_world:nope").replace("name: good", "name: bad"))
    before = store.db_path.read_bytes()
    out = cli("spec", "add", str(bad))
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    assert f"{bad}: invalid sweep spec" in out.stderr and "base_config.evaluate_model.eval_task" in out.stderr
    assert "(line 11)" in out.stderr
    assert store.list_specs() == [] and store.db_path.read_bytes() == before
    out = cli("sweep", "run", str(bad))
    assert out.returncode == 2 and "Traceback" not in out.stderr and store.list_sweeps() == []


def test_sweep_run_prints_progress_lines_and_a_results_table(store) -> None:
    out = cli("sweep", "run", str(EXAMPLE), "--name", "demo", "--max-parallel", "2")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert sum(1 for line in lines if " ok " in line and "learning_rate=" in line) == 3
    assert any(line.startswith("#  learning_rate  status") for line in lines)
    assert "sweep demo: finished (3 finished, 0 failed)" in out.stdout
    assert store.get_sweep("demo")["max_parallel"] == 2


def test_sweep_run_by_saved_name_list_and_show(store, capsys) -> None:
    main(["spec", "add", str(EXAMPLE)])
    assert main(["sweep", "run", "hello-world", "--name", "by-name", "--quiet"]) == 0
    capsys.readouterr()
    assert main(["sweep", "list"]) == 0
    out = capsys.readouterr().out
    assert "by-name" in out and "finished" in out and "3/3" in out
    assert main(["sweep", "show", "by-name"]) == 0
    out = capsys.readouterr().out
    assert "status:   finished" in out and "accuracy" in out and "0.0001" in out
    assert main(["sweep", "show", "nope"]) == 2
    assert "no sweep named 'nope'" in capsys.readouterr().err
    assert main(["sweep", "run", "not-a-spec"]) == 2
    assert "neither a spec file nor a saved spec" in capsys.readouterr().err


def test_exit_status_is_1_when_some_runs_fail(tmp_path: Path, counting, capsys) -> None:
    _, evaluation = counting
    evaluation.fail_when = {"learning_rate": 5e-5}
    spec = tmp_path / "failing.yaml"
    spec.write_text(
        EXAMPLE.read_text()
        .replace("backend_name: dummy", "backend_name: counting")
        .replace("backend_name: inspect", "backend_name: counting")
        .replace("latency_s: 1.0", "latency_s: 0")
    )
    assert main(["sweep", "run", str(spec), "--name", "f"]) == 1
    out = capsys.readouterr().out
    assert "FAILED learning_rate=5e-5" in out and "evaluation exploded" in out
    assert "resume with: motools sweep resume f" in out


def test_usage_errors_exit_2(capsys) -> None:
    with pytest.raises(SystemExit) as info:
        main(["sweep", "frobnicate"])
    assert info.value.code == 2
    assert main(["sweep", "run", str(EXAMPLE), "--max-parallel", "0"]) == 2
    assert "--max-parallel must be at least 1" in capsys.readouterr().err
