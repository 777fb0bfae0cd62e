"""Reading a spec file's text and its YAML, before (and without) validating it.

Light on purpose (no pydantic, no engine): the command reads a spec here first, so that it can
start what the spec asks for early (a process pool) while :mod:`motools.specs` validates it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

from motools.errors import SpecError
from motools.yamlio import YamlSyntaxError, load_yaml


def load_text(text: str, source: str | None = None) -> Any:
    """A spec document's data, held to :mod:`motools.limits`; malformed YAML is a SpecError."""
    try:
        return load_yaml(text)
    except YamlSyntaxError as exc:
        raise SpecError([("", str(exc), exc.line)], source) from None


def read_spec_file(path: str | os.PathLike[str], home: str | os.PathLike[str] | None = None) -> str:
    """A spec file's text, or a :class:`SpecError` naming the file (one over the size limit is
    refused before it is read)."""
    from motools.limits import Limits, check_file_size

    p = Path(path)
    limits = Limits.current(home)
    try:
        with open(p, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                raise SpecError([("", "not a regular file")], str(p))
            check_file_size(os.fstat(fh.fileno()).st_size, limits, str(p))
            raw = fh.read(limits.spec_bytes + 1)
        check_file_size(len(raw), limits, str(p))  # grew meanwhile
        return raw.decode()
    except FileNotFoundError:
        raise SpecError([("", "file not found")], str(p)) from None
    except IsADirectoryError:
        raise SpecError([("", "a directory, not a spec file")], str(p)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError([("", f"cannot read the file: {exc}")], str(p)) from None


def declared_execution(text: str) -> dict[str, Any]:
    """A spec text's ``execution`` section, read without validating the spec (empty if it has
    none or cannot be read: validation says why)."""
    try:
        data = load_text(text)
    except Exception:
        return {}
    execution = data.get("execution") if isinstance(data, dict) else None
    return execution if isinstance(execution, dict) else {}


def declared_executor(text: str) -> str | None:
    """The ``execution.executor`` a spec's text names, read before the spec is validated, so a
    pool can start early."""
    executor = declared_execution(text).get("executor")
    return executor if isinstance(executor, str) else None


__all__ = ["declared_execution", "declared_executor", "load_text", "read_spec_file"]
