"""The four steps: build the dataset, submit training, wait for it, evaluate the model."""

from __future__ import annotations

import asyncio
import inspect
import json
from collections.abc import Mapping
from typing import Any

from motools.atoms import Atom
from motools.evals.base import EvalRequest, get_eval_backend
from motools.imports import resolve_import
from motools.training.base import TrainingRequest, get_training_backend
from motools.workflow.context import StepContext
from mozoo.workflows.train_and_evaluate.config import (
    EvaluateModelConfig,
    PrepareDatasetConfig,
    SubmitTrainingConfig,
    WaitForTrainingConfig,
)


def _simulation_options(config: SubmitTrainingConfig | EvaluateModelConfig) -> dict[str, Any]:
    """Knobs that only the ``dummy`` backends read (simulated time and failures)."""
    return {
        "latency_s": config.latency_s,
        "transient_failure_rate": config.transient_failure_rate,
        "permanent_failure_rate": config.permanent_failure_rate,
    }


def _examples(result: Any) -> list[dict[str, Any]]:
    """Loader output as a list of dicts (lists, iterables, or objects with ``.samples``)."""
    if hasattr(result, "samples"):
        result = result.samples
    if isinstance(result, Mapping):
        raise TypeError("a dataset loader must return a list of examples, not a mapping")
    return [dict(x) for x in result]


async def prepare_dataset(
    ctx: StepContext, config: PrepareDatasetConfig, inputs: Mapping[str, Atom]
) -> dict[str, Atom]:
    loader = resolve_import(config.dataset_loader)
    if inspect.iscoroutinefunction(loader):
        result = await loader(**config.loader_kwargs)
    else:
        result = await asyncio.to_thread(loader, **config.loader_kwargs)
    examples = _examples(result)
    data = "".join(json.dumps(ex, ensure_ascii=False) + "\n" for ex in examples).encode()
    atom = await ctx.put_file_atom(
        "dataset", data, metadata={"loader": config.dataset_loader, "kwargs": config.loader_kwargs, "n": len(examples)}
    )
    ctx.log(f"dataset ready: {len(examples)} examples")
    return {"prepared_dataset": atom}


async def submit_training(
    ctx: StepContext, config: SubmitTrainingConfig, inputs: Mapping[str, Atom]
) -> dict[str, Atom]:
    backend = get_training_backend(config.backend_name)
    request = TrainingRequest(
        base_model=config.model,
        hyperparameters=config.hyperparameters.model_dump(mode="json"),
        dataset=inputs["prepared_dataset"],
        suffix=config.suffix,
        options=_simulation_options(config),
    )
    job = await backend.submit(ctx, request)
    return {"training_job": await ctx.put_json_atom("training_job", job)}


async def wait_for_training(
    ctx: StepContext, config: WaitForTrainingConfig, inputs: Mapping[str, Atom]
) -> dict[str, Atom]:
    job = inputs["training_job"].read_json()
    backend = get_training_backend(job["backend"])
    wait = backend.wait(ctx, job)
    model = await (asyncio.wait_for(wait, config.timeout_s) if config.timeout_s else wait)
    ctx.log(f"trained model: {model.get('model')}")
    return {"trained_model": await ctx.put_json_atom("model", model)}


async def evaluate_model(ctx: StepContext, config: EvaluateModelConfig, inputs: Mapping[str, Atom]) -> dict[str, Atom]:
    """Evaluate the model its one input describes (trained here, or a baseline's)."""
    (model_atom,) = inputs.values()
    model = model_atom.read_json()
    backend = get_eval_backend(config.backend_name)
    request = EvalRequest(
        task=config.eval_task,
        model=model,
        task_args=config.task_args,
        limit=config.limit,
        epochs=config.epochs,
        options=_simulation_options(config),
    )
    result = await backend.evaluate(ctx, request)
    atom = await ctx.record_eval(result, kind="eval_results")
    shown = ", ".join(f"{k}={v:.3f}" for k, v in result.metrics.items())
    ctx.log(f"{result.task}: {shown}")
    return {"eval_results": atom}


def warm_up_evaluation(config: EvaluateModelConfig) -> None:
    """Run once in a fresh process that will evaluate (a pool process): the backend's one-time
    costs (Inspect's imports) are paid before the first request, while the sweep's first steps run."""
    warm = getattr(get_eval_backend(config.backend_name), "warm_up", None)
    if warm is not None:
        warm(config.eval_task)
