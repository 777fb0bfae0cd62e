"""Issue 11, point 1: one resolver. Every way a spec can name code is scanned before anything is
imported, attribute paths never leave the module they name, and every entry (spec add, sweep
run FILE, a saved spec, the app's import, editor and launch) holds to it.

Each hostile spec here would leave a marker file if its code ran; the tests check that it does
not exist after the refusal.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from motools.cli import main
from motools.errors import SpecError
from motools.imports import UntrustedImport, only_trusted, parse_target, resolve_import
from motools.specs import UntrustedSpecError, load_spec_text, parse_spec_text
from motools.trust import spec_callables, trusted_modules
from tests.faults.support import SPEC, motools_run

MARKER_MODULE = textwrap.dedent("""
    from pathlib import Path
    Path({marker!r}).write_text("the module ran")  # a side effect on import

    def loader(num_samples: int = 10, **kwargs):
        from mozoo.datasets.hello_world import generate_hello_world_dataset
        return generate_hello_world_dataset(num_samples)
""")


def spec_text(name: str = "hostile", **replace: str) -> str:
    text = SPEC.format(
        name=name, latency=0, lrs=[1e-5], seeds=[0], parallel=1, transient=0, permanent=0, retries=0, backoff=0
    )
    for old, new in replace.items():
        text = text.replace(old, new)
    return text


LOADER = "mozoo.datasets.hello_world:generate_hello_world_dataset"


def local_package(tmp_path: Path) -> tuple[str, Path]:
    """A package beside the spec whose import leaves a marker (a fresh name: imports are cached)."""
    package = f"labpkg_{tmp_path.name.replace('-', '_')}"
    (tmp_path / package).mkdir()
    (tmp_path / package / "__init__.py").write_text("")
    marker = tmp_path / "imported.marker"
    (tmp_path / package / "data.py").write_text(MARKER_MODULE.format(marker=str(marker)))
    return package, marker


def refused(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(list(args)) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


def test_dotted_os_system_is_refused_without_trust(tmp_path: Path, store, capsys) -> None:
    marker = tmp_path / "pwned"
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        spec_text(**{LOADER: "os.system", "{num_samples: 20}": f"{{command: 'touch {marker}'}}"}),
    )
    for args in (["spec", "add", str(spec)], ["sweep", "run", str(spec), "--quiet"]):
        err = refused(capsys, *args)
        assert "untrusted modules: os.system" in err and "--trust" in err
    assert not marker.exists()
    assert store.list_specs() == [] and store.list_sweeps() == []


def test_attribute_paths_never_leave_the_named_module(tmp_path: Path, store, capsys) -> None:
    """Walking out of a trusted module (the zoo) into what it imported is refused."""
    for target, why in (
        ("mozoo.datasets.hello_world:random.Random", "is the module 'random'"),
        ("mozoo.datasets.hello_world:Any", "comes from 'typing'"),
        ("mozoo.datasets.hello_world:__builtins__", "special attribute"),
        ("mozoo.workflows.train_and_evaluate:Workflow", "comes from 'motools.workflow.base'"),
    ):
        spec = tmp_path / "spec.yaml"
        spec.write_text(spec_text(**{LOADER: target}))
        err = refused(capsys, "spec", "add", str(spec))
        assert why in err and "prepare_dataset.dataset_loader" in err, err
    assert store.list_specs() == []
    with only_trusted(["mozoo"]), pytest.raises(ValueError, match="may not leave"):
        resolve_import("mozoo.datasets.hello_world:random.Random")


def test_motools_itself_is_not_a_source_of_spec_callables(tmp_path: Path, store, capsys) -> None:
    """motools' own functions would do whatever a spec's arguments say (its CLI's main would
    trust and run another file): a spec naming one is refused like any untrusted code."""
    payload = tmp_path / "payload.yaml"
    payload.write_text("name: payload\n")
    marker = tmp_path / "pwned"
    for target, kwargs in (
        ("motools.cli.main:main", f"{{argv: [spec, add, '{payload}', --trust]}}"),
        ("motools.fileio:write_text", f"{{path: '{marker}', text: pwned, force: true}}"),
        ("motools.secrets:os.system", f"{{command: 'touch {marker}'}}"),
    ):
        spec = tmp_path / "spec.yaml"
        spec.write_text(spec_text(**{LOADER: target, "{num_samples: 20}": kwargs}))
        err = refused(capsys, "spec", "add", str(spec))
        assert f"untrusted modules: {target}" in err, err
    assert not marker.exists() and store.list_specs() == []


def test_a_local_package_in_dotted_form_is_not_imported(tmp_path: Path, store, capsys, monkeypatch) -> None:
    monkeypatch.syspath_prepend(str(tmp_path))
    package, marker = local_package(tmp_path)
    spec = tmp_path / "spec.yaml"
    spec.write_text(spec_text(**{LOADER: f"{package}.data.loader"}))
    err = refused(capsys, "spec", "add", str(spec))
    assert f"untrusted modules: {package}.data.loader" in err
    assert not marker.exists() and store.list_specs() == []
    assert main(["spec", "add", str(spec), "--trust"]) == 0  # the user checked it: now it may run
    assert marker.exists() and f"{package}.data" in trusted_modules()


@pytest.mark.parametrize(
    "where",
    ["loader_kwargs", "task_args", "param_grid", "workflow"],
)
def test_callables_anywhere_in_the_spec_are_scanned(tmp_path: Path, store, capsys, monkeypatch, where: str) -> None:
    """Loader and task arguments that name callables, grid values and the workflow are scanned too."""
    monkeypatch.syspath_prepend(str(tmp_path))
    package, marker = local_package(tmp_path)
    target = f"{package}.data:loader"
    if where == "loader_kwargs":
        text = spec_text(**{"{num_samples: 20}": f"{{num_samples: 20, helper: '{target}'}}"})
    elif where == "task_args":
        task_args = f"    backend_name: dummy\n    task_args: {{scorer: '{target}'}}\nparam_grid"
        text = spec_text(**{"    backend_name: dummy\nparam_grid": task_args})
    elif where == "param_grid":
        text = spec_text().replace(
            "param_grid:\n", f"param_grid:\n  prepare_dataset.dataset_loader: ['{LOADER}', '{target}']\n"
        )
    else:
        text = f"workflow: {target}\n" + spec_text()
    spec = tmp_path / "spec.yaml"
    spec.write_text(text)
    assert spec_callables(__import__("yaml").safe_load(text)).count(target) == 1
    err = refused(capsys, "spec", "add", str(spec))
    assert f"untrusted modules: {target}" in err
    assert not marker.exists()


def test_the_resolver_refuses_untrusted_modules_under_the_guard(tmp_path: Path, monkeypatch) -> None:
    """The backstop: even a string no scan listed cannot be imported while a spec resolves."""
    monkeypatch.syspath_prepend(str(tmp_path))
    package, marker = local_package(tmp_path)
    with only_trusted(["motools", "mozoo"]), pytest.raises(UntrustedImport):
        resolve_import(f"{package}.data:loader")
    assert not marker.exists()
    with only_trusted(["motools", "mozoo"]):
        assert callable(resolve_import(LOADER))


def test_one_parser_for_scan_and_import() -> None:
    assert parse_target("os.system").module == "os"
    assert parse_target("a.b:c.d").attrs == ("c", "d")
    for not_code in ("meta-llama/Llama-3.2-1B", "1e-4", "hello world", "a:b:c", "", "x" * 400, "a.", ":b"):
        assert parse_target(not_code) is None
    assert spec_callables({"base_config": {"path": "results.csv", "f": "os.path.join", "g": "x:y"}}) == [
        "os.path.join",
        "x:y",
    ]


def test_the_apps_editor_and_launch_paths_refuse_untrusted_code(tmp_path: Path, store, monkeypatch) -> None:
    """The app validates editor text with parse_spec_text and launches saved specs through
    record_sweep: both are held to the trusted modules even if the text was saved unchecked."""
    from motools.workflow.launch import record_sweep

    monkeypatch.syspath_prepend(str(tmp_path))
    package, marker = local_package(tmp_path)
    text = spec_text(**{LOADER: f"{package}.data:loader"})
    with pytest.raises(UntrustedSpecError) as info:
        parse_spec_text(text)  # the editor's validation
    assert info.value.callables == [f"{package}.data:loader"]
    store.save_spec("hostile", text)  # as if saved by an editor that did not check
    spec = parse_spec_text(text, resolve=False)
    with pytest.raises(UntrustedSpecError):
        record_sweep(spec, name="launched", store=store)  # the app's launch
    assert main(["sweep", "run", "hostile", "--quiet"]) == 2  # the CLI by saved name
    assert not marker.exists() and store.list_sweeps() == []
    spec = load_spec_text(text, trust=True)  # the app's confirmation
    assert marker.exists() and spec.name == "hostile"


def test_the_cli_in_a_fresh_process_refuses_before_import(tmp_path: Path) -> None:
    """Through the real entry point, with the package importable from the working folder."""
    package, marker = local_package(tmp_path)
    spec = tmp_path / "spec.yaml"
    spec.write_text(spec_text(**{LOADER: f"{package}.data.loader"}))
    out = motools_run("spec", "add", str(spec), home=tmp_path / ".motools", cwd=tmp_path)
    assert out.returncode == 2 and "untrusted modules" in out.stderr and "Traceback" not in out.stderr
    assert not marker.exists()


def test_python_callers_resolve_their_own_code_freely() -> None:
    """run_sweep with the caller's own loader needs no trust: the spec comes from their code."""
    from motools.specs import SweepSpec
    from tests.conftest import make_config

    spec = SweepSpec(name="py", base_config=make_config().model_dump(mode="json"))
    assert spec.resolve().plans
    with pytest.raises(SpecError):
        parse_spec_text(spec.to_yaml())  # the same document as text names tests.engine.helpers
