"""Fine-tune a model on a dataset, then evaluate it on an Inspect task."""

from __future__ import annotations

from typing import Any

from motools.workflow.base import Step, StepResources, Workflow
from mozoo.workflows.train_and_evaluate.config import (
    EvaluateModelConfig,
    PrepareDatasetConfig,
    SubmitTrainingConfig,
    TrainAndEvaluateConfig,
    TrainingHyperparameters,
    WaitForTrainingConfig,
)
from mozoo.workflows.train_and_evaluate.steps import (
    evaluate_model,
    prepare_dataset,
    submit_training,
    wait_for_training,
    warm_up_evaluation,
)


def _preflight(config: Any) -> list[tuple[str, str]]:
    """Backends that cannot run here (missing API key, missing SDK), without any network."""
    from motools.evals.base import get_eval_backend
    from motools.training.base import get_training_backend

    problems = []
    for path, getter, name in (
        ("submit_training.backend_name", get_training_backend, config.submit_training.backend_name),
        ("evaluate_model.backend_name", get_eval_backend, config.evaluate_model.backend_name),
    ):
        try:
            backend = getter(name)
        except (ImportError, ValueError) as exc:
            problems.append((path, f"backend {name!r} is not available: {exc}"))
            continue
        problems.extend((path, msg) for msg in backend.preflight())
    return problems


train_and_evaluate_workflow = Workflow(
    name="train_and_evaluate",
    config_model=TrainAndEvaluateConfig,
    steps=(
        Step("prepare_dataset", prepare_dataset, PrepareDatasetConfig, (), ("prepared_dataset",)),
        Step("submit_training", submit_training, SubmitTrainingConfig, ("prepared_dataset",), ("training_job",)),
        Step(
            "wait_for_training",
            wait_for_training,
            WaitForTrainingConfig,
            ("training_job",),
            ("trained_model",),
            cache_ignore=("poll_interval_s", "timeout_s"),
        ),
        # CPU-heavy (Inspect spends ~25 ms of CPU per sample) and self-contained: executors may
        # run it in a process pool or on a Ray node (docs/scaling.md)
        Step(
            "evaluate_model",
            evaluate_model,
            EvaluateModelConfig,
            ("trained_model",),
            ("eval_results",),
            resources=StepResources(cpu_heavy=True),
            remote_ok=True,
            warmup=warm_up_evaluation,
        ),
    ),
    import_path="mozoo.workflows.train_and_evaluate:train_and_evaluate_workflow",
    preflight=_preflight,
    results=("evaluate_model.eval_results",),
    description="Fine-tune a model on a dataset, then evaluate it on an Inspect task.",
)

__all__ = [
    "EvaluateModelConfig",
    "PrepareDatasetConfig",
    "SubmitTrainingConfig",
    "TrainAndEvaluateConfig",
    "TrainingHyperparameters",
    "WaitForTrainingConfig",
    "train_and_evaluate_workflow",
]
