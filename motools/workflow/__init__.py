"""Workflows of cached steps, and sweeps of them over parameter grids."""

from motools.workflow.base import Step, Workflow
from motools.workflow.context import StepContext
from motools.workflow.grid import expand_grid
from motools.workflow.state import StepState, WorkflowState
from motools.workflow.sweep import (
    create_sweep,
    launch_detached,
    spawn_worker,
    load_sweep_states,
    resume_sweep,
    run_spec,
    run_sweep,
)

__all__ = [
    "Step", "StepContext", "StepState", "Workflow", "WorkflowState", "create_sweep", "expand_grid",
    "launch_detached", "load_sweep_states",
    "resume_sweep", "run_spec", "run_sweep", "spawn_worker",
]
