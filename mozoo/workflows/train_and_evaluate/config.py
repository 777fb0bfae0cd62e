"""Typed configs of the ``train_and_evaluate`` steps (plain dicts are accepted too)."""

from __future__ import annotations

import functools
import inspect
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from motools.evals.base import eval_backend_names
from motools.imports import resolve_import
from motools.training.base import training_backend_names


class _StepConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _check_import(value: str) -> str:
    resolve_import(value)
    return value


@functools.lru_cache(maxsize=256)
def _parameters(fn: Any) -> Any:
    try:
        return inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return None


def _check_kwargs(fn: Any, kwargs: dict[str, Any], what: str) -> None:
    params = _parameters(fn)
    if params is None:
        return
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return
    unknown = [k for k in kwargs if k not in params]
    if unknown:
        raise ValueError(
            f"{what} got unexpected argument(s) {', '.join(map(repr, unknown))}; "
            f"it accepts: {', '.join(params) or 'no arguments'}"
        )


class PrepareDatasetConfig(_StepConfig):
    dataset_loader: str = Field(description="'module:function' returning a list of chat examples")
    loader_kwargs: dict[str, Any] = Field(default_factory=dict)

    @field_validator("dataset_loader")
    @classmethod
    def _loader_resolves(cls, v: str) -> str:
        return _check_import(v)

    @model_validator(mode="after")
    def _kwargs_fit(self) -> PrepareDatasetConfig:
        _check_kwargs(resolve_import(self.dataset_loader), self.loader_kwargs, self.dataset_loader)
        return self


class TrainingHyperparameters(_StepConfig):
    n_epochs: int = Field(3, ge=1, le=1000)
    learning_rate: float = Field(1e-4, gt=0, lt=1)
    lora_rank: int = Field(8, ge=1, le=1024)
    batch_size: int = Field(4, ge=1)
    seed: int = 0
    checkpoint_every: int | None = Field(None, ge=1, description="tinker: save_state every N steps")


class SubmitTrainingConfig(_StepConfig):
    model: str = Field(min_length=1, description="base model, e.g. meta-llama/Llama-3.2-1B")
    hyperparameters: TrainingHyperparameters = Field(default_factory=TrainingHyperparameters)
    suffix: str | None = None
    backend_name: str
    latency_s: float = Field(0.0, ge=0, description="dummy backend: simulated training time")
    transient_failure_rate: float = Field(0.0, ge=0, le=1, description="dummy backend: retried failures")
    permanent_failure_rate: float = Field(0.0, ge=0, le=1, description="dummy backend: failures that end the run")

    @field_validator("backend_name")
    @classmethod
    def _known_backend(cls, v: str) -> str:
        if v not in training_backend_names():
            raise ValueError(f"unknown training backend {v!r}; expected one of: {', '.join(training_backend_names())}")
        return v


class WaitForTrainingConfig(_StepConfig):
    poll_interval_s: float = Field(1.0, gt=0)
    timeout_s: float | None = Field(None, gt=0)


class EvaluateModelConfig(_StepConfig):
    eval_task: str = Field(description="'module:function' returning an Inspect Task")
    backend_name: str
    task_args: dict[str, Any] = Field(default_factory=dict)
    limit: int | None = Field(None, ge=1)
    epochs: int = Field(1, ge=1)
    latency_s: float = Field(
        0.0, ge=0, description="simulated time: per evaluation (dummy) or per reply of a simulated model (inspect)"
    )
    transient_failure_rate: float = Field(0.0, ge=0, le=1, description="dummy backend: retried failures")
    permanent_failure_rate: float = Field(0.0, ge=0, le=1, description="dummy backend: failures that end the run")

    @field_validator("eval_task")
    @classmethod
    def _task_resolves(cls, v: str) -> str:
        return _check_import(v)

    @field_validator("backend_name")
    @classmethod
    def _known_backend(cls, v: str) -> str:
        if v not in eval_backend_names():
            raise ValueError(f"unknown evaluation backend {v!r}; expected one of: {', '.join(eval_backend_names())}")
        return v

    @model_validator(mode="after")
    def _args_fit(self) -> EvaluateModelConfig:
        _check_kwargs(resolve_import(self.eval_task), self.task_args, self.eval_task)
        return self


class TrainAndEvaluateConfig(_StepConfig):
    prepare_dataset: PrepareDatasetConfig
    submit_training: SubmitTrainingConfig
    wait_for_training: WaitForTrainingConfig = Field(default_factory=WaitForTrainingConfig)
    evaluate_model: EvaluateModelConfig
