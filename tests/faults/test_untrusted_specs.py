"""Untrusted specs: callables outside mozoo and the trusted modules are refused before import."""

from __future__ import annotations

import textwrap
from pathlib import Path

from motools.cli import main
from motools.trust import trusted_modules
from tests.engine.test_specs import EXAMPLE

EVIL_MODULE = textwrap.dedent('''
    from pathlib import Path
    Path("imported.marker").write_text("the module ran")  # a side effect on import

    def loader(num_samples: int = 10):
        from mozoo.datasets.hello_world import generate_hello_world_dataset
        return generate_hello_world_dataset(num_samples)
''')


def write_untrusted(tmp_path: Path) -> Path:
    (tmp_path / "labmods").mkdir()
    (tmp_path / "labmods" / "__init__.py").write_text("")
    (tmp_path / "labmods" / "data.py").write_text(EVIL_MODULE)
    spec = tmp_path / "lab.yaml"
    spec.write_text(EXAMPLE.read_text()
                    .replace("mozoo.datasets.hello_world:generate_hello_world_dataset", "labmods.data:loader")
                    .replace("name: hello-world", "name: lab").replace("latency_s: 1.0", "latency_s: 0"))
    return spec


def test_untrusted_callables_are_refused_before_anything_is_imported(tmp_path: Path, store, capsys,
                                                                      monkeypatch) -> None:
    monkeypatch.syspath_prepend(str(tmp_path))
    spec = write_untrusted(tmp_path)
    assert main(["spec", "add", str(spec)]) == 2
    err = capsys.readouterr().err
    assert "untrusted modules: labmods.data:loader" in err and "--trust" in err
    assert not (tmp_path / "imported.marker").exists()
    assert store.list_specs() == [] and "labmods.data" not in trusted_modules()
    assert main(["sweep", "run", str(spec)]) == 2
    assert not (tmp_path / "imported.marker").exists() and store.list_sweeps() == []


def test_trust_flag_records_the_modules_for_good(tmp_path: Path, store, capsys, monkeypatch,
                                                 isolated_home: Path) -> None:
    monkeypatch.syspath_prepend(str(tmp_path))
    spec = write_untrusted(tmp_path)
    assert main(["spec", "add", str(spec), "--trust"]) == 0
    assert (tmp_path / "imported.marker").exists()
    assert "labmods.data" in trusted_modules()
    assert "labmods.data" in (isolated_home / "config").read_text()
    assert main(["spec", "add", str(spec), "--force"]) == 0  # trusted now: no flag needed
    assert main(["sweep", "run", str(spec), "--quiet", "--name", "lab-run"]) == 0


def test_mozoo_and_configured_modules_are_trusted(tmp_path: Path, isolated_home: Path, store) -> None:
    assert main(["spec", "add", str(EXAMPLE)]) == 0
    isolated_home.mkdir(exist_ok=True)
    (isolated_home / "config").write_text("trusted_modules:\n  - labmods\n")
    assert "labmods" in trusted_modules()
