"""The ``motools`` command line: specs, sweeps, results."""

from motools.cli.main import main


def console() -> int:
    """The ``motools`` command: :func:`main` in a process of its own."""
    from motools import heap

    heap.own_process()
    try:
        return main()
    finally:
        from motools.store.db import close_stores  # here: a process pool starts before the store loads

        close_stores()


__all__ = ["console", "main"]
