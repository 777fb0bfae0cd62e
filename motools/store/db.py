"""The :class:`Store`: reads for everyone, and the few writes the CLI and app may make.

Run, step, metric and event rows are written only by the sweep's worker through
:class:`~motools.store.writer.StoreWriter`; this class covers specs, sweep creation, requests
(cancel) and every read. Methods are synchronous and short; async callers run them in a thread.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from motools.atoms import INLINE_LIMIT, Atom, atom_id_for, canonical_json, content_hash
from motools.errors import StoreError, SweepNotFound
from motools.store.connection import connect
from motools.store.paths import DB_NAME, resolve_home
from motools.store.schema import migrate

TERMINAL_SWEEP = ("finished", "failed", "cancelled", "interrupted")


class Store:
    """A handle on ``<home>/motools.db`` and ``<home>/atoms/``."""

    def __init__(self, home: str | os.PathLike[str] | None = None):
        self.home = resolve_home(home)
        self.db_path = self.home / DB_NAME
        self.atoms_dir = self.home / "atoms"
        try:
            self.atoms_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"{self.home}: cannot create the motools folder: {exc}") from exc
        self._local = threading.local()
        conn = self.conn
        try:
            migrate(conn)
        except sqlite3.Error as exc:
            raise StoreError(f"{self.db_path}: cannot prepare the store: {exc}") from exc

    def __repr__(self) -> str:
        return f"Store({str(self.home)!r})"

    @property
    def conn(self) -> sqlite3.Connection:
        """This thread's connection (sqlite3 connections are not shared across threads)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect(self.db_path)
            self._local.conn = conn
        return conn

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        conn = self.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise StoreError(f"{self.db_path}: cannot write the store: {exc}") from exc
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def query(self, sql: str, params: Any = ()) -> list[dict[str, Any]]:
        return [dict(r) for r in self.conn.execute(sql, params).fetchall()]

    def query_one(self, sql: str, params: Any = ()) -> dict[str, Any] | None:
        row = self.conn.execute(sql, params).fetchone()
        return dict(row) if row is not None else None

    # -- specs --------------------------------------------------------------------------------
    def save_spec(self, name: str, yaml_text: str) -> None:
        now = time.time()
        with self.transaction() as c:
            c.execute(
                "INSERT INTO specs(name, yaml, created_at, updated_at) VALUES (?,?,?,?) "
                "ON CONFLICT(name) DO UPDATE SET yaml=excluded.yaml, updated_at=excluded.updated_at",
                (name, yaml_text, now, now),
            )

    def get_spec(self, name: str) -> dict[str, Any] | None:
        return self.query_one("SELECT * FROM specs WHERE name = ?", (name,))

    def list_specs(self) -> list[dict[str, Any]]:
        return self.query(
            "SELECT s.name, s.yaml, s.created_at, s.updated_at, "
            "(SELECT status FROM sweeps w WHERE w.spec_name = s.name ORDER BY w.id DESC LIMIT 1)"
            " AS last_status FROM specs s ORDER BY s.name"
        )

    def delete_spec(self, name: str) -> bool:
        with self.transaction() as c:
            return c.execute("DELETE FROM specs WHERE name = ?", (name,)).rowcount > 0

    # -- sweeps -------------------------------------------------------------------------------
    def get_sweep(self, name: str) -> dict[str, Any]:
        row = self.query_one("SELECT * FROM sweeps WHERE name = ?", (name,))
        if row is None:
            names = [r["name"] for r in self.query("SELECT name FROM sweeps ORDER BY id DESC LIMIT 10")]
            hint = f" (recent: {', '.join(names)})" if names else " (no sweeps yet)"
            raise SweepNotFound(f"no sweep named {name!r}{hint}")
        return row

    def list_sweeps(self) -> list[dict[str, Any]]:
        return self.query(
            "SELECT w.*, "
            "(SELECT COUNT(*) FROM runs r WHERE r.sweep_id = w.id AND r.status = 'finished') AS n_finished, "
            "(SELECT COUNT(*) FROM runs r WHERE r.sweep_id = w.id AND r.status = 'failed') AS n_failed "
            "FROM sweeps w ORDER BY w.id DESC"
        )

    def runs(self, sweep_id: int) -> list[dict[str, Any]]:
        return self.query("SELECT * FROM runs WHERE sweep_id = ? ORDER BY idx", (sweep_id,))

    def steps(self, run_id: int) -> list[dict[str, Any]]:
        return self.query("SELECT * FROM steps WHERE run_id = ? ORDER BY idx", (run_id,))

    def events(self, *, sweep_id: int | None = None, run_id: int | None = None,
               after_id: int = 0, limit: int = 1000) -> list[dict[str, Any]]:
        if run_id is not None:
            return self.query(
                "SELECT * FROM events WHERE run_id = ? AND id > ? ORDER BY id LIMIT ?",
                (run_id, after_id, limit),
            )
        return self.query(
            "SELECT * FROM events WHERE sweep_id = ? AND id > ? ORDER BY id LIMIT ?",
            (sweep_id, after_id, limit),
        )

    def request_cancel(self, name: str) -> dict[str, Any]:
        """Ask the sweep's worker to stop; the worker records its runs as cancelled."""
        sweep = self.get_sweep(name)
        with self.transaction() as c:
            c.execute("UPDATE sweeps SET cancel_requested = 1 WHERE id = ?", (sweep["id"],))
            c.execute(
                "INSERT INTO requests(sweep_id, kind, payload, created_at) VALUES (?,?,?,?)",
                (sweep["id"], "cancel", "{}", time.time()),
            )
        return sweep

    def cancel_sweep(self, name: str, *, now: float | None = None) -> bool:
        """Stop a sweep from any process. Returns True when its live worker was asked to stop;
        with no live worker, its unfinished runs are marked cancelled here (False)."""
        from motools.liveness import worker_alive

        now = time.time() if now is None else now
        sweep = self.get_sweep(name)
        if worker_alive(sweep, now=now):
            self.request_cancel(name)
            return True
        with self.transaction() as c:
            c.execute("UPDATE runs SET status='cancelled' WHERE sweep_id=? AND status IN ('pending','running')",
                      (sweep["id"],))
            c.execute("UPDATE sweeps SET status='cancelled', finished_at=? WHERE id=?", (now, sweep["id"]))
        return False

    def request_cancel_run(self, name: str, run_index: int) -> None:
        """Ask the worker to stop one run (grid point); the rest of the sweep goes on."""
        sweep = self.get_sweep(name)
        with self.transaction() as c:
            c.execute(
                "INSERT INTO requests(sweep_id, kind, payload, created_at) VALUES (?,?,?,?)",
                (sweep["id"], "cancel_run", json.dumps({"run_index": run_index}), time.time()),
            )

    def data_version(self) -> int:
        """Changes when any other connection commits: a cheap 'anything new?' for pollers."""
        return int(self.conn.execute("PRAGMA data_version").fetchone()[0])

    # -- atoms --------------------------------------------------------------------------------
    def atom_row_for(self, kind: str, payload: bytes | str, *, metadata: dict[str, Any] | None = None,
                     as_json: Any = None) -> tuple[Atom, tuple[Any, ...], bytes | None]:
        """Describe an atom without writing it: ``(atom, row, file_bytes_or_None)``.

        Inline JSON atoms (``as_json`` given and small) become a row with data; anything else is a
        file written under ``atoms/`` before its row is committed.
        """
        data = payload.encode() if isinstance(payload, str) else payload
        digest = content_hash(data)
        atom_id = atom_id_for(kind, digest)
        meta = metadata or {}
        now = time.time()
        if as_json is not None and len(data) <= INLINE_LIMIT:
            atom = Atom(atom_id, kind, digest, data=as_json, metadata=meta)
            row = (atom_id, kind, digest, None, data.decode(), len(data), canonical_json(meta), now)
            return atom, row, None
        rel = f"{digest[:2]}/{atom_id}"
        atom = Atom(atom_id, kind, digest, path=self.atoms_dir / rel, metadata=meta)
        row = (atom_id, kind, digest, rel, None, len(data), canonical_json(meta), now)
        return atom, row, data

    def write_atom_file(self, atom: Atom, data: bytes) -> None:
        """Write a file atom atomically (temp file, fsync, rename); no-op if already present."""
        assert atom.path is not None
        if atom.path.exists() and atom.path.stat().st_size == len(data):
            return
        atom.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = atom.path.with_name(f".{atom.path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, atom.path)

    def put_atom(self, kind: str, payload: bytes | str, *, metadata: dict[str, Any] | None = None,
                 as_json: Any = None) -> Atom:
        """Store an atom synchronously (CLI, tests, user code); workers go through the writer."""
        atom, row, file_bytes = self.atom_row_for(kind, payload, metadata=metadata, as_json=as_json)
        if file_bytes is not None:
            self.write_atom_file(atom, file_bytes)
        with self.transaction() as c:
            c.execute(INSERT_ATOM, row)
        return atom

    def put_json_atom(self, kind: str, obj: Any, metadata: dict[str, Any] | None = None) -> Atom:
        return self.put_atom(kind, canonical_json(obj), metadata=metadata, as_json=obj)

    def get_atom(self, atom_id: str) -> Atom:
        row = self.query_one("SELECT * FROM atoms WHERE id = ?", (atom_id,))
        if row is None:
            raise KeyError(f"no atom {atom_id!r} in {self.db_path}")
        return atom_from_row(row, self.atoms_dir)

    def has_atom(self, atom_id: str) -> bool:
        return self.query_one("SELECT 1 AS x FROM atoms WHERE id = ?", (atom_id,)) is not None

    def metrics_for(self, atom_id: str) -> list[dict[str, Any]]:
        return self.query("SELECT * FROM metrics WHERE atom_id = ? ORDER BY task, metric", (atom_id,))


INSERT_ATOM = (
    "INSERT OR IGNORE INTO atoms(id, kind, content_hash, path, data, size, metadata, created_at) "
    "VALUES (?,?,?,?,?,?,?,?)"
)


def atom_from_row(row: dict[str, Any] | sqlite3.Row, atoms_dir: Path) -> Atom:
    meta = json.loads(row["metadata"]) if row["metadata"] else {}
    if row["path"]:
        return Atom(row["id"], row["kind"], row["content_hash"], path=atoms_dir / row["path"], metadata=meta)
    return Atom(row["id"], row["kind"], row["content_hash"], data=json.loads(row["data"]), metadata=meta)


_stores: dict[Path, Store] = {}
_stores_lock = threading.Lock()


def open_store(home: str | os.PathLike[str] | None = None) -> Store:
    """The process-wide :class:`Store` for a home (default: ``$MOTOOLS_HOME`` or ``./.motools``)."""
    path = resolve_home(home)
    with _stores_lock:
        store = _stores.get(path)
        if store is None or not store.db_path.exists():
            store = Store(path)
            _stores[path] = store
        return store
