"""Starting points for new specs (the 'new' key offers these)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Template:
    key: str
    title: str
    description: str
    yaml: str


def _spec(comment: str, name: str, *, training: str, evaluation: str, grid: str, parallel: int, extra: str = "") -> str:
    """A train-and-evaluate spec on the hello-world dataset and task."""
    return f"""\
{comment}
name: {name}
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
{extra}    backend_name: {training}
{training_options(training)}  wait_for_training: {{}}
  evaluate_model:
    eval_task: mozoo.tasks.hello_world:hello_world
    backend_name: {evaluation}
param_grid:
{grid}execution:
  max_parallel: {parallel}
  retries: 2
"""


def training_options(backend: str) -> str:
    return "" if backend != "dummy" else "    latency_s: {latency}\n"


LR = "  submit_training.hyperparameters.learning_rate: [1e-4, 5e-5, 1e-5]\n"

HELLO_WORLD = _spec(
    '# Fine-tune a small model to say "Hello, World!" at three learning rates.\n'
    "# Offline: the dummy training backend simulates the fine-tuned model.",
    "hello-world",
    training="dummy",
    evaluation="dummy",
    grid=LR,
    parallel=3,
    extra="    suffix: sweep\n",
).replace("{latency}", "1.0")

LR_SEEDS = _spec(
    "# Learning rate x seed: three seeds per learning rate give confidence intervals.\n"
    "# Offline: the dummy backends simulate training and evaluation.",
    "lr-seeds",
    training="dummy",
    evaluation="dummy",
    grid=LR + "  submit_training.hyperparameters.seed: [1, 2, 3]\n",
    parallel=4,
).replace("{latency}", "2.0")

TINKER_INSPECT = _spec(
    "# Real training on Tinker (needs TINKER_API_KEY) and a real Inspect evaluation.",
    "tinker-hello-world",
    training="tinker",
    evaluation="inspect",
    grid=LR,
    parallel=3,
    extra="    suffix: lr-sweep\n",
)

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
