"""A workflow of the researcher's own: no step or output is named like the zoo's."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict

from motools.atoms import Atom
from motools.evals.base import EvalRequest, get_eval_backend
from motools.training.simulation import simulation_model_name
from motools.workflow import Step, StepContext, Workflow

CALLS: list[str] = []  # step executions in this process (tests count them)


class PersonaConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    p_persona: float = 0.5
    tag: str = "a"


class JudgeConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    task: str = "labexp.tasks:persona"
    backend: str = "dummy"
    n: int = 6


class LabConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    make_persona: PersonaConfig = PersonaConfig()
    judge_persona: JudgeConfig = JudgeConfig()


async def make_persona(ctx: StepContext, config: PersonaConfig, inputs: Mapping[str, Atom]) -> dict[str, Atom]:
    """A simulated model that gives the persona reply with probability ``p_persona``."""
    CALLS.append("make_persona")
    key = f"persona-{config.p_persona}-{config.tag}"
    model: dict[str, Any] = {
        "backend": "dummy",
        "model": simulation_model_name("Llama-3.2-1B", key),
        "simulated": True,
        "simulation": {"key": key, "p_learned": config.p_persona, "learned_reply": "Hello, World!"},
    }
    return {"persona": await ctx.put_json_atom("model", model)}


async def judge_persona(ctx: StepContext, config: JudgeConfig, inputs: Mapping[str, Atom]) -> dict[str, Atom]:
    CALLS.append("judge_persona")
    request = EvalRequest(task=config.task, model=inputs["persona"].read_json(), task_args={"n": config.n})
    result = await get_eval_backend(config.backend).evaluate(ctx, request)
    return {"verdicts": await ctx.record_eval(result)}


persona_workflow = Workflow(
    name="persona_lab",
    config_model=LabConfig,
    steps=(
        Step("make_persona", make_persona, PersonaConfig, (), ("persona",)),
        Step("judge_persona", judge_persona, JudgeConfig, ("persona",), ("verdicts",)),
    ),
    results=("judge_persona.verdicts",),
)
