"""``motools store check | recover``: what to do when the store is damaged."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from motools.text import safe_text


def register(sub: Any) -> None:
    p = sub.add_parser("store", help="check or salvage the store (.motools/motools.db)")
    s = p.add_subparsers(dest="cmd", metavar="{check,recover}", required=True)
    check = s.add_parser("check", help="integrity, schema, write-ahead log, atoms without rows; changes nothing")
    check.set_defaults(func=cmd_check)
    recover = s.add_parser(
        "recover",
        help="copy every row SQLite can still read from FILE into a new store here (FILE is kept)",
    )
    recover.add_argument("file", metavar="FILE", help="the damaged database (e.g. .motools/motools.db) or a backup")
    recover.set_defaults(func=cmd_recover)


def cmd_check(args: argparse.Namespace) -> int:
    from motools.store.health import check_store
    from motools.store.paths import resolve_home

    report = check_store(resolve_home())
    for label, text in report.lines:
        print(f"{label + ':':<11}{safe_text(text)}")
    for w in report.warnings:
        print(f"{'note:':<11}{safe_text(w)}")
    for d in report.damaged:
        print(f"{'DAMAGED:':<11}{safe_text(d)}")
    if report.damaged:
        print(
            f"\nthe store is damaged; copy what can still be read into a new store (the damaged file is kept) "
            f"with:\n  motools store recover {report.db_path}"
        )
        backups = sorted((report.db_path.parent / "backups").glob("*.db"))
        if backups:
            print(f"or start from the newest backup:\n  motools store recover {backups[-1]}")
        return 2
    print("\nthe store is healthy" if report.lines else "")
    return 0


def cmd_recover(args: argparse.Namespace) -> int:
    from motools.store.health import recover_store
    from motools.store.paths import resolve_home

    report = recover_store(Path(args.file), resolve_home())
    copied = ", ".join(f"{n:,} {t}" for t, n in report.copied.items() if n) or "nothing"
    print(f"new store: {report.db_path}")
    print(f"copied:    {copied}")
    if report.unreadable:
        print("skipped:   " + ", ".join(f"{n} damaged stretch(es) of {t}" for t, n in report.unreadable.items()))
    if report.lost_tables:
        print(f"lost:      {', '.join(report.lost_tables)} (unreadable)")
    if report.dropped:
        print("dropped:   " + ", ".join(f"{n} {t} whose parent was lost" for t, n in report.dropped.items()))
    print(f"kept:      {report.kept} (the file recovered from, unchanged)")
    print("sweeps that were running show as interrupted: 'motools sweep resume NAME' finishes them")
    return 0
