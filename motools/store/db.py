"""The :class:`Store`: one SQLite file and its atoms folder, opened and migrated.

Run, step, metric and event rows are written only by the sweep's worker
(:mod:`motools.store.records`); sweeps are recorded and cancelled through
:mod:`motools.store.sweeps`; every read goes through :class:`~motools.store.read.ReadModel`
(``store.read``). This class holds the connection per thread, specs and atoms. Methods are
synchronous and short; async callers run them in a thread.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from motools.atoms import INLINE_LIMIT, Atom, atom_id_for, canonical_json, content_hash
from motools.errors import StoreError, SweepNotFound
from motools.store.connection import connect
from motools.store.health import check_before_open, explain
from motools.store.paths import DB_NAME, resolve_home
from motools.store.read import ReadModel
from motools.store.records import INSERT_ATOM
from motools.store.schema import migrate


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
        check_before_open(self.db_path, self.atoms_dir)
        self._local = threading.local()
        self._opened: list[tuple[weakref.ref[threading.Thread], sqlite3.Connection]] = []
        self._opened_lock = threading.Lock()
        conn = self.conn
        try:
            migrate(conn)
        except sqlite3.Error as exc:
            self.close()
            raise StoreError(explain(self.db_path, exc)) from None
        except StoreError:
            self.close()
            raise

    def __repr__(self) -> str:
        return f"Store({str(self.home)!r})"

    @property
    def conn(self) -> sqlite3.Connection:
        """This thread's connection (sqlite3 connections are not shared across threads)."""
        local = self._local
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = connect(self.db_path)
            local.conn = conn
            with self._opened_lock:
                self._close_ended_threads()
                self._opened.append((weakref.ref(threading.current_thread()), conn))
        return conn

    def _close_ended_threads(self) -> None:
        """Close the connections of threads that have ended (the list holds them open)."""
        keep = []
        for thread, conn in self._opened:
            alive = thread()
            if alive is not None and alive.is_alive():
                keep.append((thread, conn))
            else:
                conn.close()
        self._opened = keep

    def close(self) -> None:
        """Close every connection this store opened, whichever thread opened it (a later use
        opens a new one). Closing them all is what lets the last one remove the write-ahead log,
        whether or not the objects that held them were ever collected."""
        with self._opened_lock:
            opened, self._opened = self._opened, []
            self._local = threading.local()
        for _, conn in opened:
            conn.close()

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
        from motools.names import check_name

        check_name(name, "spec name")
        now = time.time()
        with self.transaction() as c:
            c.execute(
                "INSERT INTO specs(name, yaml, created_at, updated_at) VALUES (?,?,?,?) "
                "ON CONFLICT(name) DO UPDATE SET yaml=excluded.yaml, updated_at=excluded.updated_at",
                (name, yaml_text, now, now),
            )

    def get_spec(self, name: str) -> dict[str, Any] | None:
        return self.read.spec(name)

    def list_specs(self) -> list[dict[str, Any]]:
        return self.read.specs()

    def delete_spec(self, name: str) -> bool:
        with self.transaction() as c:
            return c.execute("DELETE FROM specs WHERE name = ?", (name,)).rowcount > 0

    # -- reads and sweep requests ------------------------------------------------------------
    @property
    def read(self) -> ReadModel:
        """The read model on this thread's connection."""
        return ReadModel(self.conn)

    def get_sweep(self, name: str) -> dict[str, Any]:
        row = self.read.sweep(name)
        if row is None:
            names = self.read.recent_sweep_names()
            hint = f" (recent: {', '.join(names)})" if names else " (no sweeps yet)"
            raise SweepNotFound(f"no sweep named {name!r}{hint}")
        return row

    def list_sweeps(self) -> list[dict[str, Any]]:
        return self.read.sweeps(full=True)

    def runs(self, sweep_id: int) -> list[dict[str, Any]]:
        return self.read.runs(sweep_id)

    def steps(self, run_id: int) -> list[dict[str, Any]]:
        return self.read.steps(run_id)

    def events(
        self, *, sweep_id: int | None = None, run_id: int | None = None, after_id: int = 0, limit: int = 1000
    ) -> list[dict[str, Any]]:
        return self.read.events(sweep_id=sweep_id, run_id=run_id, after_id=after_id, limit=limit)

    def cancel_sweep(self, name: str, *, now: float | None = None) -> bool:
        """Stop a sweep from any process (see :func:`motools.store.sweeps.cancel_sweep`)."""
        from motools.store.sweeps import cancel_sweep

        return cancel_sweep(self, name, now=now)

    def request_cancel_run(self, name: str, run_index: int) -> None:
        """Ask the worker to stop one run (grid point); the rest of the sweep goes on."""
        from motools.store.sweeps import request_cancel_run

        request_cancel_run(self, self.get_sweep(name)["id"], run_index)

    def data_version(self) -> int:
        return self.read.data_version()

    # -- atoms --------------------------------------------------------------------------------
    def atom_row_for(
        self, kind: str, payload: bytes | str, *, metadata: dict[str, Any] | None = None, as_json: Any = None
    ) -> tuple[Atom, tuple[Any, ...], bytes | None]:
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

    def put_atom(
        self, kind: str, payload: bytes | str, *, metadata: dict[str, Any] | None = None, as_json: Any = None
    ) -> Atom:
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
        row = self.read.atom(atom_id)
        if row is None:
            raise KeyError(f"no atom {atom_id!r} in {self.db_path}")
        return atom_from_row(row, self.atoms_dir)

    def has_atom(self, atom_id: str) -> bool:
        return self.read.has_atom(atom_id)

    def metrics_for(self, atom_id: str) -> list[dict[str, Any]]:
        return self.read.metrics_for(atom_id)


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


def close_stores() -> None:
    """Close every process-wide store's connections, before the process ends.

    The last connection to close checkpoints the write-ahead log and removes it. motools' own
    processes call this on their way out: they keep their long-lived heap away from the garbage
    collector (:mod:`motools.heap`), which would otherwise have closed connections held in
    reference cycles at exit.
    """
    with _stores_lock:
        for store in _stores.values():
            store.close()
