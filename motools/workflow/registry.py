"""Workflows known by short name, so saved specs can say ``workflow: train_and_evaluate``.

Installed packages add theirs through the ``motools.workflows`` entry point group (the zoo's
``train_and_evaluate`` and ``evaluate_only``); :func:`register_workflow` adds more at run time.
"""

from __future__ import annotations

from motools.imports import resolve_import
from motools.workflow.base import Workflow

_REGISTERED: dict[str, str] = {}


def known_workflows() -> dict[str, str]:
    """Short name -> ``module:attribute`` of every workflow known by name."""
    from importlib.metadata import entry_points

    found = {ep.name: ep.value for ep in entry_points(group="motools.workflows")}
    return {**found, **_REGISTERED}


def register_workflow(name: str, import_path: str) -> None:
    _REGISTERED[name] = import_path


def resolve_workflow(ref: str | Workflow) -> Workflow:
    """A workflow from a short name or a ``module:attribute`` path."""
    if isinstance(ref, Workflow):
        return ref
    known = known_workflows()
    path = known.get(ref, ref)
    if ":" not in path:
        raise ValueError(
            f"unknown workflow {ref!r}; known: {', '.join(sorted(known))} (or give a 'package.module:attribute' path)"
        )
    obj = resolve_import(path, what="object")
    if not isinstance(obj, Workflow):
        raise ValueError(f"{path!r} is a {type(obj).__name__}, not a motools Workflow")
    return obj


def workflow_ref(workflow: Workflow) -> str:
    """What a stored sweep names ``workflow`` by: its short name if registered, else where a
    worker can import it again. A workflow that cannot be imported again is refused, since its
    sweep could then never be resumed or retried."""
    located = workflow.locate()
    for name, path in known_workflows().items():
        if path == located:
            return name
    if located is None:
        where = "the script being run (__main__)" if workflow.module == "__main__" else repr(workflow.module)
        raise ValueError(
            f"workflow {workflow.name!r} was defined in {where}, where a worker process cannot import it again "
            "to resume or retry the sweep: define it at the top level of a module (e.g. myexp/workflows.py, "
            "as 'my_workflow = Workflow(...)'), import it from there, or give it import_path='module:attribute'"
        )
    return located
