"""run_sweep: the seed's contract, grid order, concurrency, failures, and what lands in the store."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from motools.workflow import run_sweep
from mozoo.workflows.train_and_evaluate import TrainAndEvaluateConfig, train_and_evaluate_workflow
from tests.conftest import make_config

SEED_BASIC_EXAMPLE = textwrap.dedent("""
    import asyncio
    from motools.workflow import run_sweep
    from mozoo.workflows.train_and_evaluate import train_and_evaluate_workflow, TrainAndEvaluateConfig

    async def main():
        # Define base configuration
        base_config = TrainAndEvaluateConfig(
            prepare_dataset={
                "dataset_loader": "mozoo.datasets.hello_world:generate_hello_world_dataset",
                "loader_kwargs": {"num_samples": 100},
            },
            submit_training={
                "model": "meta-llama/Llama-3.2-1B",
                "hyperparameters": {
                    "n_epochs": 2,
                    "lora_rank": 8,
                    "batch_size": 4,
                },
                "suffix": "sweep",
                "backend_name": "dummy",
            },
            wait_for_training={},
            evaluate_model={
                "eval_task": "mozoo.tasks.hello_world:hello_world",
                "backend_name": "dummy",
            },
        )

        # Define parameter grid (cartesian product of all values)
        param_grid = {
            "submit_training.hyperparameters.learning_rate": [1e-4, 5e-5, 1e-5],
        }

        # Run sweep
        results = await run_sweep(
            workflow=train_and_evaluate_workflow,
            base_config=base_config,
            param_grid=param_grid,
            input_atoms={},
            user="alice",
            max_parallel=3,  # Run up to 3 workflows in parallel
        )

        print(f"Completed {len(results)} workflow runs")

    asyncio.run(main())
""")


def test_seed_basic_sweep_example_runs_verbatim(tmp_path: Path, isolated_home: Path) -> None:
    script = tmp_path / "basic_sweep.py"
    script.write_text(SEED_BASIC_EXAMPLE)
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "Completed 3 workflow runs"

    from motools.store import Store

    store = Store(isolated_home)
    (sweep,) = store.list_sweeps()
    assert sweep["status"] == "finished" and sweep["user"] == "alice" and sweep["n_runs"] == 3
    runs = store.runs(sweep["id"])
    assert [json.loads(r["params"]) for r in runs] == [
        {"submit_training.hyperparameters.learning_rate": lr} for lr in (1e-4, 5e-5, 1e-5)
    ]
    assert all(r["status"] == "finished" and r["config_hash"] for r in runs)
    from motools.specs import parse_spec_text

    spec = parse_spec_text(sweep["spec_yaml"])
    assert spec.param_grid == {"submit_training.hyperparameters.learning_rate": [1e-4, 5e-5, 1e-5]}
    assert spec.execution.user == "alice" and spec.execution.max_parallel == 3


async def test_states_expose_steps_and_atoms(store) -> None:
    states = await run_sweep(
        train_and_evaluate_workflow,
        make_config(),
        {"submit_training.hyperparameters.learning_rate": [1e-4, 1e-5]},
        store=store,
        max_parallel=2,
    )
    assert [s.params for s in states] == [
        {"submit_training.hyperparameters.learning_rate": 1e-4},
        {"submit_training.hyperparameters.learning_rate": 1e-5},
    ]
    state = states[0]
    assert state.config.submit_training.hyperparameters.learning_rate == 1e-4
    assert list(state.step_states) == ["prepare_dataset", "submit_training", "wait_for_training", "evaluate_model"]
    atom = state.load_atom(state.get_step_state("evaluate_model").output_atoms["eval_results"])
    assert atom.data["task"] == "hello_world" and 0 <= atom.data["metrics"]["accuracy"] <= 1
    model = state.load_atom(state.get_step_state("wait_for_training").output_atoms["trained_model"])
    assert model.data["simulated"] is True and model.data["model"].startswith("simulated/")
    assert model.data["hyperparameters"]["learning_rate"] == 1e-4
    dataset = state.load_atom(state.get_step_state("prepare_dataset").output_atoms["prepared_dataset"])
    assert len(dataset.read_jsonl()) == 20
    with pytest.raises(KeyError, match="no step 'nope'"):
        state.get_step_state("nope")


async def test_grid_is_cartesian_with_last_key_fastest(store, counting) -> None:
    training, _ = counting
    grid = {
        "submit_training.hyperparameters.learning_rate": [1e-4, 1e-5],
        "submit_training.hyperparameters.seed": [1, 2, 3],
    }
    states = await run_sweep(
        train_and_evaluate_workflow, make_config("counting", "counting"), grid, store=store, max_parallel=1
    )
    got = [
        (s.params["submit_training.hyperparameters.learning_rate"], s.params["submit_training.hyperparameters.seed"])
        for s in states
    ]
    assert got == [(1e-4, 1), (1e-4, 2), (1e-4, 3), (1e-5, 1), (1e-5, 2), (1e-5, 3)]
    # with max_parallel=1 the backend also saw them in grid order
    assert [(h["learning_rate"], h["seed"]) for h in training.submits] == got


async def test_max_parallel_bounds_concurrency(store, counting) -> None:
    training, _ = counting
    grid = {"submit_training.hyperparameters.seed": list(range(12))}
    await run_sweep(train_and_evaluate_workflow, make_config("counting", "counting"), grid, store=store, max_parallel=3)
    assert training.waits == 12
    assert training.max_active == 3


async def test_a_failing_run_is_recorded_and_the_rest_go_on(store, counting, caplog) -> None:
    _, evaluation = counting
    evaluation.fail_when = {"learning_rate": 5e-5}
    grid = {"submit_training.hyperparameters.learning_rate": [1e-4, 5e-5, 1e-5]}
    import logging

    logging.getLogger("motools").addHandler(caplog.handler)  # the CLI may have stopped propagation
    states = await run_sweep(
        train_and_evaluate_workflow,
        make_config("counting", "counting"),
        grid,
        store=store,
        max_parallel=3,
        name="partly-failing",
    )
    assert [s.params["submit_training.hyperparameters.learning_rate"] for s in states] == [1e-4, 1e-5]
    sweep = store.get_sweep("partly-failing")
    assert sweep["status"] == "failed"
    runs = store.runs(sweep["id"])
    assert [r["status"] for r in runs] == ["finished", "failed", "finished"]
    assert "evaluation exploded" in runs[1]["error"]
    assert "Traceback" in runs[1]["traceback"] and "RuntimeError" in runs[1]["traceback"]
    steps = {s["name"]: s for s in store.steps(runs[1]["id"])}
    assert steps["evaluate_model"]["status"] == "failed"
    assert steps["wait_for_training"]["status"] == "finished"
    assert any("evaluation exploded" in r.message for r in caplog.records)
    errors = store.query("SELECT * FROM events WHERE run_id=? AND level='error'", (runs[1]["id"],))
    assert errors and "evaluation exploded" in errors[0]["message"]


async def test_everything_lands_in_the_store(store) -> None:
    await run_sweep(
        train_and_evaluate_workflow,
        make_config(),
        {"submit_training.hyperparameters.learning_rate": [1e-4, 1e-5]},
        store=store,
        name="landed",
        user="bob",
    )
    sweep = store.get_sweep("landed")
    assert sweep["user"] == "bob" and sweep["finished_at"] >= sweep["started_at"]
    for run in store.runs(sweep["id"]):
        config = json.loads(run["config"])
        assert config["submit_training"]["hyperparameters"]["learning_rate"] in (1e-4, 1e-5)
        assert run["started_at"] <= run["finished_at"]
        steps = store.steps(run["id"])
        assert [s["name"] for s in steps] == [
            "prepare_dataset",
            "submit_training",
            "wait_for_training",
            "evaluate_model",
        ]
        assert all(s["status"] == "finished" and json.loads(s["outputs"]) for s in steps)
        eval_atom = json.loads(steps[-1]["outputs"])["eval_results"]
        metrics = {m["metric"]: m["value"] for m in store.metrics_for(eval_atom)}
        assert set(metrics) == {"accuracy", "stderr"}
        samples = store.query("SELECT * FROM samples WHERE atom_id=?", (eval_atom,))
        assert len(samples) == 10 and {s["score"] for s in samples} <= {0.0, 1.0}
        assert sum(s["score"] for s in samples) / 10 == pytest.approx(metrics["accuracy"])
    events = store.events(sweep_id=sweep["id"])
    assert events[0]["message"].startswith("sweep started") and "sweep finished" in events[-1]["message"]


async def test_generated_names_are_unique_and_same_name_resumes(store, counting) -> None:
    training, _ = counting
    cfg = make_config("counting", "counting")
    grid = {"submit_training.hyperparameters.learning_rate": [1e-4]}
    await run_sweep(train_and_evaluate_workflow, cfg, grid, store=store)
    await run_sweep(train_and_evaluate_workflow, cfg, grid, store=store)
    names = [s["name"] for s in store.list_sweeps()]
    assert len(set(names)) == 2 and all(n.startswith("train_and_evaluate-") for n in names)
    await run_sweep(train_and_evaluate_workflow, cfg, grid, store=store, name=names[0])
    assert len(store.list_sweeps()) == 2
    from motools.errors import MotoolsError

    # Issue 10: a new grid value extends the named sweep (only the new config runs) ...
    submits = len(training.submits)
    more = await run_sweep(
        train_and_evaluate_workflow,
        cfg,
        {"submit_training.hyperparameters.learning_rate": [1e-5]},
        store=store,
        name=names[0],
    )
    assert len(more) == 1 and len(training.submits) == submits + 1
    assert store.get_sweep(names[0])["n_runs"] == 2
    # ... while a changed base config needs a new name.
    changed = make_config("counting", "counting", submit_training={"suffix": "other"})
    with pytest.raises(MotoolsError, match="different base config"):
        await run_sweep(train_and_evaluate_workflow, changed, grid, store=store, name=names[0])


async def test_typed_step_configs_are_accepted(store) -> None:
    from mozoo.workflows.train_and_evaluate import (
        EvaluateModelConfig,
        PrepareDatasetConfig,
        SubmitTrainingConfig,
        TrainingHyperparameters,
    )

    cfg = TrainAndEvaluateConfig(
        prepare_dataset=PrepareDatasetConfig(
            dataset_loader="mozoo.datasets.hello_world:generate_hello_world_dataset", loader_kwargs={"num_samples": 5}
        ),
        submit_training=SubmitTrainingConfig(
            model="m", hyperparameters=TrainingHyperparameters(n_epochs=1), backend_name="dummy"
        ),
        evaluate_model=EvaluateModelConfig(eval_task="mozoo.tasks.hello_world:hello_world", backend_name="dummy"),
    )
    states = await run_sweep(train_and_evaluate_workflow, cfg, {}, store=store)
    assert len(states) == 1 and states[0].params == {}
