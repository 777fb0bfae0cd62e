"""A workflow whose second step may run away from the driver and probes what it gets there.

``make`` (always in the driver) makes the probe's inputs: a JSON atom, a file atom, and an
atom that is no input of ``probe`` (its id travels inside the JSON). ``probe`` (``remote_ok``,
``cpu_heavy``; optionally asking Ray for a GPU or a custom resource) reads them, logs, reports
progress, records an evaluation result and returns where it ran. Its config can make it crash
its own process once (after saving a checkpoint), sleep until cancelled, or fail.
"""

from __future__ import annotations

import asyncio
import gc
import os
import signal
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from motools.atoms import Atom
from motools.evals.base import EvalResult, SampleScore
from motools.workflow.base import Step, StepResources, Workflow
from motools.workflow.context import StepContext


class MakeConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    x: int = 0


class ProbeConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    marker_dir: str = ""
    crash_once: bool = False  # the first probe to get here saves a checkpoint and SIGKILLs its process
    sleep_s: float = 0.0
    fail: str | None = None
    fetch_extra: bool = True  # load an atom that is no input (the driver's store has it; Ray gets only inputs)


class ProbeWorkflowConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    make: MakeConfig = MakeConfig()
    probe: ProbeConfig = ProbeConfig()


async def make(ctx: StepContext, config: MakeConfig, inputs: Mapping[str, Atom]) -> dict[str, Atom]:
    extra = await ctx.put_json_atom("extra", {"secret": config.x * 7})
    seed = await ctx.put_json_atom("seed", {"x": config.x, "extra": extra.id})
    blob = await ctx.put_file_atom("blob", bytes([config.x % 256]) * 100_000)
    return {"seed": seed, "blob": blob}


async def probe(ctx: StepContext, config: ProbeConfig, inputs: Mapping[str, Atom]) -> dict[str, Atom]:
    seed = inputs["seed"].read_json()
    blob = inputs["blob"].read_bytes()
    extra = (await ctx.load_atom(seed["extra"])).read_json() if config.fetch_extra else {"secret": seed["x"] * 7}
    ctx.log(f"probe of x={seed['x']} in process {os.getpid()}")
    ctx.progress(1, 2, "half way")
    resumed = ctx.checkpoint
    marker = Path(config.marker_dir) if config.marker_dir else None
    if config.crash_once and marker is not None and resumed is None:
        try:
            fd = os.open(marker / "crashed", os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            pass
        else:
            os.write(fd, str(os.getpid()).encode())
            os.close(fd)
            await ctx.save_checkpoint({"crashed_pid": os.getpid(), "x": seed["x"]})
            os.kill(os.getpid(), signal.SIGKILL)
    if config.sleep_s:
        if marker is not None:
            (marker / f"started-{seed['x']}").write_text(str(os.getpid()))
        try:
            await asyncio.sleep(config.sleep_s)
        except asyncio.CancelledError:
            if marker is not None:
                (marker / f"cancelled-{seed['x']}").write_text(str(os.getpid()))
            raise
    if config.fail:
        raise ValueError(f"{config.fail} (x={seed['x']})")
    result = EvalResult(
        task="probe",
        metrics={"accuracy": (seed["x"] % 2) * 1.0},
        samples=[SampleScore(f"s{i}", float((seed["x"] + i) % 2), 1, "answer", "target") for i in range(3)],
    )
    evaluation = await ctx.record_eval(result)
    report = {
        "x": seed["x"],
        "pid": os.getpid(),
        "ppid": os.getppid(),
        "frozen": gc.get_freeze_count(),
        "gc_enabled": gc.isenabled(),
        "blob_ok": blob == bytes([seed["x"] % 256]) * 100_000,
        "extra": extra["secret"],
        "resumed_from": resumed,
        "cuda": os.environ.get("CUDA_VISIBLE_DEVICES"),
    }
    return {"report": await ctx.put_json_atom("report", report), "evaluation": evaluation}


def _workflow(name: str, resources: StepResources) -> Workflow:
    return Workflow(
        name=name,
        config_model=ProbeWorkflowConfig,
        steps=(
            Step("make", make, MakeConfig, (), ("seed", "blob")),
            Step(
                "probe",
                probe,
                ProbeConfig,
                ("seed", "blob"),
                ("report", "evaluation"),
                resources=resources,
                remote_ok=True,
            ),
        ),
        results=("probe.evaluation",),
        module=__name__,
    )


probe_workflow = _workflow("probe", StepResources(cpu_heavy=True))
gpu_probe_workflow = _workflow("gpu_probe", StepResources(num_gpus=1))


def reports(states: list[Any]) -> list[dict[str, Any]]:
    """Each finished run's probe report, in grid order."""
    return [s.load_atom(s.get_step_state("probe").output_atoms["report"]).read_json() for s in states]
