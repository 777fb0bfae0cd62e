"""Caching: a finished step with the same key never runs again; shared steps run once."""

from __future__ import annotations

import asyncio

from motools.workflow import run_sweep
from mozoo.workflows.train_and_evaluate import train_and_evaluate_workflow
from tests.conftest import make_config
from tests.engine.helpers import LOADER_CALLS

LR = "submit_training.hyperparameters.learning_rate"


async def test_rerunning_a_finished_sweep_does_no_step_work(store, counting) -> None:
    training, evaluation = counting
    cfg = make_config("counting", "counting")
    grid = {LR: [1e-4, 5e-5, 1e-5]}
    first = await run_sweep(train_and_evaluate_workflow, cfg, grid, store=store)
    assert (len(training.submits), training.waits, len(evaluation.calls), LOADER_CALLS["a"]) == (3, 3, 3, 1)
    second = await run_sweep(train_and_evaluate_workflow, cfg, grid, store=store)
    assert (len(training.submits), training.waits, len(evaluation.calls), LOADER_CALLS["a"]) == (3, 3, 3, 1)
    assert all(st.cached for s in second for st in s.step_states.values())
    assert [s.get_step_state("evaluate_model").output_atoms for s in first] == [
        s.get_step_state("evaluate_model").output_atoms for s in second
    ]
    sweep = store.list_sweeps()[0]
    assert all(s["cached"] == 1 for r in store.runs(sweep["id"]) for s in store.steps(r["id"]))


async def test_adding_a_grid_value_runs_only_the_new_config(store, counting) -> None:
    training, evaluation = counting
    cfg = make_config("counting", "counting")
    await run_sweep(train_and_evaluate_workflow, cfg, {LR: [1e-4, 5e-5]}, store=store)
    training.submits.clear()
    evaluation.calls.clear()
    states = await run_sweep(train_and_evaluate_workflow, cfg, {LR: [1e-4, 5e-5, 2e-5]}, store=store)
    assert len(states) == 3
    assert [h["learning_rate"] for h in training.submits] == [2e-5]
    assert [h["learning_rate"] for h in evaluation.calls] == [2e-5]
    assert LOADER_CALLS["a"] == 1


async def test_identical_prepare_dataset_is_built_once_even_when_started_together(store, counting) -> None:
    cfg = make_config("counting", "counting")
    grid = {LR: [1e-4, 5e-5, 1e-5, 5e-6], "submit_training.hyperparameters.seed": [1, 2]}
    states = await run_sweep(train_and_evaluate_workflow, cfg, grid, store=store, max_parallel=8)
    assert len(states) == 8
    assert LOADER_CALLS["a"] == 1
    dataset_ids = {s.get_step_state("prepare_dataset").output_atoms["prepared_dataset"] for s in states}
    assert len(dataset_ids) == 1
    # only the leader ran it; the others share its result
    assert sum(not s.get_step_state("prepare_dataset").cached for s in states) == 1


async def test_two_sweeps_at_once_share_one_dataset_build(store, counting) -> None:
    cfg = make_config("counting", "counting")
    a, b = await asyncio.gather(
        run_sweep(train_and_evaluate_workflow, cfg, {LR: [1e-4, 5e-5]}, store=store, max_parallel=2),
        run_sweep(train_and_evaluate_workflow, cfg, {LR: [1e-5]}, store=store, max_parallel=2),
    )
    assert len(a) == 2 and len(b) == 1
    assert LOADER_CALLS["a"] == 1


async def test_cache_key_covers_config_inputs_and_version(store, counting) -> None:
    training, _ = counting
    cfg = make_config("counting", "counting")
    await run_sweep(train_and_evaluate_workflow, cfg, {}, store=store)
    # a different dataset (loader kwargs) changes the dataset atom, so training re-runs too
    other = make_config("counting", "counting", prepare_dataset={"loader_kwargs": {"num_samples": 20, "tag": "b"}})
    await run_sweep(train_and_evaluate_workflow, other, {}, store=store)
    assert LOADER_CALLS == {"a": 1, "b": 1}
    assert len(training.submits) == 1  # same content (tag does not change the examples): same atom, cached
    more = make_config("counting", "counting", prepare_dataset={"loader_kwargs": {"num_samples": 21}})
    await run_sweep(train_and_evaluate_workflow, more, {}, store=store)
    assert len(training.submits) == 2  # different dataset content: training runs again
    # a poll interval does not change the result, so it is not part of the key
    polled = make_config("counting", "counting", wait_for_training={"poll_interval_s": 5})
    waits = training.waits
    await run_sweep(train_and_evaluate_workflow, polled, {}, store=store)
    assert training.waits == waits


def test_step_version_is_part_of_the_key() -> None:
    from dataclasses import replace

    from motools.workflow.cache import step_cache_key

    step = train_and_evaluate_workflow.step("submit_training")
    cfg = make_config().submit_training
    k1 = step_cache_key(step, cfg, {"prepared_dataset": "dataset-x"})
    assert k1 == step_cache_key(step, cfg, {"prepared_dataset": "dataset-x"})
    assert k1 != step_cache_key(replace(step, version="2"), cfg, {"prepared_dataset": "dataset-x"})
    assert k1 != step_cache_key(step, cfg, {"prepared_dataset": "dataset-y"})
    assert k1 != step_cache_key(step, cfg.model_copy(update={"suffix": "z"}), {"prepared_dataset": "dataset-x"})
