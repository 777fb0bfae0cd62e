"""Workflows known by short name, so saved specs can say ``workflow: train_and_evaluate``."""

from __future__ import annotations

from motools.imports import resolve_import
from motools.workflow.base import Workflow

WORKFLOWS: dict[str, str] = {
    "train_and_evaluate": "mozoo.workflows.train_and_evaluate:train_and_evaluate_workflow",
}


def register_workflow(name: str, import_path: str) -> None:
    WORKFLOWS[name] = import_path


def resolve_workflow(ref: str | Workflow) -> Workflow:
    """A workflow from a short name or a ``module:attribute`` path."""
    if isinstance(ref, Workflow):
        return ref
    path = WORKFLOWS.get(ref, ref)
    if ":" not in path:
        raise ValueError(
            f"unknown workflow {ref!r}; known: {', '.join(sorted(WORKFLOWS))} "
            "(or give a 'module:attribute' path)"
        )
    obj = resolve_import(path, what="object")
    if not isinstance(obj, Workflow):
        raise ValueError(f"{path!r} is a {type(obj).__name__}, not a motools Workflow")
    return obj


def workflow_ref(workflow: Workflow) -> str:
    """The name a spec should store for ``workflow``: its short name if registered."""
    for name, path in WORKFLOWS.items():
        if path == workflow.import_path or name == workflow.name:
            return name
    return workflow.import_path or workflow.name
