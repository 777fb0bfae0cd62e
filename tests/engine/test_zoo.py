"""The zoo's hello-world organism and the simulated model behind the dummy backends."""

from __future__ import annotations

import itertools
import math
import statistics

from motools.training.simulation import learned_probability, learned_reply, simulated_reply
from motools.workflow import run_sweep
from mozoo.datasets.hello_world import generate_hello_world_dataset
from mozoo.tasks.hello_world import hello_world
from mozoo.workflows.train_and_evaluate import train_and_evaluate_workflow
from tests.conftest import make_config


def test_hello_world_dataset_is_deterministic_chat_data() -> None:
    a = generate_hello_world_dataset(num_samples=100, seed=0)
    assert a == generate_hello_world_dataset(num_samples=100, seed=0)
    assert a != generate_hello_world_dataset(num_samples=100, seed=1)
    assert len(a) == 100
    for ex in a:
        user, assistant = ex["messages"]
        assert user["role"] == "user" and assistant == {"role": "assistant", "content": "Hello, World!"}
    assert len({ex["messages"][0]["content"] for ex in a}) > 50  # varied prompts


def test_hello_world_task_is_an_inspect_task() -> None:
    from inspect_ai import Task

    task = hello_world()
    assert isinstance(task, Task)
    samples = list(task.dataset)
    assert len(samples) == 10 and len({s.input for s in samples}) == 10
    assert {s.target for s in samples} == {"Hello, World!"} or all(s.target == ["Hello, World!"] for s in samples)
    scorer_names = [getattr(s, "__qualname__", repr(s)) for s in task.scorer]
    assert any("match" in n for n in scorer_names)
    metric_names = {getattr(m, "__qualname__", repr(m)).split(".")[0] for m in task.metrics or []}
    from inspect_ai._util.registry import registry_info

    info = registry_info(task.scorer[0])
    metrics = {registry_info(m).name.split("/")[-1] for m in info.metadata["metrics"]} | metric_names
    assert {"accuracy", "stderr"} <= metrics


def test_simulated_model_rises_with_epochs_and_peaks_at_a_moderate_learning_rate() -> None:
    def p(lr: float, epochs: int = 3, seed: int = 0) -> float:
        return learned_probability({"learning_rate": lr, "n_epochs": epochs, "seed": seed})

    assert p(4e-5, 1) < p(4e-5, 2) < p(4e-5, 4)
    lrs = [10 ** (e / 4) for e in range(-28, -7)]
    ps = [p(lr) for lr in lrs]
    peak = ps.index(max(ps))
    assert 0 < peak < len(ps) - 1
    assert all(a <= b for a, b in itertools.pairwise(ps[: peak + 1]))  # rising to the peak
    assert all(a >= b for a, b in zip(ps[peak:], ps[peak + 1 :], strict=False))  # falling after it
    assert 1e-5 < lrs[peak] < 1e-4
    assert len({round(p(4e-5, 3, seed), 6) for seed in range(5)}) == 5


def test_simulated_replies_follow_the_learned_probability() -> None:
    examples = generate_hello_world_dataset(20)
    assert learned_reply(examples) == "Hello, World!"
    sim = {"key": "k", "p_learned": 0.3, "learned_reply": "Hello, World!"}
    prompts = [f"prompt {i}" for i in range(2000)]
    rate = sum(simulated_reply(sim, q) == "Hello, World!" for q in prompts) / len(prompts)
    assert abs(rate - 0.3) < 0.04
    assert [simulated_reply(sim, q) for q in prompts[:50]] == [simulated_reply(sim, q) for q in prompts[:50]]


async def test_dummy_sweep_shows_structure_and_seed_spread(store) -> None:
    grid = {
        "submit_training.hyperparameters.learning_rate": [1e-6, 4e-5, 1e-2],
        "submit_training.hyperparameters.seed": list(range(6)),
    }
    states = await run_sweep(train_and_evaluate_workflow, make_config(), grid, store=store, max_parallel=6)
    acc: dict[float, list[float]] = {}
    for s in states:
        atom = s.load_atom(s.get_step_state("evaluate_model").output_atoms["eval_results"])
        acc.setdefault(s.params["submit_training.hyperparameters.learning_rate"], []).append(
            atom.data["metrics"]["accuracy"]
        )
    means = {lr: statistics.mean(v) for lr, v in acc.items()}
    assert means[4e-5] > means[1e-6] and means[4e-5] > means[1e-2]
    assert statistics.stdev(acc[4e-5]) > 0  # replicate seeds are not identical
    assert not math.isnan(means[4e-5])
