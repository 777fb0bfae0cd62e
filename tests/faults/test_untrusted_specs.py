"""Untrusted specs: callables outside mozoo and the trusted modules are refused before import."""

from __future__ import annotations

import textwrap
from pathlib import Path

from motools.cli import main
from motools.trust import trusted_modules
from tests.engine.test_specs import EXAMPLE

EVIL_MODULE = textwrap.dedent("""
    from pathlib import Path
    Path("imported.marker").write_text("the module ran")  # a side effect on import

    def loader(num_samples: int = 10):
        from mozoo.datasets.hello_world import generate_hello_world_dataset
        return generate_hello_world_dataset(num_samples)
""")


def write_untrusted(tmp_path: Path) -> Path:
    """A spec whose loader lives in a fresh module (a new name per test: imports are cached)."""
    package = f"labmods_{tmp_path.name.replace('-', '_')}"
    (tmp_path / package).mkdir()
    (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / package / "data.py").write_text(EVIL_MODULE)
    spec = tmp_path / "lab.yaml"
    spec.write_text(
        EXAMPLE.read_text()
        .replace("mozoo.datasets.hello_world:generate_hello_world_dataset", f"{package}.data:loader")
        .replace("name: hello-world", "name: lab")
        .replace("latency_s: 1.0", "latency_s: 0")
    )
    return spec


def test_untrusted_callables_are_refused_before_anything_is_imported(
    tmp_path: Path, store, capsys, monkeypatch
) -> None:
    monkeypatch.syspath_prepend(str(tmp_path))
    spec = write_untrusted(tmp_path)
    assert main(["spec", "add", str(spec)]) == 2
    err = capsys.readouterr().err
    package = spec.read_text().split("dataset_loader: ")[1].split(".data:")[0]
    assert f"untrusted modules: {package}.data:loader" in err and "--trust" in err
    assert not (tmp_path / "imported.marker").exists()
    assert store.list_specs() == [] and f"{package}.data" not in trusted_modules()
    assert main(["sweep", "run", str(spec)]) == 2
    assert not (tmp_path / "imported.marker").exists() and store.list_sweeps() == []


def test_trust_flag_records_the_modules_for_good(
    tmp_path: Path, store, capsys, monkeypatch, isolated_home: Path
) -> None:
    monkeypatch.syspath_prepend(str(tmp_path))
    spec = write_untrusted(tmp_path)
    package = spec.read_text().split("dataset_loader: ")[1].split(".data:")[0]
    assert main(["spec", "add", str(spec), "--trust"]) == 0
    assert (tmp_path / "imported.marker").exists()
    assert f"{package}.data" in trusted_modules()
    assert f"{package}.data" in (isolated_home / "config").read_text()
    assert main(["spec", "add", str(spec), "--force"]) == 0  # trusted now: no flag needed
    assert main(["sweep", "run", str(spec), "--quiet", "--name", "lab-run"]) == 0


def test_mozoo_and_configured_modules_are_trusted(tmp_path: Path, isolated_home: Path, store) -> None:
    assert main(["spec", "add", str(EXAMPLE)]) == 0
    isolated_home.mkdir(exist_ok=True)
    (isolated_home / "config").write_text("trusted_modules:\n  - labmods\n")
    assert "labmods" in trusted_modules()


def test_the_app_asks_before_importing_untrusted_code(tmp_path: Path, store, monkeypatch) -> None:
    import pytest

    from motools.specs import UntrustedSpecError
    from motools_tui.core.actions import import_spec

    monkeypatch.syspath_prepend(str(tmp_path))
    spec = write_untrusted(tmp_path)
    with pytest.raises(UntrustedSpecError) as info:  # the app asks, listing these
        import_spec(store, spec)
    package = spec.read_text().split("dataset_loader: ")[1].split(".data:")[0]
    assert info.value.callables == [f"{package}.data:loader"]
    assert not (tmp_path / "imported.marker").exists() and store.list_specs() == []
    assert import_spec(store, spec, trust=True) == ("lab", False)  # the user confirmed
    assert (tmp_path / "imported.marker").exists() and f"{package}.data" in trusted_modules()
