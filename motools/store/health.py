"""Damaged stores: recognising them, explaining them, checking and salvaging them.

A store can be damaged by a disk that fills or fails, a file copied while a worker wrote it, a
``-wal`` file deleted by hand, or a path that points at something else entirely. Every command
then exits 2 with a message naming the file and the way out (:func:`explain`):

- ``motools store check`` (:func:`check_store`): integrity, schema, write-ahead log state,
  atoms without rows and rows without atoms, backups.
- ``motools store recover FILE`` (:func:`recover_store`): copies every row SQLite can still
  read into a new store, keeping the damaged file beside it.

A 0-byte ``motools.db`` beside existing atoms is a damaged store (its rows were lost), never a
new empty one: :func:`check_before_open` refuses it before SQLite would silently rebuild it.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from motools.errors import StoreError
from motools.store.paths import DB_NAME

SQLITE_HEADER = b"SQLite format 3\x00"
# Our tables, parents before children, so a salvage inserts sweeps before their runs.
TABLES = (
    "specs",
    "sweeps",
    "runs",
    "steps",
    "cache",
    "checkpoints",
    "atoms",
    "metrics",
    "samples",
    "sample_scores",
    "events",
    "requests",
)


class StoreDamaged(StoreError):
    """The store's file is damaged, empty beside existing results, or not a motools store."""

    def __init__(self, db_path: Path | str, problem: str):
        self.db_path = Path(db_path)
        self.problem = problem
        super().__init__(f"{db_path}: {problem}. {way_out(db_path)}")


def way_out(db_path: Path | str) -> str:
    return (
        f"Nothing was changed. Run 'motools store check' to see what is wrong, and 'motools store recover "
        f"{db_path}' to copy what can still be read into a new store (the damaged file is kept)"
    )


def _wal(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + "-wal")


def _shm(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + "-shm")


def _empty_or_missing(path: Path) -> bool:
    try:
        return path.stat().st_size == 0
    except OSError:
        return True


def wal_deleted(db_path: Path | str) -> bool:
    """Whether the store's -shm file says its log holds data while the -wal file is gone (or a new
    empty one replaced it): someone deleted the log under a running process."""
    db = Path(db_path)
    return _shm(db).exists() and _empty_or_missing(_wal(db))


def explain(db_path: Path | str, exc: BaseException) -> str:
    """A message for an SQLite error on the store: which file, what it likely means, what to do."""
    db = Path(db_path)
    text = str(exc)
    lower = text.lower()
    if "disk i/o error" in lower:
        if wal_deleted(db):
            return (
                f"{db}: disk I/O error: the store's write-ahead log ({_wal(db).name}) is missing while "
                f"{_shm(db).name} says it holds data; it was probably deleted while a worker was writing. "
                "Never delete the -wal or -shm files. A worker still running keeps the log open and writes "
                "it back when it ends: let it finish (or 'motools sweep cancel' it), then run 'motools store "
                "check'; results written since the deletion may be lost if that worker was killed"
            )
        return (
            f"{db}: disk I/O error reading or writing the store (a failing or full disk, or a file changed "
            "under a running worker). Run 'motools store check' once the disk is healthy"
        )
    if "database is locked" in lower or "database table is locked" in lower:
        return f"{db}: the store stayed locked by another process for too long; try again"
    if "readonly" in lower or "read-only" in lower:
        return f"{db}: the store is read-only here ({text}); check the file's and its folder's permissions"
    if "database or disk is full" in lower:
        return f"{db}: the disk is full ({text}); free space, then run the command again"
    if "not a database" in lower or "malformed" in lower or "corrupt" in lower:
        return str(StoreDamaged(db, f"the store is damaged ({text})"))
    return f"{db}: the store could not be used ({text}). {way_out(db)}"


def _atom_files(atoms_dir: Path, limit: int | None = None) -> list[Path]:
    found: list[Path] = []
    if not atoms_dir.is_dir():
        return found
    for sub in sorted(atoms_dir.iterdir()):
        if sub.is_dir():
            for f in sorted(sub.iterdir()):
                if f.is_file() and not f.name.startswith("."):
                    found.append(f)
                    if limit is not None and len(found) >= limit:
                        return found
    return found


def check_before_open(db_path: Path, atoms_dir: Path) -> None:
    """Refuse a file SQLite would open wrongly: empty beside atoms (it would be rebuilt as a new
    store and the atoms orphaned), or not an SQLite database at all."""
    try:
        size = db_path.stat().st_size
    except FileNotFoundError:
        return
    except OSError as exc:
        raise StoreError(f"{db_path}: cannot read the store: {exc.strerror or exc}") from None
    if size == 0:
        home = db_path.parent
        if _atom_files(atoms_dir, limit=1):
            raise StoreDamaged(db_path, "the database is empty (0 bytes) but results exist beside it in atoms/")
        if any((home / "backups").glob("*.db")) or any((home / "workers").glob("*.log")):
            raise StoreDamaged(
                db_path, "the database is empty (0 bytes) but the store was used before (backups/, workers/)"
            )
        return
    try:
        with open(db_path, "rb") as fh:
            header = fh.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise StoreError(f"{db_path}: cannot read the store: {exc.strerror or exc}") from None
    if header != SQLITE_HEADER:
        raise StoreDamaged(db_path, "this is not a motools store (not an SQLite database, or its header is damaged)")
    if _empty_or_missing(_wal(db_path)):
        # The header is current when there is no log: a database with a schema (cookie at
        # offset 40) but schema version 0 (user_version at offset 60) is someone else's. Checked
        # before SQLite opens it, since switching it to WAL mode would already change it.
        with open(db_path, "rb") as fh:
            page = fh.read(100)
        cookie, version = int.from_bytes(page[40:44], "big"), int.from_bytes(page[60:64], "big")
        if len(page) == 100 and cookie != 0 and version == 0:
            raise StoreDamaged(db_path, "this SQLite database is not a motools store (it was made by something else)")


def check_ours(conn: sqlite3.Connection, db_path: Path | str) -> None:
    """A database at schema version 0 must be empty; anything else is someone else's file."""
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()]
    if tables:
        shown = ", ".join(tables[:5]) + (", ..." if len(tables) > 5 else "")
        raise StoreDamaged(db_path, f"this SQLite database is not a motools store (it holds tables {shown})")


# -- check ----------------------------------------------------------------------------------------
@dataclass
class CheckReport:
    db_path: Path
    lines: list[tuple[str, str]] = field(default_factory=list)  # (label, text)
    damaged: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def add(self, label: str, text: str) -> None:
        self.lines.append((label, text))

    @property
    def healthy(self) -> bool:
        return not self.damaged


def _size(path: Path) -> str:
    n = path.stat().st_size
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:,} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1000
    return str(n)


def _open_copy(db_path: Path, folder: Path) -> sqlite3.Connection:
    """A connection on a private copy of the store (and its log), so checking or salvaging never
    writes to the original, not even the -shm file."""
    copy = folder / DB_NAME
    shutil.copyfile(db_path, copy)
    if _wal(db_path).exists():
        shutil.copyfile(_wal(db_path), _wal(copy))
    conn = sqlite3.connect(copy, isolation_level=None)
    conn.execute("PRAGMA query_only = ON")
    return conn


def _deleted_logs(pid: int, db_path: Path) -> bool:
    """Whether process ``pid`` holds the store's write-ahead log open although it was deleted."""
    wanted = str(_wal(db_path.resolve())) + " (deleted)"
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return False
    for fd in fds:
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}") == wanted:
                return True
        except OSError:
            continue
    return False


def check_store(home: Path) -> CheckReport:
    """Inspect the store under ``home`` without changing it (see the module docstring)."""
    from motools.liveness import pid_alive, this_host
    from motools.store.schema import SCHEMA_VERSION

    db_path = home / DB_NAME
    atoms_dir = home / "atoms"
    report = CheckReport(db_path)
    if not db_path.exists():
        n_atoms = len(_atom_files(atoms_dir))
        if n_atoms:
            report.damaged.append(f"no {DB_NAME}, but {n_atoms} atom files: the database was deleted or moved")
        else:
            report.warnings.append(f"no store at {home} yet")
        return report
    report.add("store", f"{db_path} ({_size(db_path)})")
    try:
        check_before_open(db_path, atoms_dir)
    except StoreDamaged as exc:
        report.damaged.append(exc.problem)
        return report
    if db_path.stat().st_size == 0:
        report.warnings.append("the database is empty (a new store)")
        return report
    with tempfile.TemporaryDirectory(prefix="motools-check-") as tmp:
        try:
            conn = _open_copy(db_path, Path(tmp))
        except (OSError, sqlite3.Error) as exc:
            report.damaged.append(f"cannot be opened: {exc}")
            return report
        try:
            _check_contents(conn, report, SCHEMA_VERSION, atoms_dir)
        finally:
            conn.close()
    # The write-ahead log, and the workers that may hold it.
    wal, shm = _wal(db_path), _shm(db_path)
    if wal.exists():
        report.add("wal", f"{wal.name} {_size(wal)} (recent commits not yet copied into the main file; normal)")
    elif shm.exists():
        report.add("wal", f"no {wal.name} but {shm.name} exists")
    else:
        report.add("wal", "none (the last process closed the store cleanly)")
    for sweep in _running_sweeps(db_path):
        pid, host = sweep.get("worker_pid"), sweep.get("worker_host")
        if host == this_host() and pid and pid_alive(pid, sweep.get("worker_token")):
            if not wal.exists() and _deleted_logs(int(pid), db_path):
                report.damaged.append(
                    f"worker {pid} of sweep {sweep['name']!r} is writing to a write-ahead log that was deleted: "
                    "let it finish (it writes the log back when it ends) and never kill it with SIGKILL"
                )
            else:
                report.add("worker", f"sweep {sweep['name']!r} is being run by process {pid}")
    backups = sorted((home / "backups").glob("*.db")) if (home / "backups").is_dir() else []
    if backups:
        report.add("backups", f"{len(backups)} in {home / 'backups'} (newest: {backups[-1].name})")
    return report


def _running_sweeps(db_path: Path) -> list[dict[str, Any]]:
    from motools.status import Status

    try:
        conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=2)
        conn.row_factory = sqlite3.Row
        try:
            return [
                dict(r)
                for r in conn.execute(
                    "SELECT name, worker_pid, worker_host, worker_token FROM sweeps WHERE status = ?",
                    (Status.RUNNING,),
                )
            ]
        finally:
            conn.close()
    except sqlite3.Error:
        return []


def _check_contents(conn: sqlite3.Connection, report: CheckReport, schema_version: int, atoms_dir: Path) -> None:
    try:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        problems = [r[0] for r in conn.execute("PRAGMA integrity_check(20)").fetchall()]
    except sqlite3.DatabaseError as exc:
        report.damaged.append(f"the file cannot be read: {exc}")
        return
    if problems != ["ok"]:
        report.damaged.append(
            f"integrity check failed: {problems[0]}" + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else "")
        )
    else:
        report.add("integrity", "ok")
    if version == 0:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        if tables:
            report.damaged.append(f"not a motools store (schema version 0 with tables {', '.join(tables[:5])})")
            return
    elif version > schema_version:
        report.warnings.append(f"schema version {version} is newer than this motools ({schema_version}): upgrade it")
        return
    report.add(
        "schema",
        f"version {version}"
        + ("" if version == schema_version else f" (migrated to {schema_version} on next open, after a backup)"),
    )
    if report.damaged:
        return
    try:
        counts = {
            t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("specs", "sweeps", "runs", "atoms")
        }
        report.add("contents", ", ".join(f"{n:,} {t}" for t, n in counts.items()))
        orphan_runs = conn.execute(
            "SELECT COUNT(*) FROM runs WHERE sweep_id NOT IN (SELECT id FROM sweeps)"
        ).fetchone()[0]
        if orphan_runs:
            report.warnings.append(f"{orphan_runs} runs belong to no sweep")
        paths = {r[0] for r in conn.execute("SELECT path FROM atoms WHERE path IS NOT NULL")}
    except sqlite3.DatabaseError as exc:
        report.damaged.append(f"the tables cannot be read: {exc}")
        return
    files = {f.relative_to(atoms_dir).as_posix() for f in _atom_files(atoms_dir)}
    missing = sorted(paths - files)
    orphans = sorted(files - paths)
    report.add("atoms", f"{len(files):,} files, {len(paths):,} file rows")
    if missing:
        report.warnings.append(f"{len(missing)} atom rows whose file is missing (first: atoms/{missing[0]})")
    if orphans:
        report.warnings.append(
            f"{len(orphans)} atom files no row refers to (first: atoms/{orphans[0]}); they cost only disk space"
        )


# -- recover --------------------------------------------------------------------------------------
@dataclass
class RecoverReport:
    source: Path
    kept: Path
    db_path: Path
    copied: dict[str, int] = field(default_factory=dict)
    unreadable: dict[str, int] = field(default_factory=dict)  # table -> rows (or ranges) skipped
    lost_tables: list[str] = field(default_factory=list)
    dropped: dict[str, int] = field(default_factory=dict)  # rows whose parent was lost


def _readable_rows(conn: sqlite3.Connection, table: str, cols: list[str]) -> tuple[list[tuple], int]:
    """Every row of ``table`` SQLite can read, skipping damaged stretches; ``(rows, skips)``."""
    select = f"SELECT rowid, {', '.join(cols)} FROM {table} WHERE rowid > ? ORDER BY rowid LIMIT ?"
    rows: list[tuple] = []
    skips = 0
    last = -(2**63)
    while True:
        try:
            batch = conn.execute(select, (last, 500)).fetchall()
        except sqlite3.DatabaseError:
            try:
                batch = conn.execute(select, (last, 1)).fetchall()
            except sqlite3.DatabaseError:
                skips += 1
                found = _skip_damage(conn, table, last)
                if found is None:
                    return rows, skips
                last = found
                continue
        if not batch:
            return rows, skips
        rows.extend(tuple(r[1:]) for r in batch)
        last = batch[-1][0]


def _skip_damage(conn: sqlite3.Connection, table: str, last: int) -> int | None:
    """A rowid past a damaged stretch from which reading works again, or None."""
    step = 1
    base = max(last, 0)
    while step < 2**40:
        try:
            conn.execute(f"SELECT rowid FROM {table} WHERE rowid > ? ORDER BY rowid LIMIT 1", (base + step,)).fetchall()
            return base + step
        except sqlite3.DatabaseError:
            step *= 2
    return None


def recover_store(source: Path, home: Path, *, now: float | None = None) -> RecoverReport:
    """Copy every readable row of ``source`` into a new store at ``home`` (see the module docstring).

    ``source`` is kept: if it is ``home``'s own database it is moved to ``<home>/damaged/`` first
    (with its -wal and -shm); a healthy store already at ``home`` is never replaced, and a store a
    live worker is writing is left alone.
    """
    from motools.liveness import pid_alive, this_host
    from motools.store.schema import SCHEMA_VERSION, migrate

    source = source.expanduser().resolve()
    home = home.expanduser().resolve()
    db_path = home / DB_NAME
    if not source.is_file():
        raise StoreError(f"{source}: no such file")
    own = db_path.exists() and db_path.resolve() == source
    if db_path.exists() and not own:
        report = check_store(home)
        if report.healthy and db_path.stat().st_size > 0:
            raise StoreError(
                f"{db_path}: a healthy store is already there; recover into another folder with "
                f"'motools --home NEW_FOLDER store recover {source}'"
            )
    if db_path.exists():
        for sweep in _running_sweeps(db_path):
            pid = sweep.get("worker_pid")
            if sweep.get("worker_host") == this_host() and pid and pid_alive(pid, sweep.get("worker_token")):
                raise StoreError(
                    f"{db_path}: process {pid} is still running sweep {sweep['name']!r} on this store; "
                    "let it end (or cancel it) before recovering"
                )
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    with tempfile.TemporaryDirectory(prefix="motools-recover-") as tmp:
        conn = _open_source(source, Path(tmp), SCHEMA_VERSION)
        kept = source
        if db_path.exists():  # the damaged store being replaced: kept, never deleted
            damaged_dir = home / "damaged"
            damaged_dir.mkdir(parents=True, exist_ok=True)
            kept_db = damaged_dir / f"{DB_NAME}.{stamp}"
            for extra in ("", "-wal", "-shm"):
                p = db_path.with_name(db_path.name + extra)
                if p.exists():
                    os.replace(p, kept_db.with_name(kept_db.name + extra))
            if own:
                kept = kept_db
        home.mkdir(parents=True, exist_ok=True)
        report = RecoverReport(source, kept, db_path)
        new = sqlite3.connect(db_path, isolation_level=None)
        try:
            new.execute("PRAGMA journal_mode = WAL")
            migrate(new)
            new.execute("PRAGMA foreign_keys = OFF")
            if conn is not None:
                _copy_tables(conn, new, report)
                conn.close()
            else:
                report.lost_tables = list(TABLES)
            _drop_orphans(new, report)
        finally:
            new.close()
    return report


def _open_source(source: Path, folder: Path, version: int) -> sqlite3.Connection | None:
    """A private copy of the file to salvage; refused if it is clearly not ours (nothing moved yet)."""
    try:
        conn = _open_copy(source, folder)
    except (OSError, sqlite3.Error):
        return None
    try:
        found = int(conn.execute("PRAGMA user_version").fetchone()[0])
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError:
        return conn  # too damaged to tell: salvage what can be read
    if found > version:
        conn.close()
        raise StoreError(f"{source}: schema version {found} is newer than this motools ({version}); upgrade it")
    if tables and not tables & set(TABLES):
        conn.close()
        raise StoreError(f"{source}: this SQLite database is not a motools store; nothing to recover from it")
    return conn


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [r[1] for r in conn.execute(f"PRAGMA table_info({table})").fetchall()]


def _copy_tables(old: sqlite3.Connection, new: sqlite3.Connection, report: RecoverReport) -> None:
    for table in TABLES:
        try:
            old_cols = _columns(old, table)
        except sqlite3.DatabaseError:
            old_cols = []
        cols = [c for c in _columns(new, table) if c in old_cols]
        if not cols:
            report.lost_tables.append(table)
            continue
        rows, skips = _readable_rows(old, table, cols)
        new.execute("BEGIN IMMEDIATE")
        try:
            insert = f"INSERT OR IGNORE INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
            new.executemany(insert, rows)
            new.execute("COMMIT")
        except BaseException:
            new.execute("ROLLBACK")
            raise
        report.copied[table] = len(rows)
        if skips:
            report.unreadable[table] = skips


def _drop_orphans(conn: sqlite3.Connection, report: RecoverReport) -> None:
    """Rows whose parent was lost are of no use (a run without its sweep); counts go in the report."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        for table, sql in (
            ("runs", "DELETE FROM runs WHERE sweep_id NOT IN (SELECT id FROM sweeps)"),
            ("steps", "DELETE FROM steps WHERE run_id NOT IN (SELECT id FROM runs)"),
        ):
            n = conn.execute(sql).rowcount
            if n:
                report.dropped[table] = n
        conn.execute("UPDATE sweeps SET n_runs = (SELECT COUNT(*) FROM runs WHERE runs.sweep_id = sweeps.id)")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


__all__ = [
    "CheckReport",
    "RecoverReport",
    "StoreDamaged",
    "check_before_open",
    "check_ours",
    "check_store",
    "explain",
    "recover_store",
    "way_out",
]
