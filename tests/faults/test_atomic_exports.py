"""Issue 11, point 7: exports are atomic, never overwrite without --force, never write through a
symbolic link, and a failed write keeps the old file and says why without a traceback.

The full disk is real: the export runs with ``RLIMIT_FSIZE`` below the size of the CSV (SIGXFSZ
ignored, so the write fails with EFBIG as on a full disk)."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.faults.support import motools_run, write_spec

OLD = "run,accuracy\nthe results of last week's sweep,0.93\n"


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished 100-run sweep named 'done' (its samples CSV is about 47 KB)."""
    folder = tmp_path_factory.mktemp("exports")
    spec = write_spec(folder / "spec.yaml", name="done", n_lr=4, n_seeds=25, latency=0, parallel=20)
    home = folder / ".motools"
    out = motools_run("sweep", "run", str(spec), "--name", "done", "--quiet", home=home, cwd=folder)
    assert out.returncode == 0, out.stderr
    return home


def export(home: Path, *args: str, fsize: int | None = None, cwd: Path) -> subprocess.CompletedProcess:
    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))

    return subprocess.run(
        [sys.executable, "-m", "motools.cli", "sweep", "export", "done", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "MOTOOLS_HOME": str(home)},
        cwd=cwd,
        timeout=300,
        preexec_fn=limit if fsize else None,
    )


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_a_full_disk_keeps_the_old_file(finished: Path, tmp_path: Path) -> None:
    target = tmp_path / "results.csv"
    target.write_text(OLD)
    out = export(finished, "--samples", str(target), "--force", fsize=40_000, cwd=tmp_path)
    assert out.returncode == 2, out.stderr
    assert "could not be written (File too large)" in out.stderr and "earlier file is unchanged" in out.stderr
    assert str(target) in out.stderr and "Traceback" not in out.stderr
    assert target.read_text() == OLD
    assert leftovers(tmp_path) == []
    ok = export(finished, "--samples", str(target), "--force", cwd=tmp_path)  # space is back
    assert ok.returncode == 0, ok.stderr
    assert target.read_text().startswith("learning_rate,seed,")
    assert len(target.read_text().splitlines()) == 1001  # 100 runs x 10 samples, and the header


def test_no_overwrite_without_force(finished: Path, tmp_path: Path) -> None:
    target = tmp_path / "results.csv"
    target.write_text(OLD)
    out = export(finished, "--csv", str(target), cwd=tmp_path)
    assert out.returncode == 2 and "already exists; pass --force" in out.stderr
    assert target.read_text() == OLD and leftovers(tmp_path) == []


def test_never_through_a_symbolic_link(finished: Path, tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    link = tmp_path / "results.csv"
    link.symlink_to(victim)
    dangling = tmp_path / "dangling.csv"
    dangling.symlink_to(tmp_path / "nowhere" / "x.csv")
    for target in (link, dangling):
        for force in ([], ["--force"]):
            out = export(finished, "--csv", str(target), *force, cwd=tmp_path)
            assert out.returncode == 2, out.stderr
            assert "is a symbolic link" in out.stderr and "Traceback" not in out.stderr
    assert victim.read_text() == "precious" and link.is_symlink() and dangling.is_symlink()
    assert not (tmp_path / "nowhere").exists() and leftovers(tmp_path) == []


@pytest.mark.parametrize("target", ["/dev/full", "/dev/null", "."])
def test_devices_and_folders_are_refused(finished: Path, tmp_path: Path, target: str) -> None:
    out = export(finished, "--csv", target, "--force", cwd=tmp_path)
    assert out.returncode == 2 and "Traceback" not in out.stderr, out.stderr
    assert "not a regular file" in out.stderr or "is a directory" in out.stderr or "not a file name" in out.stderr


def test_charts_and_ci_tables_too(finished: Path, tmp_path: Path) -> None:
    """In this process: the file-size limit lowered around the write only (the store is read first)."""
    from motools.analysis.export import export_chart, export_ci_csv
    from motools.errors import MotoolsError
    from motools.store import Store

    store = Store(finished)
    store.read.sweep("done")  # the store's files are open before the limit
    chart, ci = tmp_path / "chart.png", tmp_path / "ci.csv"
    chart.write_bytes(b"old chart")
    ci.write_text(OLD)
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    try:
        resource.setrlimit(resource.RLIMIT_FSIZE, (20, hard))
        with pytest.raises(MotoolsError, match="could not be written"):
            export_chart("done", chart, "learning_rate", store=store, force=True)
        with pytest.raises(MotoolsError, match="could not be written"):
            export_ci_csv("done", ci, ["learning_rate"], store=store, force=True)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)
    assert chart.read_bytes() == b"old chart" and ci.read_text() == OLD and leftovers(tmp_path) == []
    export_chart("done", chart, "learning_rate", store=store, force=True)
    assert chart.read_bytes().startswith(b"\x89PNG")
    store.close()


def test_the_spec_output_is_checked_before_the_sweep_runs(tmp_path: Path) -> None:
    """An output path that could not be written at the end is refused before any run starts."""
    home = tmp_path / ".motools"
    victim = tmp_path / "victim.csv"
    victim.write_text("precious")
    (tmp_path / "link.csv").symlink_to(victim)
    (tmp_path / "old.csv").write_text(OLD)
    for target, why in (("link.csv", "symbolic link"), ("old.csv", "already exists")):
        spec = write_spec(tmp_path / "spec.yaml", name="out", n_lr=1, n_seeds=1, latency=0)
        spec.write_text(spec.read_text() + f"output:\n  results_path: {tmp_path / target}\n")
        for force in ([], ["--force"]) if why == "symbolic link" else ([],):
            out = motools_run("sweep", "run", str(spec), "--quiet", *force, home=home, cwd=tmp_path)
            assert out.returncode == 2 and why in out.stderr and "Traceback" not in out.stderr, out.stderr
    assert victim.read_text() == "precious" and (tmp_path / "old.csv").read_text() == OLD
    assert not (home / "motools.db").exists() or "out" not in motools_run("sweep", "list", home=home).stdout
