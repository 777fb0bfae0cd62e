"""Did a finished sweep's worker write the spec's ``output:`` files? It writes them itself
after the last run (refusing to replace files unless the launch said so) and logs either
``wrote PATH`` or why it did not in ``<home>/workers/<sweep>.log``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from motools.status import Status
from motools.text import first_line

NOT_WRITTEN = "output files were not written:"
PENDING = "output: being written…"
WAIT_S = 120.0  # after the sweep ended, how long a missing file may still be on its way


def outputs_note(home: Path, sweep: dict[str, Any], now: float) -> str | None:
    """``output: wrote results.csv``, ``output: ... not written: <why> (see <log>)``, ``output:
    being written…``, or None when the spec asks for no files or the sweep did not finish.
    Call from a thread (it parses the spec and reads the worker's log)."""
    if sweep.get("status") != Status.FINISHED or not sweep.get("spec_yaml"):
        return None
    from motools.analysis.export import output_paths
    from motools.specs import parse_spec_text

    try:
        spec = parse_spec_text(sweep["spec_yaml"], resolve=False)
    except Exception:
        return None
    paths = output_paths(spec.output, sweep["name"])
    if not paths:
        return None
    workdir = Path(sweep.get("workdir") or home.parent)
    ended = float(sweep.get("finished_at") or 0.0)
    missing = []
    for p in paths:
        full = p if p.is_absolute() else workdir / p
        try:
            fresh = full.stat().st_mtime >= ended - 1.0
        except OSError:
            fresh = False
        if not fresh:
            missing.append(str(p))
    if not missing:
        return "output: wrote " + ", ".join(str(p) for p in paths)
    log = home / "workers" / f"{sweep['name']}.log"
    why = _refusal(log)
    if why is None and now - ended < WAIT_S:
        return PENDING
    return f"output: {', '.join(missing)} not written: {why or 'no file'} (see {log})"


def _refusal(log: Path) -> str | None:
    """The reason the worker gave, from the end of its log, if it gave one."""
    try:
        with log.open("rb") as fh:
            fh.seek(0, 2)
            fh.seek(max(0, fh.tell() - 16_384))
            tail = fh.read().decode(errors="replace")
    except OSError:
        return None
    for line in reversed(tail.splitlines()):
        if NOT_WRITTEN in line:
            return first_line(line.split(NOT_WRITTEN, 1)[1]) or "see the log"
    return None
