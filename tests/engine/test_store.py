"""The SQLite store: location, pragmas, schema version and migration, atoms."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from motools.errors import StoreError
from motools.store import SCHEMA_VERSION, Store, open_store


def test_default_location_follows_motools_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MOTOOLS_HOME")
    assert Store().db_path == tmp_path / ".motools" / "motools.db"
    monkeypatch.setenv("MOTOOLS_HOME", str(tmp_path / "elsewhere"))
    store = open_store()
    assert store.db_path == tmp_path / "elsewhere" / "motools.db" and store.db_path.exists()
    assert (tmp_path / "elsewhere" / "atoms").is_dir()


def test_wal_busy_timeout_and_schema_version(store: Store) -> None:
    conn = store.conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"specs", "sweeps", "runs", "steps", "atoms", "metrics", "samples", "events", "cache"} <= tables


def test_a_foreign_database_is_refused_untouched(tmp_path: Path) -> None:
    """Issue 11: a SQLite file made by something else is never migrated into a store."""
    home = tmp_path / "old"
    home.mkdir()
    conn = sqlite3.connect(home / "motools.db")
    conn.execute("CREATE TABLE notes(x TEXT)")
    conn.execute("INSERT INTO notes VALUES ('kept')")
    conn.commit()
    conn.close()
    before = (home / "motools.db").read_bytes()
    with pytest.raises(StoreError, match="not a motools store"):
        Store(home)
    assert (home / "motools.db").read_bytes() == before


def test_a_newer_store_is_refused(tmp_path: Path) -> None:
    home = tmp_path / "new"
    home.mkdir()
    conn = sqlite3.connect(home / "motools.db")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="newer than this motools understands"):
        Store(home)


def test_atoms_are_content_addressed(store: Store) -> None:
    a = store.put_json_atom("model", {"b": 1, "a": 2})
    b = store.put_json_atom("model", {"a": 2, "b": 1})
    assert a.id == b.id and store.get_atom(a.id).data == {"a": 2, "b": 1}
    big = store.put_atom("dataset", b"x" * 200_000)
    again = store.get_atom(big.id)
    assert again.path is not None and again.path.read_bytes() == b"x" * 200_000
    assert store.query_one("SELECT COUNT(*) AS n FROM atoms")["n"] == 2
    with pytest.raises(KeyError):
        store.get_atom("model-missing")


async def test_writer_commits_in_groups_and_flush_means_durable(store: Store) -> None:
    from motools.store.writer import StoreWriter

    writer = StoreWriter(store.db_path)
    try:
        for i in range(500):
            writer.execute(
                "INSERT INTO specs(name, yaml, created_at, updated_at) VALUES (?,?,?,?)", (f"s{i}", "y", 0, 0)
            )
        await writer.flush()
        other = sqlite3.connect(store.db_path)  # an independent reader sees every row
        assert other.execute("SELECT COUNT(*) FROM specs").fetchone()[0] == 500
        other.close()
        writer.execute("INSERT INTO nosuchtable VALUES (1)")
        with pytest.raises(StoreError, match="can no longer be written"):
            await writer.flush()
        with pytest.raises(StoreError):
            writer.execute("INSERT INTO specs(name) VALUES ('late')")
    finally:
        writer.close()
