"""``motools cache list | clear``: the results steps reuse instead of running again."""

from __future__ import annotations

import argparse
import time
from typing import Any

from motools.cli.output import format_table
from motools.text import safe_text


def register(sub: Any) -> None:
    p = sub.add_parser("cache", help="cached step results (what re-runs skip)")
    s = p.add_subparsers(dest="cmd", metavar="{list,clear}", required=True)
    for verb, text in (
        ("list", "list cached step results, newest first"),
        ("clear", "forget cached results, so those steps run again next time"),
    ):
        cmd = s.add_parser(verb, help=text)
        cmd.add_argument("--step", help="only this step's results")
        cmd.add_argument("--sweep", metavar="NAME", help="only results produced by this sweep's runs")
        cmd.set_defaults(func=cmd_list if verb == "list" else cmd_clear)


def _sweep_id(args: argparse.Namespace) -> int | None:
    from motools.store import open_store

    return int(open_store().get_sweep(args.sweep)["id"]) if args.sweep else None


def cmd_list(args: argparse.Namespace) -> int:
    from motools.store import open_store

    entries = open_store().read.cache_entries(step=args.step, sweep_id=_sweep_id(args))
    if not entries:
        print("no cached results" + (" matching" if args.step or args.sweep else ""))
        return 0
    rows = [
        (
            safe_text(e["step_name"]),
            safe_text(e["workflow"] or "-"),
            safe_text(e["sweep"] or "-"),
            "-" if e["run_idx"] is None else f"#{e['run_idx']}",
            time.strftime("%Y-%m-%d %H:%M", time.localtime(e["created_at"])),
            e["cache_key"][:12],
        )
        for e in entries
    ]
    print(format_table(["step", "workflow", "sweep", "run", "created", "key"], rows))
    print(f"\n{len(rows)} cached result(s)")
    return 0


def cmd_clear(args: argparse.Namespace) -> int:
    from motools.store import open_store
    from motools.store.cache import clear_cache

    n = clear_cache(open_store(), step=args.step, sweep_id=_sweep_id(args))
    what = " and ".join(
        x for x in (f"step {args.step}" if args.step else "", f"sweep {args.sweep}" if args.sweep else "") if x
    )
    print(f"cleared {n} cached result(s){' of ' + what if what else ''}; those steps run again next time")
    return 0
