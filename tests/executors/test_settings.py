"""Choosing an executor: the spec's ``execution`` section, ``run_sweep(executor=...)``, and the
refusals (an unknown executor, options that do not apply, Ray not installed)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import textwrap

import pytest

from motools.errors import MotoolsError, SpecError
from motools.executors.base import ExecutorSettings, default_workers, make_executor
from motools.specs import parse_spec_text
from motools.store import Store
from motools.workflow import run_sweep
from motools.workflow.launch import prepare_execution, record_sweep
from tests.executors.workflows import ProbeWorkflowConfig, probe_workflow

SPEC = textwrap.dedent("""\
    name: pick
    base_config:
      prepare_dataset: {{dataset_loader: "mozoo.datasets.hello_world:generate_hello_world_dataset"}}
      submit_training: {{model: meta-llama/Llama-3.2-1B, backend_name: dummy}}
      evaluate_model: {{eval_task: "mozoo.tasks.hello_world:hello_world", backend_name: dummy}}
    execution: {{{execution}}}
""")


def spec_text(**execution: object) -> str:
    return SPEC.format(execution=", ".join(f"{k}: {json.dumps(v)}" for k, v in execution.items()))


def test_the_spec_chooses_the_executor_and_the_worker_gets_it(store: Store) -> None:
    spec = parse_spec_text(spec_text(executor="processes", workers=3))
    assert (spec.execution.executor, spec.execution.workers) == ("processes", 3)
    assert parse_spec_text(spec.to_yaml()).execution == spec.execution  # frozen with the sweep
    record_sweep(spec, name="picked", store=store)
    execution = prepare_execution("picked", store=store)
    assert execution.options.executor == ExecutorSettings("processes", 3, None)
    assert parse_spec_text(spec_text()).execution.executor == "local"  # the default


def test_run_sweep_records_its_executor_so_a_resume_uses_it_too(store: Store) -> None:
    asyncio.run(run_sweep(probe_workflow, ProbeWorkflowConfig(), store=store, name="pooled", executor="processes"))
    spec = parse_spec_text(store.get_sweep("pooled")["spec_yaml"], resolve=False)
    assert spec.execution.executor == "processes" and spec.execution.workers is None
    assert prepare_execution("pooled", store=store).options.executor.name == "processes"


@pytest.mark.parametrize(
    "execution, message",
    [
        ({"executor": "threads"}, "executor"),
        ({"executor": "local", "workers": 2}, "workers applies to executor 'processes' only"),
        ({"executor": "processes", "ray_address": "auto"}, "ray_address applies to executor 'ray' only"),
        ({"executor": "processes", "workers": 0}, "workers"),
    ],
)
def test_bad_execution_settings_are_refused(execution: dict, message: str) -> None:
    with pytest.raises(SpecError, match=message):
        parse_spec_text(spec_text(**execution))


def test_without_ray_executor_ray_is_refused_with_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # what Python does for a package that is not there
    with pytest.raises(SpecError) as refused:
        parse_spec_text(spec_text(executor="ray"))
    (problem,) = refused.value.problems
    assert problem.path == "execution.executor" and "pip install 'motools[ray]'" in problem.message
    with pytest.raises(MotoolsError, match=r"pip install 'motools\[ray\]'"):
        asyncio.run(run_sweep(probe_workflow, ProbeWorkflowConfig(), executor="ray"))
    with pytest.raises(MotoolsError, match=r"pip install 'motools\[ray\]'"):
        make_executor(ExecutorSettings("ray"))


def test_with_ray_installed_executor_ray_is_accepted() -> None:
    spec = parse_spec_text(spec_text(executor="ray", ray_address="127.0.0.1:6379"))
    assert (spec.execution.executor, spec.execution.ray_address) == ("ray", "127.0.0.1:6379")


def test_pool_size_defaults_to_every_core_but_one() -> None:
    import os

    cores = len(os.sched_getaffinity(0))
    assert default_workers() == max(1, cores - 1)
    assert make_executor(ExecutorSettings("processes")).size == default_workers()  # type: ignore[attr-defined]
    assert make_executor(ExecutorSettings("processes", workers=5)).size == 5  # type: ignore[attr-defined]


def test_choosing_an_executor_imports_neither_ray_nor_a_pool() -> None:
    probe = (
        "import sys, json, motools, motools.executors, motools.workflow, motools.specs\n"
        "from motools.executors.base import make_executor, ExecutorSettings\n"
        "make_executor(ExecutorSettings('ray')); make_executor(ExecutorSettings('processes'))\n"
        "print(json.dumps(sorted(m for m in sys.modules if m == 'ray' or m.startswith('multiprocessing'))))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
