"""Workflows of cached steps, and sweeps of them over parameter grids."""

from motools.workflow.base import Step, StepResources, Workflow
from motools.workflow.context import StepContext
from motools.workflow.events import RunEvent, RunObserver, SweepControl
from motools.workflow.grid import expand_grid
from motools.workflow.launch import (
    SweepOutcome,
    detach_sweep,
    execute_sweep,
    record_sweep,
    resume_sweep,
    run_sweep,
)
from motools.workflow.state import StepState, WorkflowState

__all__ = [
    "RunEvent",
    "RunObserver",
    "Step",
    "StepContext",
    "StepResources",
    "StepState",
    "SweepControl",
    "SweepOutcome",
    "Workflow",
    "WorkflowState",
    "detach_sweep",
    "execute_sweep",
    "expand_grid",
    "record_sweep",
    "resume_sweep",
    "run_sweep",
]
