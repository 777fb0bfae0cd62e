"""collate_sweep_evals (from WorkflowStates) and collate_sweep (from the store)."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from motools.analysis import collate_sweep, collate_sweep_evals
from motools.workflow import run_sweep
from mozoo.workflows.train_and_evaluate import train_and_evaluate_workflow
from tests.conftest import make_config

LR = "submit_training.hyperparameters.learning_rate"
SEED = "submit_training.hyperparameters.seed"


@pytest.fixture
async def states(store):
    return await run_sweep(
        train_and_evaluate_workflow, make_config(), {LR: [1e-4, 1e-5], SEED: [1, 2]}, store=store, name="grid"
    )


async def test_one_row_per_run_and_task_with_params_task_then_metrics(states) -> None:
    df = await collate_sweep_evals(sweep_states=states, eval_step_name="evaluate_model", eval_atom_key="eval_results")
    assert list(df.columns) == ["learning_rate", "seed", "task", "accuracy"]
    assert len(df) == 4 and set(df["task"]) == {"hello_world"}
    assert df["learning_rate"].tolist() == [1e-4, 1e-4, 1e-5, 1e-5] and df["seed"].tolist() == [1, 2, 1, 2]
    for st, acc in zip(states, df["accuracy"], strict=False):
        atom = st.load_atom(st.get_step_state("evaluate_model").output_atoms["eval_results"])
        assert atom.data["metrics"]["accuracy"] == acc


async def test_selecting_metrics(states) -> None:
    one = await collate_sweep_evals(
        sweep_states=states, eval_step_name="evaluate_model", metrics="accuracy", eval_atom_key="eval_results"
    )
    assert list(one.columns)[-1] == "accuracy"
    two = await collate_sweep_evals(
        sweep_states=states,
        eval_step_name="evaluate_model",
        metrics=["accuracy", "stderr"],
        eval_atom_key="eval_results",
    )
    assert list(two.columns)[-2:] == ["accuracy", "stderr"]
    with pytest.raises(ValueError, match=r"'f1_score' not found; available: accuracy, stderr"):
        await collate_sweep_evals(
            sweep_states=states,
            eval_step_name="evaluate_model",
            metrics=["accuracy", "f1_score"],
            eval_atom_key="eval_results",
        )


async def test_colliding_leaf_names_keep_their_full_paths(store) -> None:
    grid = {LR: [1e-4], "prepare_dataset.loader_kwargs.seed": [0, 1], SEED: [3]}
    states = await run_sweep(train_and_evaluate_workflow, make_config(), grid, store=store)
    df = await collate_sweep_evals(sweep_states=states, eval_step_name="evaluate_model", eval_atom_key="eval_results")
    assert list(df.columns)[:3] == ["learning_rate", "prepare_dataset.loader_kwargs.seed", SEED]


async def test_an_unfinished_eval_step_is_reported_not_silently_dropped(states) -> None:
    broken = dataclasses.replace(states[1], step_states=dict(states[1].step_states))
    broken.step_states["evaluate_model"] = dataclasses.replace(
        broken.step_states["evaluate_model"], status="failed", output_atoms={}, error="boom"
    )
    with pytest.warns(UserWarning, match=r"1 run\(s\) have no finished 'evaluate_model'.*failed: boom"):
        df = await collate_sweep_evals(
            sweep_states=[states[0], broken], eval_step_name="evaluate_model", eval_atom_key="eval_results"
        )
    assert len(df) == 1


async def test_collate_sweep_from_the_store_shows_every_run(states, store, counting) -> None:
    df = collate_sweep("grid", store=store)
    assert list(df.columns) == ["learning_rate", "seed", "run", "status", "task", "accuracy"]
    via_states = await collate_sweep_evals(
        sweep_states=states, eval_step_name="evaluate_model", eval_atom_key="eval_results"
    )
    pd.testing.assert_series_equal(df["accuracy"], via_states["accuracy"])
    samples = collate_sweep("grid", store=store, samples=True)
    # Issue 10: one column per scorer (hello_world's match()), then answer and target.
    assert len(samples) == 40 and list(samples.columns)[-5:] == ["sample_id", "epoch", "match", "answer", "target"]
    assert samples.groupby("run")["match"].mean().tolist() == df["accuracy"].tolist()

    _, evaluation = counting
    evaluation.fail_when = {"learning_rate": 1e-5}
    await run_sweep(
        train_and_evaluate_workflow,
        make_config("counting", "counting"),
        {LR: [1e-4, 1e-5]},
        store=store,
        name="with-failure",
    )
    mixed = collate_sweep("with-failure", store=store)
    assert mixed["status"].tolist() == ["finished", "failed"]
    assert pd.isna(mixed.loc[1, "accuracy"]) and mixed.loc[0, "accuracy"] >= 0
