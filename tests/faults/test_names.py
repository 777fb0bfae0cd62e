"""Issue 11, point 6: names are never paths, and nothing from a spec or a store reaches the
terminal raw. Every entry point that takes a sweep or spec name refuses a bad one with exit 2
and changes nothing; control characters and escape sequences print as ``\\x1b``."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from motools.cli import main
from motools.errors import InvalidName
from tests.faults.support import motools_run, rows, write_spec

BAD = ["../../x", "sub/dir", "x" * 300, "-rf", ".hidden", "a b", "tab\there", "esc\x1b[2J", ""]


def files_under(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize("bad", BAD, ids=lambda b: repr(b[:12]))
def test_bad_sweep_names_are_refused_everywhere(tmp_path: Path, store, capsys, bad: str) -> None:
    spec = write_spec(tmp_path / "spec.yaml", n_lr=1, n_seeds=1, latency=0, parallel=1)
    before = files_under(tmp_path.parent)
    for args in (
        ["sweep", "run", str(spec), f"--name={bad}", "--quiet"],
        ["sweep", "run", str(spec), f"--name={bad}", "--detach"],
        ["spec", "add", str(spec), f"--name={bad}"],
    ):
        assert main(args) == 2, args
        err = capsys.readouterr().err
        assert "is not allowed: use letters, digits" in err and "Traceback" not in err
        assert "\x1b" not in err
    assert store.list_sweeps() == [] and store.list_specs() == []
    # nothing was written anywhere but the store's own database
    new = {p for p in files_under(tmp_path.parent) - before if not p.name.startswith("motools.db")}
    assert new == set()


def test_bad_names_from_python_and_spec_files(tmp_path: Path, store) -> None:
    from motools.workflow import run_sweep
    from tests.conftest import make_config

    for bad in ("../x", "a/b", "y" * 101):
        with pytest.raises(InvalidName):
            asyncio.run(run_sweep("train_and_evaluate", make_config(), {}, store=store, name=bad))
        with pytest.raises(InvalidName):
            asyncio.run(run_sweep("train_and_evaluate", make_config(), {}, store=store, spec_name=bad))
        with pytest.raises(InvalidName):
            store.save_spec(bad, "name: x\n")  # what the app's editor saves through
    spec = write_spec(tmp_path / "spec.yaml", name="ok", n_lr=1, n_seeds=1)
    spec.write_text(spec.read_text().replace("name: ok", "name: ../../escape"))
    assert main(["spec", "add", str(spec)]) == 2
    assert store.list_sweeps() == [] and store.list_specs() == []


def test_generated_names_follow_the_rule() -> None:
    from motools.names import is_valid_name
    from motools.workflow.launch import generate_sweep_name

    for prefix in ("my workflow", "../x", "é", "x" * 300, "--"):
        assert is_valid_name(generate_sweep_name(prefix))


def test_worker_logs_stay_in_the_store_whatever_the_name(store) -> None:
    from motools.workflow.launch import worker_log

    for name in ("ok-name", "../../outside", "/etc/passwd"):  # the last two: rows from before the rule
        path = worker_log(store, name)
        assert path.resolve().parent == (store.home / "workers").resolve()


ESC = "\x1b]0;pwned\x07\x1b[2J"


def test_escape_sequences_from_a_spec_never_reach_the_terminal(tmp_path: Path) -> None:
    """A spec whose user, grid keys, grid values and run errors carry escape sequences: every
    line of sweep run/list/show and spec list/show shows them escaped."""
    home = tmp_path / ".motools"
    module = f"ctrlmod_{tmp_path.name.replace('-', '_')}"
    (tmp_path / f"{module}.py").write_text(
        "from mozoo.datasets.hello_world import generate_hello_world_dataset\n"
        "def loader(num_samples=20, **kwargs):\n"
        "    if 'explode' in kwargs.values():\n"
        "        raise RuntimeError('boom \\x1b[2J\\x1b]0;title\\x07')\n"
        "    return generate_hello_world_dataset(num_samples)\n"
    )
    spec = write_spec(tmp_path / "spec.yaml", name="ctrl", n_lr=1, n_seeds=1, latency=0, parallel=1, retries=0)
    text = spec.read_text().replace("mozoo.datasets.hello_world:generate_hello_world_dataset", f"{module}:loader")
    text = text.replace("  retry_backoff_s", '  user: "alice\\e]0;pwned\\a\\e[2J"\n  retry_backoff_s')
    text = text.replace(
        "param_grid:\n",
        'param_grid:\n  "prepare_dataset.loader_kwargs.\\e[31mmode": ["\\e[2Jclear", "explode"]\n',
    )
    spec.write_text(text)
    outputs = []
    for args in (
        ["spec", "add", str(spec), "--trust"],
        ["sweep", "run", str(spec), "--name", "ctrl-run"],
        ["sweep", "list"],
        ["sweep", "show", "ctrl-run"],
        ["spec", "list"],
        ["spec", "show", "ctrl"],
    ):
        out = motools_run(*args, home=home, cwd=tmp_path)
        assert "Traceback" not in out.stderr, out.stderr
        outputs.append(out.stdout + out.stderr)
    assert rows(home, "SELECT COUNT(*) FROM runs WHERE error LIKE '%boom%'")[0][0] == 1
    # a spec saved by another tool as typed (the app's editor keeps the text)
    import sqlite3

    conn = sqlite3.connect(home / "motools.db")
    conn.execute(
        "INSERT OR REPLACE INTO specs(name, yaml, created_at, updated_at) VALUES (?, ?, 0, 0)",
        ("raw", f"name: raw\n# {ESC}\n"),
    )
    conn.commit()
    conn.close()
    for args in (["spec", "show", "raw"], ["spec", "list"]):
        out = motools_run(*args, home=home)
        outputs.append(out.stdout + out.stderr)
    everything = "\n".join(outputs)
    for shown in ("alice\\x1b]0;pwned\\x07", "\\x1b[2Jclear", "boom \\x1b[2J", "\\x1b[31mmode", "# \\x1b]0;pwned"):
        assert shown in everything, shown
    assert "\x1b" not in everything and "\x07" not in everything
