"""Exceptions shared by the engine, the CLI and the app."""

from __future__ import annotations

from typing import Any, NamedTuple


class MotoolsError(Exception):
    """Base class: a problem the user can act on (shown without a traceback)."""


class SpecProblem(NamedTuple):
    path: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f" (line {self.line})" if self.line else ""
        return f"{self.path or '<root>'}{where}: {self.message}"


class SpecError(MotoolsError, ValueError):
    """A sweep spec (file, YAML text or Python config) is invalid.

    ``problems`` holds one :class:`SpecProblem` (field path, message, line) per problem so
    callers (the app's editor, the CLI) can point at each field; ``source`` names the file.
    """

    def __init__(self, problems: list[tuple[Any, ...]], source: str | None = None):
        self.problems = [SpecProblem(*p) for p in problems]
        self.source = source
        head = f"{source}: invalid sweep spec" if source else "invalid sweep spec"
        super().__init__("\n".join([head, *(f"  {p}" for p in self.problems)]))


class InvalidName(MotoolsError, ValueError):
    """A sweep or spec name that could become a path, an option or a terminal escape."""


class StoreError(MotoolsError):
    """The store cannot be opened or written (read-only, disk full, newer schema)."""


class SweepNotFound(MotoolsError, KeyError):
    def __str__(self) -> str:  # KeyError quotes its message; we do not want that
        return str(self.args[0]) if self.args else "sweep not found"


class SweepBusy(MotoolsError):
    """Another live worker already runs this sweep."""


class SweepNotRunning(MotoolsError):
    """The sweep has ended (finished, failed or cancelled): there is nothing to stop."""


class ClaimLost(MotoolsError):
    """This worker's claim on its sweep was taken over; it must stop without writing."""


class TransientError(Exception):
    """A backend error worth retrying (network hiccup, rate limit)."""


class StepFailed(Exception):
    """Raised inside a run when one of its steps failed; carries the step name."""

    def __init__(self, step: str, error: BaseException):
        self.step = step
        self.error = error
        super().__init__(f"step {step!r} failed: {type(error).__name__}: {error}")
