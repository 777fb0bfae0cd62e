"""Evaluate a model as it is, untrained: the baseline a fine-tuned sweep is compared with.

``model_id`` is any Inspect model name (``openai/gpt-4.1-nano``, ``vllm/...``,
``openai-api/<service>/<model>``) or ``motools-simulated/<base model>`` (for example
``motools-simulated/Llama-3.2-1B``): the untrained base model as an offline simulation, the
baseline of a ``dummy``-trained sweep. The evaluation config is ``train_and_evaluate``'s, so a
baseline sweep and a fine-tuned sweep collate into one table (``collate_sweeps``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from motools.atoms import Atom
from motools.training.simulation import SIMULATION_PREFIX, base_model_simulation
from motools.workflow.base import Step, Workflow
from motools.workflow.context import StepContext
from mozoo.workflows.train_and_evaluate.config import EvaluateModelConfig
from mozoo.workflows.train_and_evaluate.steps import evaluate_model

SIMULATED = "motools-simulated/"


class PrepareModelConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model_id: str = Field(description="an Inspect model name, or motools-simulated/<base model>")
    model_args: dict[str, Any] = Field(default_factory=dict, description="Inspect model args (base_url...)")

    @field_validator("model_id")
    @classmethod
    def _looks_like_a_model(cls, v: str) -> str:
        provider, _, name = v.partition("/")
        if not provider or not name or v != v.strip():
            raise ValueError(
                f"expected an Inspect model name such as 'openai/gpt-4.1-nano' or "
                f"'motools-simulated/Llama-3.2-1B', got {v!r}"
            )
        return v


class EvaluateOnlyConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    prepare_model: PrepareModelConfig
    evaluate_model: EvaluateModelConfig


def model_reference(config: PrepareModelConfig) -> dict[str, Any]:
    """What the evaluation step is told about the model (the same shape training produces)."""
    if config.model_id.startswith(SIMULATED):
        base = config.model_id.removeprefix(SIMULATED)
        return {
            "backend": "simulated",
            "model": f"{SIMULATION_PREFIX}/{base}",
            "base_model": base,
            "simulated": True,
            "simulation": base_model_simulation(base),
        }
    return {
        "backend": "inspect",
        "model": config.model_id,
        "inspect_model": config.model_id,
        "inspect_model_args": dict(config.model_args),
    }


async def prepare_model(ctx: StepContext, config: PrepareModelConfig, inputs: Mapping[str, Atom]) -> dict[str, Atom]:
    model = model_reference(config)
    ctx.log(f"baseline model: {config.model_id}" + (" (an offline simulation)" if model.get("simulated") else ""))
    return {"model": await ctx.put_json_atom("model", model)}


def _preflight(config: Any) -> list[tuple[str, str]]:
    from motools.evals.base import get_eval_backend

    name = config.evaluate_model.backend_name
    try:
        backend = get_eval_backend(name)
    except (ImportError, ValueError) as exc:
        return [("evaluate_model.backend_name", f"backend {name!r} is not available: {exc}")]
    return [("evaluate_model.backend_name", msg) for msg in backend.preflight()]


evaluate_only_workflow = Workflow(
    name="evaluate_only",
    config_model=EvaluateOnlyConfig,
    steps=(
        Step("prepare_model", prepare_model, PrepareModelConfig, (), ("model",)),
        Step("evaluate_model", evaluate_model, EvaluateModelConfig, ("model",), ("eval_results",)),
    ),
    import_path="mozoo.workflows.evaluate_only:evaluate_only_workflow",
    preflight=_preflight,
    results=("evaluate_model.eval_results",),
    description="Evaluate a model as it is (a baseline): an Inspect model, or a simulated base model.",
)

__all__ = ["EvaluateOnlyConfig", "PrepareModelConfig", "evaluate_only_workflow", "model_reference"]
