"""The ``motools`` command line: specs, sweeps, results."""

from motools.cli.main import main


def console() -> int:
    """The ``motools`` command: :func:`main` in a process of its own."""
    from motools import heap
    from motools.store.db import close_stores

    heap.own_process()
    try:
        return main()
    finally:
        close_stores()


__all__ = ["console", "main"]
