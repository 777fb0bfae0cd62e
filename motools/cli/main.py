"""Entry point: parse arguments, dispatch, and turn user errors into messages and exit codes.

Exit status: 0 when everything asked for succeeded, 1 when some runs failed (or were
cancelled), 2 on bad input. User errors never print a traceback.
"""

from __future__ import annotations

import argparse
import logging
import os
import sqlite3
import sys
from collections.abc import Sequence

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's default exit code is 2 too; keep one style
        self.print_usage(sys.stderr)
        print(f"error: {message}", file=sys.stderr)
        sys.exit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    from motools.cli import cache_cmds, spec_cmds, store_cmds, sweep_cmds

    parser = _Parser(prog="motools", description="Fine-tune, evaluate and compare model organisms.")
    parser.add_argument("--home", help="the .motools folder to use (default: $MOTOOLS_HOME or ./.motools)")
    parser.add_argument("-v", "--verbose", action="store_true", help="show debug logs")
    sub = parser.add_subparsers(dest="group", metavar="{spec,sweep,cache,store,tui}", parser_class=_Parser)
    spec_cmds.register(sub)
    sweep_cmds.register(sub)
    cache_cmds.register(sub)
    store_cmds.register(sub)
    tui = sub.add_parser("tui", help="open the terminal app")
    tui.set_defaults(func=_run_tui)
    return parser


def _run_tui(args: argparse.Namespace) -> int:
    try:
        from motools_tui.app import run_app
    except ImportError as exc:
        from motools.errors import MotoolsError

        raise MotoolsError(f"the terminal app is not available: {exc}") from exc
    return run_app(home=args.home)


class _SafeFormatter(logging.Formatter):
    """Log lines carry run errors and parameters from specs: escape control characters."""

    def format(self, record: logging.LogRecord) -> str:
        from motools.text import safe_text

        return safe_text(super().format(record))


def _configure_logging(verbose: bool) -> None:
    """Our own stderr handler on the ``motools`` logger: Inspect installs handlers on the root
    logger during an evaluation, which would otherwise swallow motools' warnings."""
    logger = logging.getLogger("motools")
    if not any(getattr(h, "_motools_cli", False) for h in logger.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(_SafeFormatter("%(levelname)s %(name)s: %(message)s"))
        handler._motools_cli = True  # marks our handler, so a second main() adds none
        logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if verbose else logging.WARNING)
    logger.propagate = False


def main(argv: Sequence[str] | None = None) -> int:
    from motools.errors import MotoolsError
    from motools.text import safe_text

    parser = build_parser()
    args = parser.parse_args(argv)
    _configure_logging(args.verbose)
    if args.home:
        os.environ["MOTOOLS_HOME"] = os.path.abspath(args.home)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        code = int(args.func(args) or 0)
        sys.stdout.flush()  # here, so a reader that went away is noticed inside the try
        return code
    except MotoolsError as exc:
        print(f"error: {safe_text(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted (Ctrl-C)", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`motools sweep list | head`): end quietly, as Unix tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except sqlite3.DatabaseError as exc:  # damaged store, deleted log, failing disk: say so, and the way out
        from motools.store.health import explain
        from motools.store.paths import DB_NAME, resolve_home

        print(f"error: {safe_text(explain(resolve_home() / DB_NAME, exc))}", file=sys.stderr)
        return EXIT_USAGE
