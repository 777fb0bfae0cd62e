"""Schema of the store, versioned with ``PRAGMA user_version`` and migrated in place.

Each migration takes a :class:`sqlite_utils.Database` and moves the schema one version up.
sqlite-utils is imported only when a migration is due, so opening an up-to-date store stays
cheap (the terminal app's start path depends on that).
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 2


def _v1(db: Any) -> None:
    db["specs"].create({"name": str, "yaml": str, "created_at": float, "updated_at": float}, pk="name")
    db["sweeps"].create(
        {
            "id": int,
            "name": str,
            "spec_name": str,
            "spec_yaml": str,
            "workflow": str,
            "user": str,
            "status": str,  # motools.status.SWEEP_STATUSES
            "n_runs": int,
            "max_parallel": int,
            "created_at": float,
            "started_at": float,
            "finished_at": float,
            "worker_pid": int,
            "worker_host": str,
            "heartbeat_at": float,
            "cancel_requested": int,
            "message": str,
        },
        pk="id",
        not_null={"name", "status", "created_at"},
        defaults={"cancel_requested": 0, "status": "pending"},
    )
    db["sweeps"].create_index(["name"], unique=True)
    db["runs"].create(
        {
            "id": int,
            "sweep_id": int,
            "idx": int,
            "params": str,  # JSON: {dot.path: value}
            "config": str,  # JSON: the full resolved config
            "config_hash": str,
            "status": str,  # motools.status.RUN_STATUSES
            "current_step": str,
            "attempts": int,
            "started_at": float,
            "finished_at": float,
            "error": str,
            "traceback": str,
        },
        pk="id",
        foreign_keys=[("sweep_id", "sweeps", "id")],
        defaults={"status": "pending", "attempts": 0},
    )
    db["runs"].create_index(["sweep_id", "idx"], unique=True)
    db["steps"].create(
        {
            "id": int,
            "run_id": int,
            "name": str,
            "idx": int,
            "status": str,  # motools.status.STEP_STATUSES
            "cache_key": str,
            "cached": int,
            "progress": float,
            "progress_total": float,
            "progress_message": str,
            "outputs": str,  # JSON: {atom key: atom id}
            "started_at": float,
            "finished_at": float,
            "error": str,
            "traceback": str,
        },
        pk="id",
        foreign_keys=[("run_id", "runs", "id")],
        defaults={"cached": 0},
    )
    db["steps"].create_index(["run_id", "name"], unique=True)
    db["cache"].create(
        {"cache_key": str, "step_name": str, "outputs": str, "run_id": int, "created_at": float},
        pk="cache_key",
    )
    db["checkpoints"].create({"cache_key": str, "state": str, "updated_at": float}, pk="cache_key")
    db["atoms"].create(
        {
            "id": str,
            "kind": str,
            "content_hash": str,
            "path": str,  # relative to the atoms folder, for file atoms
            "data": str,  # inline JSON, for small atoms
            "size": int,
            "metadata": str,
            "created_at": float,
        },
        pk="id",
    )
    db["metrics"].create(
        {"atom_id": str, "task": str, "metric": str, "value": float},
        pk=("atom_id", "task", "metric"),
    )
    db["samples"].create(
        {
            "atom_id": str,
            "task": str,
            "sample_id": str,
            "epoch": int,
            "score": float,
            "answer": str,
            "target": str,
        },
        pk=("atom_id", "task", "sample_id", "epoch"),
    )
    db["events"].create(
        {
            "id": int,
            "sweep_id": int,
            "run_id": int,
            "step": str,
            "time": float,
            "level": str,
            "message": str,
        },
        pk="id",
    )
    db["events"].create_index(["sweep_id", "id"])
    db["events"].create_index(["run_id", "id"])
    db["requests"].create(
        {"id": int, "sweep_id": int, "kind": str, "payload": str, "created_at": float, "done": int},
        pk="id",
        defaults={"done": 0},
    )


def _v2(db: Any) -> None:
    """Claim fencing, where steps ran, every score of every sample, and launch context."""
    sweeps = db["sweeps"]
    sweeps.add_column("claim_generation", int, not_null_default=0)
    sweeps.add_column("worker_token", str)  # the worker process's start time: a reused pid is not it
    sweeps.add_column("import_paths", str)  # JSON list: folders a worker searches for user modules
    sweeps.add_column("workdir", str)  # the launching process's working directory
    sweeps.add_column("base_hash", str)  # hash of the base config: a sweep extends only with the same one
    steps = db["steps"]
    steps.add_column("host", str)
    steps.add_column("pid", int)
    steps.add_column("node", str)  # a Ray node id, when the step ran on a cluster
    db["cache"].add_column("workflow", str)
    db["samples"].add_column("explanation", str)
    db["sample_scores"].create(
        {
            "atom_id": str,
            "task": str,
            "sample_id": str,
            "epoch": int,
            "name": str,  # '<scorer>' or '<scorer>/<key>' for a dict-valued score
            "value": float,  # NULL where the score is not a number
            "text": str,  # the score as given, when it is not a number
            "explanation": str,
        },
        pk=("atom_id", "task", "sample_id", "epoch", "name"),
    )
    db.execute(
        "INSERT OR IGNORE INTO sample_scores(atom_id, task, sample_id, epoch, name, value) "
        "SELECT atom_id, task, sample_id, epoch, 'score', score FROM samples"
    )


MIGRATIONS: list[Callable[[Any], None]] = [_v1, _v2]
assert len(MIGRATIONS) == SCHEMA_VERSION


def current_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def backup_before_migration(conn: sqlite3.Connection, version: int) -> Path | None:
    """A consistent copy of the store (``VACUUM INTO``) in ``<home>/backups/`` before its schema
    changes, so a migration that goes wrong can never cost a researcher their results."""
    row = conn.execute("PRAGMA database_list").fetchone()
    if not row or not row[2]:
        return None
    db_path = Path(row[2])
    folder = db_path.parent / "backups"
    folder.mkdir(exist_ok=True)
    target = folder / f"{db_path.stem}-v{version}-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.db"
    conn.execute("VACUUM INTO ?", (str(target),))
    return target


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the schema up to :data:`SCHEMA_VERSION`; returns the version found before."""
    found = current_version(conn)
    if found > SCHEMA_VERSION:
        from motools.errors import StoreError

        raise StoreError(
            f"store schema version {found} is newer than this motools understands ({SCHEMA_VERSION}); upgrade motools"
        )
    if found == SCHEMA_VERSION:
        return found
    if found == 0:
        from motools.store.health import check_ours

        row = conn.execute("PRAGMA database_list").fetchone()
        check_ours(conn, row[2] if row and row[2] else "the store")
    if found > 0:
        backup_before_migration(conn, found)
    import sqlite_utils

    db = sqlite_utils.Database(conn)
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = current_version(conn)  # another process may have migrated meanwhile
        for step in MIGRATIONS[version:]:
            step(db)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return found
