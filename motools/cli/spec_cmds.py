"""``motools spec add | list | show | delete``: the saved sweep specs."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from motools.cli.output import format_table
from motools.text import safe_text


def register(sub: Any) -> None:
    p = sub.add_parser("spec", help="saved sweep specs")
    s = p.add_subparsers(dest="cmd", metavar="{add,list,show,delete}", required=True)
    add = s.add_parser("add", help="validate a spec file and save it")
    add.add_argument("file")
    add.add_argument("--name", help="save under this name instead of the file's 'name'")
    add.add_argument("--force", action="store_true", help="replace a saved spec of the same name")
    add.add_argument("--trust", action="store_true", help="trust the modules whose callables the spec names")
    add.set_defaults(func=cmd_add)
    ls = s.add_parser("list", help="list saved specs")
    ls.set_defaults(func=cmd_list)
    show = s.add_parser("show", help="print a saved spec as YAML")
    show.add_argument("name")
    show.set_defaults(func=cmd_show)
    rm = s.add_parser("delete", help="delete a saved spec (its sweeps stay)")
    rm.add_argument("name")
    rm.set_defaults(func=cmd_delete)


def cmd_add(args: argparse.Namespace) -> int:
    from motools.errors import MotoolsError
    from motools.names import check_name
    from motools.specs import load_spec
    from motools.store import open_store

    if args.name is not None:
        check_name(args.name, "--name")
    spec = load_spec(args.file, trust=args.trust)
    if args.name is not None:
        spec = spec.model_copy(update={"name": args.name})
    store = open_store()
    if store.get_spec(spec.name) is not None and not args.force:
        raise MotoolsError(f"a spec named {spec.name!r} is already saved; use --force to replace it")
    store.save_spec(spec.name, spec.to_yaml())
    print(f"saved spec {spec.name!r} ({spec.grid_size} configs) from {safe_text(str(args.file))}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from motools.specs import parse_spec_text
    from motools.store import open_store

    rows = []
    for row in open_store().list_specs():
        try:
            spec = parse_spec_text(row["yaml"], resolve=False)
            workflow, size = spec.workflow, spec.grid_size
        except Exception:
            workflow, size = "?", None
        rows.append((row["name"], workflow, size, row["last_status"] or "never run"))
    if not rows:
        print("no saved specs; add one with 'motools spec add FILE'")
        return 0
    print(format_table(["name", "workflow", "configs", "last sweep"], rows))
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from motools.errors import MotoolsError
    from motools.store import open_store

    row = open_store().get_spec(args.name)
    if row is None:
        raise MotoolsError(f"no saved spec named {args.name!r}; see 'motools spec list'")
    sys.stdout.write(safe_text(row["yaml"]))
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    from motools.errors import MotoolsError
    from motools.store import open_store

    if not open_store().delete_spec(args.name):
        raise MotoolsError(f"no saved spec named {args.name!r}")
    print(f"deleted spec {args.name!r}")
    return 0
