"""Issue 11, point 8: damaged stores. Every command on a damaged or foreign file exits 2 with a
message naming the file and the way out; ``motools store check`` reports, ``motools store
recover FILE`` salvages what SQLite can read into a new store and keeps the damaged file; a
0-byte database beside atoms is damaged, not new; a backup is taken before every migration;
a deleted write-ahead log under a running worker is explained.

Real files throughout: bytes overwritten in the database, a file truncated to 0 bytes, the
-wal file deleted while a worker writes to it.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.faults.support import motools_popen, motools_run, rows, wait_for, write_spec

COMMANDS = (["sweep", "list"], ["sweep", "show", "done"], ["sweep", "resume", "done"], ["spec", "list"])


def finished_store(folder: Path, n_seeds: int = 10) -> Path:
    spec = write_spec(folder / "spec.yaml", name="done", n_lr=4, n_seeds=n_seeds, latency=0, parallel=20)
    home = folder / ".motools"
    out = motools_run("sweep", "run", str(spec), "--name", "done", "--quiet", home=home, cwd=folder)
    assert out.returncode == 0, out.stderr
    assert not (home / "motools.db-wal").exists()  # the last connection checkpointed and closed
    return home


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assert_refused_with_the_way_out(out: subprocess.CompletedProcess, db: Path) -> None:
    assert out.returncode == 2, (out.returncode, out.stdout[-500:], out.stderr[-2000:])
    assert "Traceback" not in out.stderr, out.stderr
    assert str(db) in out.stderr and "motools store check" in out.stderr and "motools store recover" in out.stderr


def page_of(db: Path, table: str) -> int:
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0])
    finally:
        conn.close()


def overwrite(db: Path, offset: int, length: int) -> None:
    with open(db, "r+b") as fh:
        fh.seek(offset)
        fh.write(bytes((i * 37 + 11) % 256 for i in range(length)))


def test_garbage_in_the_middle_of_the_file(tmp_path: Path) -> None:
    home = finished_store(tmp_path)
    db = home / "motools.db"
    size = db.stat().st_size
    overwrite(db, size // 2 - size // 2 % 4096, 3 * 4096)  # three pages in the middle
    overwrite(db, (page_of(db, "sweeps") - 1) * 4096, 4096)  # and the sweeps table itself
    damaged = digest(db)
    for args in COMMANDS:
        out = motools_run(*args, home=home)
        if args[0] == "sweep":  # reads the sweeps table
            assert_refused_with_the_way_out(out, db)
        else:  # the specs table is whole: spec list still works, or says the same
            assert out.returncode == 0 or "motools store recover" in out.stderr, out.stderr
    check = motools_run("store", "check", home=home)
    assert check.returncode == 2 and "DAMAGED" in check.stdout and f"motools store recover {db}" in check.stdout
    assert digest(db) == damaged  # checking changed nothing

    out = motools_run("store", "recover", str(db), home=home)
    assert out.returncode == 0, out.stderr
    (kept,) = [p for p in (home / "damaged").glob("motools.db.*") if not p.name.endswith(("-wal", "-shm"))]
    assert digest(kept) == damaged  # the damaged file is kept as it was
    assert "copied:" in out.stdout and "kept:" in out.stdout
    again = motools_run("store", "check", home=home)
    assert again.returncode == 0 and "integrity: ok" in again.stdout, again.stdout
    for args in (["sweep", "list"], ["spec", "list"]):
        assert motools_run(*args, home=home).returncode == 0
    n_atoms = rows(home, "SELECT COUNT(*) FROM atoms")[0][0]
    assert n_atoms > 0  # what could be read is back


def test_salvage_keeps_readable_sweeps(tmp_path: Path) -> None:
    """Damage in the events table only: the sweep, its runs and results come back whole."""
    home = finished_store(tmp_path, n_seeds=25)
    db = home / "motools.db"
    before = rows(home, "SELECT idx, status, config_hash FROM runs ORDER BY idx")
    conn = sqlite3.connect(db)
    events_pages = [r[0] for r in conn.execute("SELECT pageno FROM dbstat WHERE name = 'events' AND pagetype = 'leaf'")]
    conn.close()
    for page in events_pages[len(events_pages) // 2 :][:3]:
        overwrite(db, (page - 1) * 4096, 4096)
    assert motools_run("store", "check", home=home).returncode == 2
    out = motools_run("store", "recover", str(db), home=home)
    assert out.returncode == 0 and "skipped:" in out.stdout and "events" in out.stdout, out.stdout
    assert rows(home, "SELECT idx, status, config_hash FROM runs ORDER BY idx") == before
    show = motools_run("sweep", "show", "done", home=home)
    assert show.returncode == 0 and "finished 100" in show.stdout, show.stdout + show.stderr
    csv = tmp_path / "after.csv"
    assert motools_run("sweep", "export", "done", "--csv", str(csv), home=home).returncode == 0
    assert len(csv.read_text().splitlines()) == 101


def test_an_empty_database_beside_atoms_is_damaged_not_new(tmp_path: Path) -> None:
    home = finished_store(tmp_path)
    db = home / "motools.db"
    db.write_bytes(b"")
    for args in COMMANDS:
        out = motools_run(*args, home=home)
        assert_refused_with_the_way_out(out, db)
        assert "empty (0 bytes)" in out.stderr
    assert db.stat().st_size == 0  # never rebuilt as a new, empty store
    check = motools_run("store", "check", home=home)
    assert check.returncode == 2 and "empty (0 bytes)" in check.stdout


@pytest.mark.parametrize("content", ["text", "sqlite"])
def test_a_foreign_file_is_refused_untouched(tmp_path: Path, content: str) -> None:
    home = tmp_path / ".motools"
    home.mkdir()
    db = home / "motools.db"
    if content == "text":
        db.write_text("name,email\nada,ada@example.com\n" * 100)
    else:
        conn = sqlite3.connect(db)
        conn.execute("CREATE TABLE customers(name, email)")
        conn.execute("INSERT INTO customers VALUES ('ada', 'ada@example.com')")
        conn.commit()
        conn.close()
    before = digest(db)
    for args in COMMANDS:
        out = motools_run(*args, home=home)
        assert_refused_with_the_way_out(out, db)
        assert "not a motools store" in out.stderr
    assert digest(db) == before and sorted(p.name for p in home.iterdir()) == ["atoms", "motools.db"]
    recover = motools_run("store", "recover", str(db), home=tmp_path / "elsewhere")
    if content == "sqlite":
        assert recover.returncode == 2 and "not a motools store" in recover.stderr
    assert digest(db) == before


def test_a_backup_is_taken_before_every_migration(tmp_path: Path) -> None:
    import sqlite_utils

    from motools.store import SCHEMA_VERSION, Store
    from motools.store.schema import MIGRATIONS

    home = tmp_path / ".motools"
    home.mkdir()
    conn = sqlite3.connect(home / "motools.db", isolation_level=None)
    MIGRATIONS[0](sqlite_utils.Database(conn))  # a store written by the first release
    conn.execute("INSERT INTO specs(name, yaml, created_at, updated_at) VALUES ('old', 'name: old', 0, 0)")
    conn.execute("PRAGMA user_version = 1")
    conn.close()
    store = Store(home)
    assert store.read.spec("old") is not None
    store.close()
    (backup,) = (home / "backups").glob("*.db")
    conn = sqlite3.connect(backup)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1 < SCHEMA_VERSION
    assert conn.execute("SELECT name FROM specs").fetchall() == [("old",)]
    conn.close()


def test_a_deleted_log_under_a_running_worker_is_explained(tmp_path: Path) -> None:
    spec = write_spec(tmp_path / "spec.yaml", name="wal", n_lr=2, n_seeds=3, latency=0.5, parallel=2)
    home = tmp_path / ".motools"
    worker = motools_popen("sweep", "run", str(spec), "--name", "wal", "--quiet", home=home, cwd=tmp_path)
    wait_for(lambda: rows(home, "SELECT COUNT(*) FROM runs WHERE status = 'finished'")[0][0] >= 1)
    db = home / "motools.db"
    os.unlink(home / "motools.db-wal")
    show = motools_run("sweep", "show", "wal", home=home)
    assert show.returncode == 2 and "Traceback" not in show.stderr, show.stderr
    assert "write-ahead log" in show.stderr and "deleted while a worker was writing" in show.stderr
    assert str(db) in show.stderr and "motools store check" in show.stderr
    check = motools_run("store", "check", home=home)
    assert check.returncode == 2 and "deleted" in check.stdout, check.stdout
    _out, err = worker.communicate(timeout=300)
    assert "Traceback" not in err, err
    if worker.returncode != 0:  # it opened a new connection after the deletion and had to stop
        assert "write-ahead log" in err or "disk I/O" in err, err
    # the worker's connections wrote the log back when they closed: the store is whole
    after = motools_run("store", "check", home=home)
    assert after.returncode == 0, after.stdout
    assert motools_run("sweep", "show", "wal", home=home).returncode == 0
