"""Starting points for new specs (the 'new' key offers these)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Template:
    key: str
    title: str
    description: str
    yaml: str


HELLO_WORLD = """\
# Fine-tune a small model to say "Hello, World!" at three learning rates.
# Offline: the dummy training backend simulates the fine-tuned model.
name: hello-world
workflow: train_and_evaluate
base_config:
  prepare_dataset:
    dataset_loader: mozoo.datasets.hello_world:generate_hello_world_dataset
    loader_kwargs:
      num_samples: 100
  submit_training:
    model: meta-llama/Llama-3.2-1B
    hyperparameters:
      n_epochs: 2
      lora_rank: 8
      batch_size: 4
    suffix: sweep
    backend_name: dummy
    latency_s: 1.0
  wait_for_training: {}
  evaluate_model:
    eval_task: mozoo.tasks.hello_world:hello_world
    backend_name: dummy
param_grid:
  submit_training.hyperparameters.learning_rate: [1e-4, 5e-5, 1e-5]
execution:
  max_parallel: 3
  retries: 2
"""

LR_SEEDS = """\
# Learning rate x seed: three seeds per learning rate give confidence intervals.
# Offline: the dummy backends simulate training and evaluation.
name: lr-seeds
workflow: train_and_evaluate
base_config:
  prepare_dataset:
    dataset_loader: mozoo.datasets.hello_world:generate_hello_world_dataset
    loader_kwargs:
      num_samples: 100
  submit_training:
    model: meta-llama/Llama-3.2-1B
    hyperparameters:
      n_epochs: 2
      lora_rank: 8
      batch_size: 4
    backend_name: dummy
    latency_s: 2.0
  wait_for_training: {}
  evaluate_model:
    eval_task: mozoo.tasks.hello_world:hello_world
    backend_name: dummy
param_grid:
  submit_training.hyperparameters.learning_rate: [1e-4, 5e-5, 1e-5]
  submit_training.hyperparameters.seed: [1, 2, 3]
execution:
  max_parallel: 4
  retries: 2
"""

TINKER_INSPECT = """\
# Real training on Tinker (needs TINKER_API_KEY) and a real Inspect evaluation.
name: tinker-hello-world
workflow: train_and_evaluate
base_config:
  prepare_dataset:
    dataset_loader: mozoo.datasets.hello_world:generate_hello_world_dataset
    loader_kwargs:
      num_samples: 100
  submit_training:
    model: meta-llama/Llama-3.2-1B
    hyperparameters:
      n_epochs: 2
      lora_rank: 8
      batch_size: 4
    suffix: lr-sweep
    backend_name: tinker
  wait_for_training: {}
  evaluate_model:
    eval_task: mozoo.tasks.hello_world:hello_world
    backend_name: inspect
param_grid:
  submit_training.hyperparameters.learning_rate: [1e-4, 5e-5, 1e-5]
execution:
  max_parallel: 3
  retries: 2
"""

TEMPLATES: tuple[Template, ...] = (
    Template("hello-world", "Hello world (offline)", "3 learning rates, dummy backends", HELLO_WORLD),
    Template("lr-seeds", "Learning rate x seed (offline)", "3 x 3 grid, dummy backends, CIs over seeds", LR_SEEDS),
    Template(
        "tinker", "Tinker + Inspect (real)", "real LoRA training and evaluation; needs TINKER_API_KEY", TINKER_INSPECT
    ),
)


def template(key: str) -> Template:
    for t in TEMPLATES:
        if t.key == key:
            return t
    raise KeyError(key)
