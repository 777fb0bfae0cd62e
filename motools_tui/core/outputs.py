"""Did a finished sweep's worker write the spec's ``output:`` files? (It writes them itself
after the last run, refusing to replace files unless the launch said so.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from motools.liveness import pid_alive
from motools.status import Status


def outputs_note(home: Path, sweep: dict[str, Any], last_finished: float | None) -> str | None:
    """``output: wrote results.csv``, ``output: ... not written (see the worker log)``, or
    None when the spec asks for no files or the sweep did not finish. Call from a thread."""
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
    if sweep.get("worker_pid") and pid_alive(sweep["worker_pid"], sweep.get("worker_token")):
        return "output: being written…"
    since = (last_finished or 0.0) - 2.0
    missing = []
    for p in paths:
        full = p if p.is_absolute() else workdir / p
        try:
            fresh = full.stat().st_mtime >= since
        except OSError:
            fresh = False
        if not fresh:
            missing.append(str(p))
    if not missing:
        return "output: wrote " + ", ".join(str(p) for p in paths)
    log = home / "workers" / f"{sweep['name']}.log"
    return f"output: {', '.join(missing)} not written (see {log})"
