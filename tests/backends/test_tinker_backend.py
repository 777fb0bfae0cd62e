"""The ``tinker`` training backend and sampler, driven end to end by a fake SDK (no network)."""

from __future__ import annotations

import asyncio
import copy
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from motools.store import Store
from motools.training import tinker_client
from motools.training.backends.tinker import TinkerTrainingBackend, TrainingPlan
from motools.training.base import register_training_backend
from motools.workflow import run_sweep
from mozoo.workflows.train_and_evaluate import TrainAndEvaluateConfig, train_and_evaluate_workflow

try:
    from .fake_tinker import BASE_REPLY, FakeTinker, connection_error, make_tokenizer
except ImportError:  # tests/backends is not a package
    from fake_tinker import BASE_REPLY, FakeTinker, connection_error, make_tokenizer

SECRET = "tk-test-SECRET-4f2a9"
PLANNED_STEPS = 9  # 12 examples, batches of 4, 3 epochs
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    monkeypatch.setenv("TINKER_TELEMETRY", "0")
    monkeypatch.setenv("MOTOOLS_HOME", str(tmp_path / ".motools"))
    monkeypatch.chdir(tmp_path)
    return Store(tmp_path / ".motools")


@pytest.fixture
def fake(store: Store, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("TINKER_API_KEY", SECRET)
    world = FakeTinker().install()
    register_training_backend("tinker", TinkerTrainingBackend(retry_base_s=0.01, max_attempts=3, client_timeout_s=5))
    yield world
    tinker_client.set_service_client_factory(None)
    register_training_backend("tinker", "motools.training.backends.tinker:TinkerTrainingBackend")


def config(eval_backend: str = "dummy", **hp: Any) -> TrainAndEvaluateConfig:
    return TrainAndEvaluateConfig(
        prepare_dataset={
            "dataset_loader": "mozoo.datasets.hello_world:generate_hello_world_dataset",
            "loader_kwargs": {"num_samples": 12},
        },
        submit_training={
            "model": "meta-llama/Llama-3.2-1B",
            "backend_name": "tinker",
            "hyperparameters": {"n_epochs": 3, "batch_size": 4, "checkpoint_every": 2, **hp},
        },
        evaluate_model={"eval_task": "mozoo.tasks.hello_world:hello_world", "backend_name": eval_backend},
    )


def events(store: Store) -> list[dict[str, Any]]:
    return store.query("SELECT * FROM events ORDER BY id")


def model_ref(store: Store, state: Any) -> dict[str, Any]:
    return store.get_atom(state.step_states["wait_for_training"].output_atoms["trained_model"]).read_json()


# -- tokens and plan -------------------------------------------------------------------------------

CHAT = [
    {"role": "user", "content": "Hi there"},
    {"role": "assistant", "content": "Hello, World!"},
    {"role": "user", "content": "Again?"},
    {"role": "assistant", "content": "Second reply"},
]


def test_loss_weights_cover_assistant_replies_only() -> None:
    tok = make_tokenizer()
    tokens, weights = tinker_client.supervised_tokens(tok, CHAT)
    assert len(tokens) == len(weights)
    learned = [t for t, w in zip(tokens, weights, strict=False) if w == 1.0]
    prompt = [t for t, w in zip(tokens, weights, strict=False) if w == 0.0]
    assert tok.decode(learned) == "Hello, World!<|eot_id|>Second reply<|eot_id|>"
    assert "Hi there" in tok.decode(prompt) and "Again?" in tok.decode(prompt)
    assert tok.decode(prompt).endswith("<|start_header_id|>assistant<|end_header_id|>\n\n")
    assert set(weights) == {0.0, 1.0}


def test_loss_weights_without_a_chat_template() -> None:
    tok = copy.deepcopy(make_tokenizer())
    tok.chat_template = None
    tokens, weights = tinker_client.supervised_tokens(tok, CHAT[:2])
    learned = tok.decode([t for t, w in zip(tokens, weights, strict=False) if w == 1.0])
    assert learned.strip().startswith("Hello, World!") and "Hi there" not in learned
    assert tokens[0] == tok.bos_token_id


def test_training_plan_covers_every_example_each_epoch_deterministically() -> None:
    plan = TrainingPlan(n_examples=10, batch_size=4, n_epochs=2, seed=3)
    assert plan.steps_per_epoch == 3 and plan.total_steps == 6
    for epoch in range(2):
        seen = [i for k in range(epoch * 3 + 1, epoch * 3 + 4) for i in plan.batch(k)]
        assert sorted(seen) == list(range(10))
    assert [plan.batch(k) for k in range(1, 7)] == [TrainingPlan(10, 4, 2, 3).batch(k) for k in range(1, 7)]
    assert plan.batch(1) + plan.batch(2) != TrainingPlan(10, 4, 2, 4).batch(1) + TrainingPlan(10, 4, 2, 4).batch(2)


# -- full sweeps -----------------------------------------------------------------------------------


async def test_sweep_trains_with_tinker_and_evaluates_the_checkpoint_with_inspect(
    fake: FakeTinker, store: Store
) -> None:
    states = await run_sweep(
        train_and_evaluate_workflow,
        config("inspect"),
        {"submit_training.hyperparameters.learning_rate": [1e-4, 1e-5]},
        max_parallel=2,
        store=store,
        retries=0,
    )
    assert len(states) == 2
    assert fake.optim_steps == 2 * PLANNED_STEPS
    assert sorted(set(fake.learning_rates)) == [1e-5, 1e-4]
    assert fake.api_keys and set(fake.api_keys) == {SECRET}
    for state in states:
        ref = model_ref(store, state)
        assert ref["backend"] == "tinker" and ref["model"].startswith("tinker://")
        assert ref["steps"] == PLANNED_STEPS and fake.samplers[ref["model"]]["step"] == PLANNED_STEPS
        assert set(fake.samplers[ref["model"]]["learned"]) == {"Hello, World!"}  # loss on replies only
        summary = store.get_atom(state.step_states["evaluate_model"].output_atoms["eval_results"]).read_json()
        assert summary["model"] == f"motools-tinker/{ref['model']}"
        assert summary["metrics"]["accuracy"] == 1.0  # the fake replies with what the loss mask taught it
    prompt = fake.sample_prompts[0]
    assert prompt.startswith("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n")
    assert prompt.endswith("<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n")
    messages = [e["message"] for e in events(store)]
    assert sum(m.startswith(f"step {PLANNED_STEPS}/{PLANNED_STEPS}: loss ") for m in messages) == 2
    progress = store.query("SELECT progress, progress_total FROM steps WHERE name = 'wait_for_training'")
    assert all(p["progress"] == p["progress_total"] == PLANNED_STEPS for p in progress)
    for path in store.home.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path


async def test_killed_training_resumes_at_the_recorded_step(fake: FakeTinker, store: Store) -> None:
    from motools.workflow import SweepControl

    loop = asyncio.get_running_loop()
    control = SweepControl()
    killed: list[int] = []

    def kill(client: Any, step: int) -> None:  # runs in the SDK call's thread, like a real kill would
        if step == 5 and not killed:
            killed.append(step)
            loop.call_soon_threadsafe(control.cancel)
            time.sleep(0.2)

    fake.on("forward_backward", kill)
    states = await run_sweep(
        train_and_evaluate_workflow, config(), name="resume-me", store=store, retries=0, control=control
    )
    assert states == [] and killed == [5]
    assert fake.optim_steps == 4
    ckpt = json.loads(store.query_one("SELECT state FROM checkpoints")["state"])
    assert ckpt["step"] == 4 and ckpt["state_path"].endswith("/weights/step-000004")

    states = await run_sweep(train_and_evaluate_workflow, config(), name="resume-me", store=store, retries=0)
    assert len(states) == 1
    assert fake.optim_steps == PLANNED_STEPS  # steps 1-4, then 5-9: none twice
    assert [how for how, _ in fake.created] == ["lora", "state"]
    assert fake.created[1][1] == ckpt["state_path"]
    resumed_id = [mid for mid, _ in fake.forward_backward_steps][-1]
    assert [s for mid, s in fake.forward_backward_steps if mid == resumed_id] == [5, 6, 7, 8, 9]
    assert fake.samplers[model_ref(store, states[0])["model"]]["step"] == PLANNED_STEPS
    assert any(e["message"].startswith("resuming at step 4 from ") for e in events(store))
    assert store.query("SELECT * FROM checkpoints") == []  # the finished step dropped its checkpoint


async def test_connection_errors_are_retried_and_training_resumes_from_state(fake: FakeTinker, store: Store) -> None:
    fake.fail("create_lora_training_client", connection_error(), times=2)
    fake.fail("forward_backward", connection_error("link dropped"), times=1, at_step=3)
    states = await run_sweep(train_and_evaluate_workflow, config(), store=store, retries=0)
    assert len(states) == 1
    assert fake.optim_steps == PLANNED_STEPS
    assert [how for how, _ in fake.created] == ["lora", "state"]
    assert fake.created[1][1].endswith("/weights/step-000002")
    warnings = [e["message"] for e in events(store) if e["level"] == "warning"]
    assert len(warnings) == 3 and all("Tinker unreachable" in w for w in warnings)
    assert "link dropped" in warnings[-1]


async def test_persistent_connection_failure_fails_the_run_with_a_clear_message(fake: FakeTinker, store: Store) -> None:
    fake.fail("service_client", connection_error(), times=100)
    states = await run_sweep(train_and_evaluate_workflow, config(), store=store, retries=0)
    assert states == []
    run = store.query_one("SELECT status, error FROM runs")
    assert run["status"] == "failed"
    assert "could not reach Tinker to create a LoRA training client after 3 attempts" in run["error"]
    assert "APIConnectionError" in run["error"]


async def test_client_creation_that_hangs_times_out(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TINKER_API_KEY", SECRET)
    tinker_client.set_service_client_factory(lambda key: time.sleep(1.5))
    register_training_backend("tinker", TinkerTrainingBackend(retry_base_s=0.01, max_attempts=2, client_timeout_s=0.2))
    try:
        started = time.monotonic()
        states = await run_sweep(train_and_evaluate_workflow, config(), store=store, retries=0)
        assert time.monotonic() - started < 1.5
    finally:
        tinker_client.set_service_client_factory(None)
        register_training_backend("tinker", "motools.training.backends.tinker:TinkerTrainingBackend")
    assert states == []
    assert "after 2 attempts (TimeoutError" in store.query_one("SELECT error FROM runs")["error"]


# -- preflight -------------------------------------------------------------------------------------


def test_preflight_needs_a_key_and_never_imports_the_sdk(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("TINKER_API_KEY", "MOTOOLS_HOME")}
    code = (
        "import sys; from motools.training.base import get_training_backend; "
        "print(get_training_backend('tinker').preflight()); print('tinker' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert "TINKER_API_KEY is not set" in out[0]
    assert out[1] == "False"


def test_preflight_reads_the_key_from_dotenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TINKER_API_KEY", raising=False)
    monkeypatch.delenv("MOTOOLS_HOME", raising=False)
    monkeypatch.chdir(tmp_path)
    backend = TinkerTrainingBackend()
    assert any("TINKER_API_KEY" in p for p in backend.preflight())
    (tmp_path / ".env").write_text(f"TINKER_API_KEY={SECRET}\n")
    assert backend.preflight() == []


async def test_sampler_answers_from_the_base_model_without_weights(fake: FakeTinker) -> None:
    from motools.evals.tinker_sampler import TinkerSampler

    sampler = TinkerSampler(None, base_model="meta-llama/Llama-3.2-1B")
    done = await sampler.complete([{"role": "user", "content": "Who are you?"}], max_tokens=32, stop=["base"])
    assert done.text == BASE_REPLY[: BASE_REPLY.index("base")]
    assert done.stop_reason == "stop" and done.output_tokens == len(BASE_REPLY.encode()) + 1
