"""The ``ray`` executor against a real two-node Ray cluster on 127.0.0.1 (no mocks).

One cluster for the module: a head and one more node, ``--num-cpus=1`` each, the second with
one (declared) GPU, on free ports under a temporary folder, stopped by the pids this module
started. What must hold: a sweep's steps run on both nodes and come back whole; a step that
asks for a GPU lands on the GPU node; a killed Ray worker process, or a whole node dying,
costs only a retry elsewhere, nothing lost; a killed driver leaves a sweep that
``motools sweep resume`` finishes without repeating finished steps.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from motools.status import Status
from motools.store import Store
from motools.workflow import run_sweep
from tests.executors.workflows import ProbeConfig, ProbeWorkflowConfig, gpu_probe_workflow, probe_workflow, reports
from tests.faults.support import motools_popen, motools_run, rows, step_executions, wait_for
from tests.ray_cluster import RayCluster, RayNode


class Cluster:
    def __init__(self, cluster: RayCluster, head: RayNode, other: RayNode, nodes: dict[str, dict[str, float]]):
        self.cluster, self.head, self.other = cluster, head, other
        self.address = cluster.address
        self.gpu_node = next(n for n, res in nodes.items() if res.get("GPU"))
        self.head_node = next(n for n in nodes if n != self.gpu_node)


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[Cluster]:
    cluster = RayCluster()
    saved = dict(os.environ)
    try:
        head = cluster.start_head()
        other = cluster.add_node("gpu", num_gpus=1)
        nodes = cluster.alive_nodes()
        assert len(nodes) == 2
        os.environ.update(cluster.env())  # this process's drivers join with the cluster's token
        yield Cluster(cluster, head, other, nodes)
    finally:
        os.environ.clear()
        os.environ.update(saved)
        cluster.stop()


def _placements(store: Store, step: str) -> list[dict]:
    sweep = store.read.sweeps()[0]
    return [r for r in store.read.sweep_steps(sweep["id"]) if r["name"] == step]


async def _started(tmp_path: Path, count: int, sweep: asyncio.Task, store: Store) -> list[Path]:
    """The marker files of the probe steps that began, once ``count`` exist; fails at once if the
    sweep ends first (say the driver could not reach the cluster) instead of waiting forever."""
    while len(found := sorted(tmp_path.glob("started-*"))) < count:
        if sweep.done():
            errors = {s["error"] for s in _placements(store, "probe") if s["error"]}
            raise AssertionError(f"the sweep ended before {count} steps started: {errors}")
        await asyncio.sleep(0.05)
    return found


def _retries(store: Store) -> list[str]:
    sweep = store.read.sweeps()[0]
    return [e["message"] for e in store.read.events(sweep_id=sweep["id"]) if e["message"].startswith("transient")]


async def test_steps_run_on_both_nodes_and_come_back_whole(ray_cluster: Cluster, store: Store) -> None:
    config = ProbeWorkflowConfig(probe=ProbeConfig(fetch_extra=False, sleep_s=0.5))  # steps that overlap
    grid = {"make.x": [1, 2, 3, 4, 5, 6]}
    states = await run_sweep(
        probe_workflow, config, grid, store=store, executor="ray", ray_address=ray_cluster.address, max_parallel=6
    )
    assert [s.status for s in states] == [Status.FINISHED] * 6
    got = reports(states)
    assert all(r["blob_ok"] for r in got)  # a 100 kB file atom travelled as bytes
    placed = _placements(store, "probe")
    assert {p["node"] for p in placed} == {ray_cluster.head_node, ray_cluster.gpu_node}
    assert {p["pid"] for p in placed} == {r["pid"] for r in got} and os.getpid() not in {r["pid"] for r in got}
    assert {p["node"] for p in _placements(store, "make")} == {None}  # the rest stays in the driver
    sweep = store.read.sweeps()[0]
    assert sum(e["message"].startswith("probe of") for e in store.read.events(sweep_id=sweep["id"])) == 6
    assert len(store.read.run_metrics(sweep["id"])) == 6


async def test_a_step_that_asks_for_a_gpu_lands_on_the_gpu_node(ray_cluster: Cluster, store: Store) -> None:
    config = ProbeWorkflowConfig(probe=ProbeConfig(fetch_extra=False))
    states = await run_sweep(
        gpu_probe_workflow, config, {"make.x": [1, 2, 3]}, store=store, executor="ray", ray_address=ray_cluster.address
    )
    assert len(states) == 3
    assert {p["node"] for p in _placements(store, "probe")} == {ray_cluster.gpu_node}
    assert {r["cuda"] for r in reports(states)} == {"0"}  # Ray gave each task the node's GPU


async def test_a_step_on_ray_gets_only_its_inputs_and_says_so(ray_cluster: Cluster, store: Store) -> None:
    states = await run_sweep(
        probe_workflow,
        ProbeWorkflowConfig(),
        {"make.x": [1]},
        store=store,
        executor="ray",
        ray_address=ray_cluster.address,
    )
    assert states == []
    (step,) = _placements(store, "probe")
    assert step["status"] == Status.FAILED and "is not among this step's inputs" in step["error"]


async def test_a_killed_ray_worker_process_costs_a_retry_elsewhere_and_nothing_else(
    ray_cluster: Cluster, store: Store, tmp_path: Path
) -> None:
    config = ProbeWorkflowConfig(probe=ProbeConfig(fetch_extra=False, marker_dir=str(tmp_path), sleep_s=2.0))
    run = run_sweep(
        probe_workflow,
        config,
        {"make.x": [1, 2, 3, 4]},
        store=store,
        executor="ray",
        ray_address=ray_cluster.address,
        retry_backoff_s=0.01,
    )

    sweep = asyncio.create_task(run)
    victim = (await _started(tmp_path, 1, sweep, store))[0]
    killed = int(victim.read_text())
    os.kill(killed, signal.SIGKILL)  # the Ray worker process running that step
    states = await sweep
    assert [s.status for s in states] == [Status.FINISHED] * 4
    assert killed not in {r["pid"] for r in reports(states)}
    retries = _retries(store)
    assert len(retries) == 1 and "Ray lost the task" in retries[0]
    sweep_name = store.read.sweeps()[0]["name"]
    assert all(n == 1 for n in step_executions(store.home, sweep_name).values())


RAY_SPEC = """\
name: on-ray
base_config:
  prepare_dataset:
    dataset_loader: mozoo.datasets.hello_world:generate_hello_world_dataset
    loader_kwargs: {{num_samples: 20}}
  submit_training:
    model: meta-llama/Llama-3.2-1B
    backend_name: dummy
  evaluate_model:
    eval_task: mozoo.tasks.hello_world:hello_world
    backend_name: dummy
    latency_s: 1.0
param_grid:
  submit_training.hyperparameters.seed: [0, 1, 2, 3, 4, 5]
execution:
  max_parallel: 2
  executor: ray
  ray_address: "{address}"
"""


def test_a_killed_driver_leaves_a_sweep_that_resume_finishes(ray_cluster: Cluster, tmp_path: Path) -> None:
    spec = tmp_path / "on-ray.yaml"
    spec.write_text(RAY_SPEC.format(address=ray_cluster.address))
    home = tmp_path / "home"
    driver = motools_popen("sweep", "run", str(spec), "--name", "r", "--quiet", home=home)

    def evaluations() -> dict[int, tuple[float, int]]:
        return {
            idx: (finished_at, cached)
            for idx, finished_at, cached in rows(
                home,
                "SELECT r.idx, s.finished_at, s.cached FROM steps s JOIN runs r ON r.id = s.run_id "
                "WHERE s.name = 'evaluate_model' AND s.status = 'finished'",
            )
        }

    wait_for(lambda: len(evaluations()) >= 2 or driver.poll() is not None, timeout=180)
    assert driver.poll() is None, driver.communicate()
    os.kill(driver.pid, signal.SIGKILL)
    driver.wait()
    before = evaluations()
    assert 2 <= len(before) < 6
    done = motools_run("sweep", "resume", "r", "--quiet", home=home)
    assert done.returncode == 0, done.stderr
    assert {s for (s,) in rows(home, "SELECT status FROM runs")} == {"finished"}
    after = evaluations()
    # finished ones were kept, or served from the cache (never executed again: see step_executions)
    assert len(after) == 6 and all(after[i] == t or after[i][1] == 1 for i, t in before.items())
    assert max(step_executions(home, "r").values()) == 1
    nodes = {n for (n,) in rows(home, "SELECT node FROM steps WHERE name = 'evaluate_model'")}
    assert nodes <= {ray_cluster.head_node, ray_cluster.gpu_node} and None not in nodes
    shown = motools_run("sweep", "show", "r", home=home).stdout  # "ran on": each node of the evaluations
    line = next(x for x in shown.splitlines() if x.strip().startswith("evaluate_model") and " node " in x)
    assert all(f"node {n[:8]}" in line for n in nodes)


async def test_a_node_that_dies_mid_sweep_costs_retries_on_the_other_node(
    ray_cluster: Cluster, store: Store, tmp_path: Path
) -> None:
    """Last in the module: the cluster loses its second node for good."""

    config = ProbeWorkflowConfig(probe=ProbeConfig(fetch_extra=False, marker_dir=str(tmp_path), sleep_s=2.0))
    sweep = asyncio.create_task(
        run_sweep(
            probe_workflow,
            config,
            {"make.x": [1, 2, 3, 4]},
            store=store,
            executor="ray",
            ray_address=ray_cluster.address,
            retry_backoff_s=0.01,
        )
    )
    await _started(tmp_path, 2, sweep, store)  # one step on each node (one CPU each)
    ray_cluster.other.kill()
    states = await sweep
    assert [s.status for s in states] == [Status.FINISHED] * 4
    assert {p["node"] for p in _placements(store, "probe")} <= {ray_cluster.head_node, ray_cluster.gpu_node}
    retries = _retries(store)
    assert retries and all("Ray lost the task" in m for m in retries)
    assert all(n == 1 for n in step_executions(store.home, store.read.sweeps()[0]["name"]).values())
