"""The ``motools`` command line: specs, sweeps, results."""

from motools.cli.main import main

__all__ = ["main"]
