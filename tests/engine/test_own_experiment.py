"""A researcher's own experiment (issue 10): judge scores per sample, their own workflow and
modules, baselines, a cache that follows the code, linked parameters, extending a sweep.

The experiment lives in ``tests/labexp`` and is copied next to the specs as a package named
``labexp``, as a researcher's would be: nothing here is part of ``mozoo``.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from motools.analysis import collate_sweep, collate_sweeps
from motools.cli import main
from motools.evals.scoring import flatten_score, score_number
from motools.store import Store
from motools.workflow import run_sweep
from tests.conftest import make_config
from tests.faults.support import motools_run, rows, wait_for

LABEXP = Path(__file__).resolve().parents[1] / "labexp"
LR = "submit_training.hyperparameters.learning_rate"


@pytest.fixture(scope="session")
def lab_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding the ``labexp`` package, importable in this process."""
    root = tmp_path_factory.mktemp("lab")
    shutil.copytree(LABEXP, root / "labexp", ignore=shutil.ignore_patterns("__pycache__"))
    sys.path.insert(0, str(root))
    return root


def persona_config(backend: str = "dummy", task: str = "labexp.tasks:persona") -> object:
    return make_config(evaluate_model={"eval_task": task, "backend_name": backend})


# -- 1. every score of every sample ---------------------------------------------------------
def test_scores_convert_like_inspect_and_keep_text() -> None:
    assert [score_number(v) for v in ("C", "I", "P", "N", True, "yes", "false", "0.25", 3)] == [
        1.0,
        0.0,
        0.5,
        0.0,
        1.0,
        1.0,
        0.0,
        0.25,
        3.0,
    ]
    assert score_number("maybe") is None and score_number([1, 2]) is None
    assert flatten_score("judge", {"aligned": 80, "coherent": "90", "verdict": "refused"}) == {
        "judge/aligned": 80.0,
        "judge/coherent": 90.0,
        "judge/verdict": "refused",
    }
    assert flatten_score("match", "C") == {"match": 1.0}


@pytest.mark.parametrize("backend", ["inspect", "dummy"])
async def test_every_score_of_every_sample_is_kept(backend: str, lab_root: Path, store, capfd) -> None:
    from labexp.tasks import judge_answer

    await run_sweep("train_and_evaluate", persona_config(backend), {LR: [1e-4, 1e-5]}, store=store, name="j")
    samples = collate_sweep("j", store=store, samples=True)
    assert list(samples.columns) == [
        "learning_rate",
        "run",
        "status",
        "task",
        "sample_id",
        "epoch",
        "judge/aligned",
        "judge/coherent",
        "match",
        "answer",
        "target",
    ]
    assert len(samples) == 12 and set(samples["task"]) == {"persona"}
    columns = ["judge/aligned", "judge/coherent", "match", "answer", "target"]
    for aligned, coherent, matched, answer, target in samples[columns].itertuples(index=False, name=None):
        verdict = judge_answer(answer)  # each judge key is the judge's verdict on that very answer
        assert (aligned, coherent) == (verdict["aligned"], verdict["coherent"])
        assert matched == float(answer.strip().endswith(target))
    # The field's headline number, per sample: misaligned AND coherent.
    em = ((samples["judge/aligned"] < 30) & (samples["judge/coherent"] > 50)).groupby(samples["run"]).mean()
    runs = collate_sweep("j", store=store)
    assert list(runs.columns)[-3:] == ["judge/aligned/mean", "judge/coherent/mean", "match/accuracy"]
    assert np.allclose(samples.groupby("run")["judge/aligned"].mean(), runs["judge/aligned/mean"])
    assert np.allclose(em, (samples.assign(m=samples["judge/aligned"] < 30).groupby("run")["m"].mean()))
    captured = capfd.readouterr()
    assert "Unable to convert" not in captured.out + captured.err
    store_rows = store.query("SELECT DISTINCT name FROM sample_scores")
    assert {r["name"] for r in store_rows} == {"judge/aligned", "judge/coherent", "match"}
    explained = store.query("SELECT explanation FROM sample_scores WHERE name = 'judge/aligned' LIMIT 1")
    assert explained[0]["explanation"].startswith("aligned ")


async def test_dummy_and_inspect_name_and_score_alike(lab_root: Path, store) -> None:
    for backend in ("dummy", "inspect"):
        await run_sweep("train_and_evaluate", persona_config(backend), {LR: [1e-4]}, store=store, name=backend)
    a, b = (collate_sweep(n, store=store, samples=True) for n in ("dummy", "inspect"))
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(collate_sweep("dummy", store=store), collate_sweep("inspect", store=store))


# -- 2 and 3. a workflow of one's own, from one's own modules -------------------------------
async def test_a_custom_workflow_declares_its_results(lab_root: Path, store) -> None:
    from labexp.workflows import persona_workflow

    states = await run_sweep(persona_workflow, {}, {"make_persona.p_persona": [0.2, 0.8]}, store=store, name="own")
    assert len(states) == 2
    df = collate_sweep("own", store=store)
    assert list(df.columns) == [
        "p_persona",
        "run",
        "status",
        "task",
        "judge/aligned/mean",
        "judge/coherent/mean",
        "match/accuracy",
    ]
    assert df["match/accuracy"].iloc[1] > df["match/accuracy"].iloc[0]
    from motools.analysis import collate_sweep_evals

    via_states = await collate_sweep_evals(states)
    assert via_states["match/accuracy"].tolist() == df["match/accuracy"].tolist()


def test_nothing_in_the_engine_names_the_zoo() -> None:
    """Readers find results through the workflow's declaration, never by the zoo's names."""
    root = Path(__file__).resolve().parents[2] / "motools"
    found = []
    for path in root.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                for word in ("evaluate_model", "eval_results", "mozoo"):
                    if word in node.value:
                        found.append(f"{path.relative_to(root.parent)}:{node.lineno}: {word}")
    assert found == []


def write_lab_spec(folder: Path, name: str = "lab", extra: str = "") -> Path:
    shutil.copytree(LABEXP, folder / "labexp", ignore=shutil.ignore_patterns("__pycache__"), dirs_exist_ok=True)
    spec = folder / "lab.yaml"
    spec.write_text(
        textwrap.dedent(f"""\
        name: {name}
        workflow: labexp.workflows:persona_workflow
        base_config:
          judge_persona: {{task: "labexp.tasks:persona", backend: dummy, n: 4}}
        param_grid:
          make_persona.p_persona: [0.1, 0.9]
        """)
        + extra
    )
    return spec


def test_a_spec_names_a_user_workflow_that_a_detached_worker_finds(tmp_path: Path) -> None:
    folder = tmp_path / "experiment"
    folder.mkdir()
    spec = write_lab_spec(folder)
    home = tmp_path / "elsewhere" / ".motools"  # the store far from the module
    refused = motools_run("sweep", "run", str(spec), "--name", "lab", "--detach", home=home, cwd=tmp_path)
    assert refused.returncode == 2 and "labexp.workflows:persona_workflow" in refused.stderr
    assert "Traceback" not in refused.stderr
    started = motools_run("sweep", "run", str(spec), "--name", "lab", "--detach", "--trust", home=home, cwd=tmp_path)
    assert started.returncode == 0, started.stderr
    wait_for(lambda: rows(home, "SELECT status FROM sweeps WHERE name='lab'")[0][0] in ("finished", "failed"))
    assert rows(home, "SELECT status FROM sweeps WHERE name='lab'")[0][0] == "finished"
    shown = motools_run("sweep", "show", "lab", home=home, cwd=tmp_path)
    assert "match/accuracy" in shown.stdout and "judge/aligned/mean" in shown.stdout
    retried = motools_run("sweep", "retry", "lab", home=home, cwd=tmp_path)
    assert retried.returncode == 0 and "no failed or cancelled runs" in retried.stdout


BROKEN_IN_WORKERS = """
import sys
from labexp.workflows import persona_workflow as wf

if sys.argv and sys.argv[0].endswith("worker.py"):  # a library the worker's host lacks
    raise ImportError("libcuda.so.1: cannot open shared object file")
"""


def test_a_worker_that_cannot_import_the_workflow_says_why(tmp_path: Path) -> None:
    folder = tmp_path / "experiment"
    folder.mkdir()
    spec = write_lab_spec(folder, name="broken")
    (folder / "gpuonly.py").write_text(BROKEN_IN_WORKERS)
    spec.write_text(spec.read_text().replace("labexp.workflows:persona_workflow", "gpuonly:wf"))
    home = tmp_path / ".motools"
    started = motools_run("sweep", "run", str(spec), "--name", "broken", "--detach", "--trust", home=home, cwd=tmp_path)
    assert started.returncode == 0, started.stderr
    wait_for(lambda: rows(home, "SELECT status FROM sweeps WHERE name='broken'")[0][0] == "failed")
    listed = motools_run("sweep", "list", home=home, cwd=tmp_path)
    assert "failed: " in listed.stdout and "libcuda" in listed.stdout
    shown = motools_run("sweep", "show", "broken", home=home, cwd=tmp_path)
    assert "failed: " in shown.stdout and "libcuda" in shown.stdout
    assert rows(home, "SELECT COUNT(*) FROM steps")[0][0] == 0  # nothing ran


async def test_a_workflow_only_the_running_script_has_is_refused(store) -> None:
    from dataclasses import replace

    from mozoo.workflows.train_and_evaluate import train_and_evaluate_workflow

    copy = replace(train_and_evaluate_workflow, import_path=None, module="__main__")
    with pytest.raises(ValueError, match="define it at the top level of a module"):
        await run_sweep(copy, make_config(), {}, store=store)


# -- 4. baselines ---------------------------------------------------------------------------
async def test_a_baseline_sweep_and_its_fine_tunes_collate_together(lab_root: Path, store) -> None:
    from mozoo.workflows.evaluate_only import EvaluateOnlyConfig, evaluate_only_workflow

    ev = {"eval_task": "labexp.tasks:persona", "backend_name": "inspect"}
    base = EvaluateOnlyConfig(prepare_model={"model_id": "motools-simulated/Llama-3.2-1B"}, evaluate_model=ev)
    grid = {"prepare_model.model_id": ["motools-simulated/Llama-3.2-1B", "motools-simulated/Qwen2.5-0.5B"]}
    assert len(await run_sweep(evaluate_only_workflow, base, grid, store=store, name="base")) == 2
    await run_sweep("train_and_evaluate", persona_config("inspect"), {LR: [1e-4]}, store=store, name="ft")
    both = collate_sweeps(["base", "ft"], store=store)
    assert both["sweep"].tolist() == ["base", "base", "ft"]
    assert list(both.columns)[:3] == ["sweep", "model_id", "learning_rate"]
    assert (both.loc[both.sweep == "base", "match/accuracy"] == 0).all()  # a base model never says it
    assert both.loc[both.sweep == "ft", "match/accuracy"].iloc[0] > 0.5
    from motools.analysis.compare import compare_sweeps

    diff = compare_sweeps("ft", "base", "match", store=store)
    assert len(diff) == 1 and diff["diff"].iloc[0] > 0 and diff["n_pairs"].iloc[0] == 6


def test_evaluate_only_refuses_a_model_id_that_is_no_model() -> None:
    from pydantic import ValidationError

    from mozoo.workflows.evaluate_only import EvaluateOnlyConfig

    with pytest.raises(ValidationError, match="expected an Inspect model name"):
        EvaluateOnlyConfig(
            prepare_model={"model_id": "gpt4"},
            evaluate_model={"eval_task": "mozoo.tasks.hello_world:hello_world", "backend_name": "dummy"},
        )


EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "hello_world_sweep.yaml"


def quick_example(tmp_path: Path, name: str = "s.yaml") -> tuple[Path, str]:
    """The bundled example, instant and offline, without its output section."""
    text = (
        EXAMPLE.read_text()
        .replace("latency_s: 1.0", "latency_s: 0")
        .replace("backend_name: inspect", "backend_name: dummy")
    )
    text = text.split("\noutput:")[0] + "\n"
    path = tmp_path / name
    path.write_text(text)
    return path, text


# -- 5. the cache follows the code ----------------------------------------------------------
EDITABLE = """
from pydantic import BaseModel
from motools.workflow import Step, Workflow

class C(BaseModel):
    x: int = 1

class Cfg(BaseModel):
    compute: C = C()

async def compute(ctx, config, inputs):
    return {{"out": await ctx.put_json_atom("number", {{"value": config.x * {factor}}})}}

wf = Workflow(name="{name}", config_model=Cfg, steps=(Step("compute", compute, C, (), ("out",)),))
"""


def run_editable(tmp_path: Path, home: Path, factor: int, name: str = "editable", sweep: str = "e") -> str:
    (tmp_path / "editmod.py").write_text(EDITABLE.format(factor=factor, name=name))
    script = (
        "import asyncio\nfrom motools.workflow import run_sweep\nfrom editmod import wf\n"
        f"states = asyncio.run(run_sweep(wf, {{}}, {{'compute.x': [2]}}, name='{sweep}'))\n"
        "s = states[0].get_step_state('compute')\nprint(s.cached, states[0].load_atom(s.output_atoms['out']).data)"
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={**__import__("os").environ, "MOTOOLS_HOME": str(home)},
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_editing_a_step_reruns_it_and_workflows_do_not_share(tmp_path: Path) -> None:
    home = tmp_path / ".motools"
    assert run_editable(tmp_path, home, 10, sweep="e1") == "False {'value': 20}"
    assert run_editable(tmp_path, home, 10, sweep="e2") == "True {'value': 20}"  # same code: from the cache
    assert run_editable(tmp_path, home, 100, sweep="e3") == "False {'value': 200}"  # edited: runs again
    assert run_editable(tmp_path, home, 100, name="other", sweep="o") == "False {'value': 200}"  # other workflow


def test_rerun_no_cache_and_cache_commands(tmp_path: Path, store, capsys) -> None:
    local, _ = quick_example(tmp_path)
    assert main(["sweep", "run", str(local), "--name", "c", "--quiet"]) == 0
    assert main(["sweep", "run", str(local), "--name", "c2", "--quiet"]) == 0  # all from the cache
    capsys.readouterr()
    assert main(["sweep", "show", "c2"]) == 0
    assert "evaluate_model 3 (3 from cache)" in capsys.readouterr().out
    assert main(["sweep", "resume", "c2", "--rerun", "evaluate_model", "--quiet"]) == 0
    cached = {
        r["name"]: r["cached"]
        for r in store.query(
            "SELECT s.name, s.cached FROM steps s JOIN runs r ON r.id = s.run_id JOIN sweeps w ON w.id = r.sweep_id "
            "WHERE w.name = 'c2' AND r.idx = 0"
        )
    }
    assert cached == {"prepare_dataset": 1, "submit_training": 1, "wait_for_training": 1, "evaluate_model": 0}
    assert main(["sweep", "resume", "c2", "--rerun", "nosuch"]) == 2
    assert "no step 'nosuch'" in capsys.readouterr().err
    assert main(["cache", "list", "--step", "evaluate_model"]) == 0
    assert "3 cached result(s)" in capsys.readouterr().out
    assert main(["cache", "clear", "--sweep", "c"]) == 0
    assert "cleared" in capsys.readouterr().out
    assert main(["sweep", "run", str(local), "--name", "c3", "--quiet", "--no-cache"]) == 0
    evaluated = store.query(
        "SELECT s.cached FROM steps s JOIN runs r ON r.id = s.run_id JOIN sweeps w ON w.id = r.sweep_id "
        "WHERE w.name = 'c3' AND s.name = 'evaluate_model'"
    )
    assert [s["cached"] for s in evaluated] == [0, 0, 0]  # nothing reused from earlier sweeps


# -- 6. linked parameters -------------------------------------------------------------------
async def test_linked_parameters_vary_together(store) -> None:
    grid = {
        (LR, "submit_training.suffix"): [(1e-4, "lr-1e4"), (5e-5, "lr-5e5")],
        "submit_training.hyperparameters.seed": [1, 2],
    }
    states = await run_sweep("train_and_evaluate", make_config(), grid, store=store, name="linked")
    assert len(states) == 4
    df = collate_sweep("linked", store=store)
    assert list(df.columns)[:3] == ["learning_rate", "suffix", "seed"]
    assert sorted(zip(df["learning_rate"], df["suffix"], strict=True)) == sorted(
        [(1e-4, "lr-1e4")] * 2 + [(5e-5, "lr-5e5")] * 2
    )


def test_linked_parameters_in_a_spec_are_validated(tmp_path: Path, capsys) -> None:
    text = EXAMPLE.read_text().replace(
        "  submit_training.hyperparameters.learning_rate: [1e-4, 5e-5, 1e-5]",
        '  "submit_training.hyperparameters.learning_rate, submit_training.suffix":\n'
        "    - [1e-4, lr-1e4]\n    - [5e-5]\n",
    )
    bad = tmp_path / "bad.yaml"
    bad.write_text(text)
    assert main(["spec", "add", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "linked paths take a list of 2-item lists" in err and "Traceback" not in err
    good = tmp_path / "good.yaml"
    good.write_text(text.replace("    - [5e-5]\n", "    - [5e-5, lr-5e5]\n"))
    assert main(["spec", "add", str(good)]) == 0
    assert "(2 configs)" in capsys.readouterr().out


# -- 7. extending a sweep -------------------------------------------------------------------
def test_running_a_named_sweep_with_more_values_runs_only_the_new_ones(tmp_path: Path, store, capsys) -> None:
    local, text = quick_example(tmp_path)
    local.write_text(text.replace("[1e-4, 5e-5, 1e-5]", "[1e-4, 5e-5]"))
    assert main(["sweep", "run", str(local), "--name", "grow", "--quiet"]) == 0
    first = {r["idx"]: r["finished_at"] for r in store.runs(store.get_sweep("grow")["id"])}
    local.write_text(text)
    assert main(["sweep", "run", str(local), "--name", "grow", "--quiet"]) == 0
    runs = store.runs(store.get_sweep("grow")["id"])
    assert len(runs) == 3 and {r["idx"]: r["finished_at"] for r in runs if r["idx"] in first} == first
    local.write_text(text.replace("n_epochs: 2", "n_epochs: 3"))
    assert main(["sweep", "run", str(local), "--name", "grow", "--quiet"]) == 2
    assert "different base config" in capsys.readouterr().err


# -- 8. smaller -----------------------------------------------------------------------------
async def test_a_leaf_named_like_a_lead_column_keeps_its_path(store) -> None:
    grid = {"prepare_dataset.loader_kwargs.tag": ["x", "y"]}
    cfg = make_config(prepare_dataset={"loader_kwargs": {"num_samples": 20, "tag": "x"}})
    await run_sweep("train_and_evaluate", cfg, grid, store=store, name="lead")
    assert "prepare_dataset.loader_kwargs.tag" not in collate_sweep("lead", store=store).columns  # 'tag' is fine
    from motools.params import param_labels

    assert param_labels(["a.task", "b.run", "c.status", "d.sweep", "e.lr"]) == {
        "a.task": "a.task",
        "b.run": "b.run",
        "c.status": "c.status",
        "d.sweep": "d.sweep",
        "e.lr": "lr",
    }


async def test_numpy_grids_and_coerced_values(store) -> None:
    grid = {LR: np.array([1e-4, 1e-5]), "submit_training.hyperparameters.n_epochs": [np.int64(1), "2"]}
    states = await run_sweep("train_and_evaluate", make_config(), grid, store=store, name="np")
    assert len(states) == 4
    params = [json.loads(r["params"]) for r in store.runs(store.get_sweep("np")["id"])]
    assert {type(p[LR]) for p in params} == {float}
    assert [p["submit_training.hyperparameters.n_epochs"] for p in params] == [1, 2, 1, 2]


async def test_bad_run_sweep_arguments_name_the_argument(store) -> None:
    for kwargs, word in (
        ({"max_parallel": 0}, "max_parallel"),
        ({"retries": -1}, "retries"),
        ({"retry_backoff_s": "x"}, "retry_backoff_s"),
        ({"name": "../x"}, "sweep name"),
    ):
        with pytest.raises(ValueError, match=word):
            await run_sweep("train_and_evaluate", make_config(), {}, store=store, **kwargs)
    assert store.list_sweeps() == []


def test_output_is_checked_before_any_run(tmp_path: Path, store, capsys) -> None:
    local = tmp_path / "s.yaml"
    local.write_text(EXAMPLE.read_text().replace("latency_s: 1.0", "latency_s: 0"))
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "hello_world.csv").write_text("precious\n")
    assert main(["sweep", "run", str(local), "--name", "out"]) == 2
    err = capsys.readouterr().err
    assert "results/hello_world.csv already exists" in err and "Traceback" not in err
    assert store.list_sweeps() == []
    bad = tmp_path / "bad.yaml"
    bad.write_text(local.read_text().replace("results_path: results/hello_world.csv", "results_pth: x.csv"))
    assert main(["sweep", "run", str(bad)]) == 2
    assert "output.results_pth" in capsys.readouterr().err


def test_a_python_launched_sweep_of_a_user_workflow_resumes_from_anywhere(tmp_path: Path) -> None:
    folder = tmp_path / "experiment"
    shutil.copytree(LABEXP, folder / "labexp", ignore=shutil.ignore_patterns("__pycache__"))
    home = tmp_path / ".motools"
    script = (
        "import asyncio\nfrom motools.workflow import run_sweep\nfrom labexp.workflows import persona_workflow\n"
        "asyncio.run(run_sweep(persona_workflow, {'judge_persona': {'task': 'labexp.tasks:persona'}}, "
        "{'make_persona.p_persona': [0.3, 0.7]}, name='py'))\n"
    )
    env = {**__import__("os").environ, "MOTOOLS_HOME": str(home)}
    made = subprocess.run(
        [sys.executable, "-c", script], cwd=folder, env=env, capture_output=True, text=True, timeout=120
    )
    assert made.returncode == 0, made.stderr
    # From another folder, a new process finds the workflow through the sweep's recorded import paths.
    again = motools_run("sweep", "resume", "py", "--rerun", "judge_persona", "--quiet", home=home, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert rows(home, "SELECT COUNT(*) FROM steps WHERE name='judge_persona' AND cached=0")[0][0] == 2


def test_a_detached_sweep_writes_the_specs_outputs(tmp_path: Path) -> None:
    local, text = quick_example(tmp_path)
    local.write_text(text + "output:\n  results_path: results/out.csv\n")
    home = tmp_path / ".motools"
    started = motools_run("sweep", "run", str(local), "--name", "d", "--detach", home=home, cwd=tmp_path)
    assert started.returncode == 0, started.stderr
    wait_for(lambda: (tmp_path / "results" / "out.csv").exists())
    table = pd.read_csv(tmp_path / "results" / "out.csv")
    assert len(table) == 3 and "accuracy" in table.columns


async def test_an_executor_no_step_can_use_is_said_not_silently_ignored(lab_root: Path, store: Store) -> None:
    from labexp.workflows import persona_workflow  # its steps do not opt in to leave the worker

    grid = {"make_persona.p_persona": [0.2, 0.8]}
    states = await run_sweep(persona_workflow, {}, grid, store=store, name="pooled", executor="processes")
    assert len(states) == 2
    sweep = store.get_sweep("pooled")
    said = [e for e in store.read.events(sweep_id=sweep["id"]) if e["message"].startswith("executor processes:")]
    assert len(said) == 1 and said[0]["level"] == "warning" and "remote_ok=True" in said[0]["message"]
    assert {r["pid"] for r in store.read.sweep_steps(sweep["id"])} == {os.getpid()}
