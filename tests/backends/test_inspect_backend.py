"""The ``inspect`` evaluation backend: real Inspect runs against the simulated model provider."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from inspect_ai import Task, task
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.model import GenerateConfig, ModelAPI, ModelOutput, modelapi
from inspect_ai.scorer import includes, match
from inspect_ai.solver import generate

from motools.evals.backends.dummy import DummyEvalBackend
from motools.evals.backends.inspect import EvalFailed, InspectEvalBackend
from motools.evals.base import EvalRequest
from motools.store import Store
from motools.training.simulation import simulation_model_name
from motools.workflow import run_sweep
from mozoo.workflows.train_and_evaluate import TrainAndEvaluateConfig, train_and_evaluate_workflow

HELLO = "mozoo.tasks.hello_world:hello_world"


@modelapi(name="motools-test-broken")
class BrokenModelAPI(ModelAPI):
    """A provider whose every reply fails, to check that one model cannot sink a batch."""

    def __init__(
        self,
        model_name: str,
        base_url: str | None = None,
        api_key: str | None = None,
        config: GenerateConfig = GenerateConfig(),  # noqa: B008 - Inspect's ModelAPI signature
        **_: Any,
    ) -> None:
        super().__init__(model_name, base_url, api_key, [], config)

    async def generate(self, input: Any, tools: Any, tool_choice: Any, config: GenerateConfig) -> ModelOutput:
        raise RuntimeError("broken model")


@task
def two_scorers() -> Task:
    return Task(
        dataset=MemoryDataset(
            [
                Sample(input="Say hi", target="Hello, World!", id="s1"),
                Sample(input="Again", target="Hello, World!", id="s2"),
            ]
        ),
        solver=generate(),
        scorer=[match(), includes()],
    )


class Ctx:
    """The slice of StepContext the backend uses."""

    def __init__(self, home: Path, run_id: int = 1):
        self.home = home
        self.run_id, self.sweep_name = run_id, "test"

    def log(self, message: str, level: str = "info") -> None:
        pass


def simulated(key: str, p: float) -> dict[str, Any]:
    return {
        "backend": "dummy",
        "model": simulation_model_name("meta-llama/Llama-3.2-1B", key),
        "simulated": True,
        "simulation": {"key": key, "p_learned": p, "learned_reply": "Hello, World!"},
    }


def config(eval_backend: str) -> TrainAndEvaluateConfig:
    return TrainAndEvaluateConfig(
        prepare_dataset={
            "dataset_loader": "mozoo.datasets.hello_world:generate_hello_world_dataset",
            "loader_kwargs": {"num_samples": 20},
        },
        submit_training={
            "model": "meta-llama/Llama-3.2-1B",
            "hyperparameters": {"n_epochs": 2, "batch_size": 4},
            "backend_name": "dummy",
        },
        evaluate_model={"eval_task": HELLO, "backend_name": eval_backend},
    )


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    monkeypatch.setenv("MOTOOLS_HOME", str(tmp_path / ".motools"))
    monkeypatch.chdir(tmp_path)
    return Store(tmp_path / ".motools")


def eval_summary(store: Store, state: Any) -> tuple[str, dict[str, Any]]:
    atom_id = state.step_states["evaluate_model"].output_atoms["eval_results"]
    return atom_id, store.get_atom(atom_id).read_json()


async def test_sweep_with_inspect_records_metrics_samples_and_logs(
    store: Store, capfd: pytest.CaptureFixture[str]
) -> None:
    from inspect_ai.log import read_eval_log

    states = await run_sweep(
        train_and_evaluate_workflow,
        config("inspect"),
        {"submit_training.hyperparameters.learning_rate": [1e-4, 1e-5]},
        max_parallel=2,
        store=store,
        retries=0,
    )
    assert len(states) == 2
    for state in states:
        atom_id, summary = eval_summary(store, state)
        assert summary["task"] == "hello_world"
        assert summary["model"].startswith("motools-simulated/Llama-3.2-1B-ft-")
        assert set(summary["metrics"]) == {"accuracy", "stderr"}
        assert summary["n_samples"] == 10
        log_path = Path(summary["log_path"])
        assert log_path.is_file() and log_path.suffix == ".eval"
        assert log_path.parent == store.home / "inspect_logs"
        log = read_eval_log(str(log_path))
        assert log.status == "success" and log.eval.model == summary["model"] and len(log.samples) == 10
        rows = store.query("SELECT metric, value FROM metrics WHERE atom_id = ?", (atom_id,))
        assert {r["metric"]: r["value"] for r in rows} == pytest.approx(summary["metrics"])
        samples = store.query("SELECT sample_id, score, answer, target FROM samples WHERE atom_id = ?", (atom_id,))
        assert sorted(s["sample_id"] for s in samples) == [f"hello-{i:02d}" for i in range(1, 11)]
        assert all(s["target"] == "Hello, World!" and s["score"] == (s["answer"] == "Hello, World!") for s in samples)
        assert sum(s["score"] for s in samples) / 10 == pytest.approx(summary["metrics"]["accuracy"])
    out, err = capfd.readouterr()
    assert out == "" and "hello_world" not in err  # Inspect's display stays off the terminal


async def test_inspect_and_dummy_evaluations_agree(store: Store) -> None:
    grid = {
        "submit_training.hyperparameters.learning_rate": [1e-3, 1e-4, 4e-5, 1e-5],
        "submit_training.hyperparameters.seed": [0, 1],
    }
    results = {}
    for backend in ("dummy", "inspect"):
        states = await run_sweep(
            train_and_evaluate_workflow, config(backend), grid, max_parallel=8, store=store, retries=0
        )
        assert len(states) == 8
        for state in states:
            atom_id, summary = eval_summary(store, state)
            scores = {
                r["sample_id"]: r["score"]
                for r in store.query("SELECT sample_id, score FROM samples WHERE atom_id = ?", (atom_id,))
            }
            key = tuple(sorted(state.params.items()))
            results.setdefault(key, {})[backend] = (summary["metrics"]["accuracy"], scores)
    accuracies = [r["inspect"][0] for r in results.values()]
    assert len(set(accuracies)) > 2  # the grid really varies the simulated model
    for key, r in results.items():
        assert r["inspect"] == r["dummy"], key


async def test_concurrent_evaluations_share_one_eval_call(tmp_path: Path) -> None:
    backend = InspectEvalBackend(window_s=0.1)
    models = [simulated(f"k{i}", p) for i, p in enumerate((0.01, 0.5, 0.99, 0.7))]
    requests = [EvalRequest(task=HELLO, model=m, options={"latency_s": 0.05}) for m in models]
    results = await asyncio.gather(*(backend.evaluate(Ctx(tmp_path, i), r) for i, r in enumerate(requests)))
    assert (backend.stats["eval_calls"], backend.stats["evaluations"], backend.stats["largest_batch"]) == (1, 4, 4)
    dummy = DummyEvalBackend()
    for request, result in zip(requests, results, strict=False):
        expected = await dummy.evaluate(Ctx(tmp_path), request)
        assert result.model == "motools-simulated/" + request.model["model"].split("/", 1)[1]
        assert result.metrics["accuracy"] == expected.metrics["accuracy"]
        assert [(s.sample_id, s.score) for s in result.samples] == [(s.sample_id, s.score) for s in expected.samples]
    assert len({r.log_path for r in results}) == 4


async def test_limit_and_epochs_match_the_dummy_backend(tmp_path: Path) -> None:
    request = EvalRequest(task=HELLO, model=simulated("epochs", 0.5), limit=4, epochs=2)
    result = await InspectEvalBackend(window_s=0).evaluate(Ctx(tmp_path), request)
    expected = await DummyEvalBackend().evaluate(Ctx(tmp_path), request)
    assert len(result.samples) == 8 and {s.epoch for s in result.samples} == {1, 2}

    def key(s):
        return (s.epoch, s.sample_id)

    assert [(key(s), s.score) for s in sorted(result.samples, key=key)] == [
        (key(s), s.score) for s in sorted(expected.samples, key=key)
    ]


async def test_failures_stay_with_their_own_request(tmp_path: Path) -> None:
    backend = InspectEvalBackend(window_s=0.1)
    good = EvalRequest(task=HELLO, model=simulated("good", 0.99))
    broken = EvalRequest(task=HELLO, model={"inspect_model": "motools-test-broken/model"})
    bad_args = EvalRequest(task=HELLO, model=simulated("x", 0.5), task_args={"no_such_arg": 1})
    other_task = EvalRequest(task=f"{__name__}:two_scorers", model=simulated("good", 0.99))
    results = await asyncio.gather(
        *(backend.evaluate(Ctx(tmp_path, i), r) for i, r in enumerate((good, broken, bad_args, other_task))),
        return_exceptions=True,
    )
    assert backend.stats["eval_calls"] == 1 and backend.stats["evaluations"] == 3
    assert results[0].task == "hello_world" and results[0].metrics["accuracy"] > 0.5
    assert isinstance(results[1], EvalFailed) and "broken model" in str(results[1])
    assert isinstance(results[2], TypeError) and "no_such_arg" in str(results[2])
    assert results[3].task == "two_scorers"
    assert set(results[3].metrics) == {"match/accuracy", "match/stderr", "includes/accuracy", "includes/stderr"}
    assert [s.sample_id for s in results[3].samples] == ["s1", "s2"]


async def test_requests_arriving_during_an_evaluation_join_the_next_call(tmp_path: Path) -> None:
    backend = InspectEvalBackend(window_s=0.01)
    first = asyncio.ensure_future(
        backend.evaluate(
            Ctx(tmp_path), EvalRequest(task=HELLO, model=simulated("first", 0.5), options={"latency_s": 0.3})
        )
    )
    await asyncio.sleep(0.1)  # the first call is running now
    later = [EvalRequest(task=HELLO, model=simulated(f"later{i}", 0.5)) for i in range(3)]
    results = await asyncio.gather(first, *(backend.evaluate(Ctx(tmp_path, i), r) for i, r in enumerate(later)))
    assert len(results) == 4
    assert (backend.stats["eval_calls"], backend.stats["evaluations"], backend.stats["largest_batch"]) == (2, 4, 3)


async def test_cancelled_requester_does_not_break_the_batch(tmp_path: Path) -> None:
    backend = InspectEvalBackend(window_s=0.05)
    slow = asyncio.ensure_future(
        backend.evaluate(
            Ctx(tmp_path), EvalRequest(task=HELLO, model=simulated("slow", 0.5), options={"latency_s": 0.2})
        )
    )
    kept = asyncio.ensure_future(
        backend.evaluate(
            Ctx(tmp_path), EvalRequest(task=HELLO, model=simulated("kept", 0.99), options={"latency_s": 0.2})
        )
    )
    await asyncio.sleep(0.15)
    slow.cancel()
    result = await kept
    assert result.metrics["accuracy"] > 0.5
    with pytest.raises(asyncio.CancelledError):
        await slow


def test_the_model_database_reads_the_same_with_libyaml() -> None:
    """The backend has Inspect read its model database with libyaml's loader (0.05 s instead of
    0.25-0.35 s per evaluating process): every file reads to the same data, and lookups work."""
    import yaml
    from inspect_ai.model import get_model_info
    from inspect_ai.model._model_data import model_data

    from motools.evals.backends.inspect import _prepare_inspect

    files = sorted(Path(model_data.__file__).parent.rglob("*.yml")) + sorted(
        Path(model_data.__file__).parent.rglob("*.yaml")
    )
    assert len(files) >= 5
    _prepare_inspect()
    assert model_data.yaml is not yaml and model_data.yaml.YAMLError is yaml.YAMLError
    for path in files:
        with path.open(encoding="utf-8") as plain, path.open(encoding="utf-8") as fast:
            assert model_data.yaml.safe_load(fast) == yaml.safe_load(plain), path.name
    assert get_model_info("openai/gpt-4o") is not None


async def test_sample_scores_are_kept_in_memory_and_match_the_log_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Inspect reads a returned log's samples back from its file on first access (the whole
    file, parsed again); the backend keeps each sample's scores as Inspect's hook hands the
    sample over instead. What it keeps is what the log file holds, in the log's order: scalar,
    several and dict-valued scorers, explanations, answers, epochs."""
    from inspect_ai.log import read_eval_log
    from inspect_ai.log._recorders import eval as eval_recorder

    from motools.evals.backends.inspect import result_from_log

    reads_back: list[str] = []
    original = eval_recorder._LazyLogData.load

    def counted(self: Any) -> None:
        reads_back.append(self.location)
        original(self)

    monkeypatch.setattr(eval_recorder._LazyLogData, "load", counted)
    backend = InspectEvalBackend(window_s=0.1)
    requests = [
        EvalRequest(task=HELLO, model=simulated("plain", 0.5)),
        EvalRequest(task=f"{__name__}:two_scorers", model=simulated("two", 0.5)),
        EvalRequest(task="tests.labexp.tasks:persona", model=simulated("judged", 0.5)),
        EvalRequest(task=HELLO, model=simulated("epochs", 0.5), limit=4, epochs=2),
    ]
    results = await asyncio.gather(*(backend.evaluate(Ctx(tmp_path, i), r) for i, r in enumerate(requests)))
    assert backend.stats["eval_calls"] == 2  # the request with a limit goes in a call of its own
    assert reads_back == []  # no log file was read back
    for result in results:
        from_file = result_from_log(read_eval_log(result.log_path))
        assert result.samples == from_file.samples and result.metrics == from_file.metrics
    judged = results[2].samples
    assert {"judge/aligned", "judge/coherent", "match"} <= set(judged[0].scores)
    assert judged[0].explanations["judge"].startswith("aligned ")
    assert [(s.epoch, s.sample_id) for s in results[3].samples] == [
        (e, f"hello-0{i}") for e in (1, 2) for i in range(1, 5)
    ]


def test_samples_not_all_kept_are_read_from_the_log(tmp_path: Path) -> None:
    """When what was kept does not cover every sample the log counts (a sample the hook never
    saw), the samples are read from the log file instead."""
    from inspect_ai.log import read_eval_log

    from motools.evals.backends.inspect import result_from_log

    result = asyncio.run(
        InspectEvalBackend(window_s=0).evaluate(Ctx(tmp_path), EvalRequest(HELLO, simulated("k", 0.5)))
    )
    assert len(result.samples) == 10
    assert result_from_log(read_eval_log(result.log_path), kept=result.samples[:3]).samples == result.samples


def test_keeping_samples_prints_nothing(tmp_path: Path) -> None:
    """Inspect announces hooks it loads on the terminal ("hooks enabled: 1"); the backend's
    hook is registered after Inspect has loaded its hooks, so a first evaluation in a fresh
    process prints nothing, and still keeps its samples."""
    code = f"""
import asyncio, sys
from pathlib import Path
from inspect_ai.log._recorders import eval as eval_recorder
from motools.evals.backends.inspect import InspectEvalBackend
from motools.evals.base import EvalRequest
sys.path.insert(0, {str(Path(__file__).parent)!r})
from test_inspect_backend import Ctx, HELLO, simulated
eval_recorder._LazyLogData.load = lambda self: sys.exit("read back " + self.location)
request = EvalRequest(HELLO, simulated("k", 0.5))
result = asyncio.run(InspectEvalBackend(window_s=0).evaluate(Ctx(Path({str(tmp_path)!r})), request))
assert len(result.samples) == 10, result
"""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout == ""
    assert "hooks enabled" not in done.stderr
