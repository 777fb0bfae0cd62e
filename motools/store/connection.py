"""Opening connections with the pragmas every reader and writer needs."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from motools.errors import StoreError

BUSY_TIMEOUT_MS = 10_000


def connect(db_path: Path, *, readonly: bool = False) -> sqlite3.Connection:
    """A connection in autocommit mode (we open transactions explicitly), WAL, busy timeout."""
    try:
        if readonly:
            conn = sqlite3.connect(
                f"file:{db_path}?mode=ro",
                uri=True,
                isolation_level=None,
                check_same_thread=False,
                timeout=BUSY_TIMEOUT_MS / 1000,
            )
        else:
            conn = sqlite3.connect(
                db_path,
                isolation_level=None,
                check_same_thread=False,
                timeout=BUSY_TIMEOUT_MS / 1000,
            )
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if not readonly:
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise StoreError(f"{db_path}: could not switch the store to WAL mode (got {mode})")
            # NORMAL in WAL mode: a process crash or SIGKILL never loses a commit; only an OS
            # crash or power cut can drop the last transactions, which then simply re-run.
            conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
    except sqlite3.Error as exc:
        from motools.store.health import explain

        raise StoreError(explain(db_path, exc)) from None
    conn.row_factory = sqlite3.Row
    return conn
