"""Every test gets its own store and working directory; nothing touches the repo's .motools."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from motools.evals import base as eval_base
from motools.training import base as train_base
from tests.engine.helpers import LOADER_CALLS, CountingEval, CountingTraining

os.environ.setdefault("TINKER_TELEMETRY", "0")
os.environ.setdefault("INSPECT_DISPLAY", "none")


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / ".motools"
    monkeypatch.setenv("MOTOOLS_HOME", str(home))
    monkeypatch.delenv("TINKER_API_KEY", raising=False)
    monkeypatch.chdir(tmp_path)
    return home


@pytest.fixture
def store(isolated_home: Path):
    from motools.store import Store

    s = Store(isolated_home)
    yield s
    s.close()


@pytest.fixture
def counting() -> Iterator[tuple[CountingTraining, CountingEval]]:
    """Backends named ``counting`` that record every call, removed after the test."""
    training, evaluation = CountingTraining(), CountingEval()
    train_base.register_training_backend("counting", training)
    eval_base.register_eval_backend("counting", evaluation)
    LOADER_CALLS.clear()
    yield training, evaluation
    train_base.training_backends.unregister("counting")
    eval_base.eval_backends.unregister("counting")


def make_config(training: str = "dummy", evaluation: str = "dummy", **overrides: Any) -> Any:
    """The train_and_evaluate config the engine tests use: a small counted dataset."""
    from mozoo.workflows.train_and_evaluate import TrainAndEvaluateConfig

    cfg: dict[str, Any] = {
        "prepare_dataset": {
            "dataset_loader": "tests.engine.helpers:counting_loader",
            "loader_kwargs": {"num_samples": 20},
        },
        "submit_training": {
            "model": "meta-llama/Llama-3.2-1B",
            "hyperparameters": {"n_epochs": 2, "lora_rank": 8, "batch_size": 4},
            "backend_name": training,
        },
        "wait_for_training": {},
        "evaluate_model": {"eval_task": "mozoo.tasks.hello_world:hello_world", "backend_name": evaluation},
    }
    for key, value in overrides.items():
        cfg[key] = {**cfg[key], **value}
    return TrainAndEvaluateConfig(**cfg)
