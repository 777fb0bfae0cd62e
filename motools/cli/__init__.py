"""The ``motools`` command line: specs, sweeps, results."""

from motools.cli.main import main


def console() -> int:
    """The ``motools`` command: :func:`main` in a process of its own."""
    from motools import heap

    heap.own_process()
    return main()


__all__ = ["console", "main"]
