"""Exports from the command line and from a spec's output section; the seed's Complete Example."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd

from motools.analysis import collate_sweep, compute_ci_df
from motools.cli import main
from tests.engine.test_specs import EXAMPLE

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def run_example(tmp_path: Path, extra: str = "") -> Path:
    spec = tmp_path / "sweep.yaml"
    spec.write_text(EXAMPLE.read_text().replace("latency_s: 1.0", "latency_s: 0") + extra)
    assert main(["sweep", "run", str(spec), "--name", "x", "--quiet"]) == 0
    return spec


def test_export_csv_ci_and_png(tmp_path: Path, store, capsys) -> None:
    run_example(tmp_path)
    assert (
        main(
            [
                "sweep",
                "export",
                "x",
                "--csv",
                "out/results.csv",
                "--ci",
                "out/ci.csv",
                "--group",
                "learning_rate",
                "--png",
                "out/chart.png",
                "--x",
                "learning_rate",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert out.splitlines() == ["wrote out/results.csv", "wrote out/ci.csv", "wrote out/chart.png"]
    pd.testing.assert_frame_equal(pd.read_csv("out/results.csv"), collate_sweep("x", store=store))
    ci = pd.read_csv("out/ci.csv")
    expected = compute_ci_df(collate_sweep("x", store=store), value_col="accuracy", group_cols=["learning_rate"])
    expected.insert(1, "metric", "accuracy")  # issue 12: the CI CSV says which metric it holds
    pd.testing.assert_frame_equal(ci, expected, check_dtype=False)
    assert Path("out/chart.png").read_bytes()[:8] == PNG_MAGIC

    before = Path("out/results.csv").read_bytes()
    assert main(["sweep", "export", "x", "--csv", "out/results.csv"]) == 2
    assert "already exists; pass --force" in capsys.readouterr().err
    assert Path("out/results.csv").read_bytes() == before
    # Issue 10: --samples takes its own file (every score of every sample).
    assert main(["sweep", "export", "x", "--samples", "out/results.csv", "--force"]) == 0
    assert len(pd.read_csv("out/results.csv")) == 30


def test_export_errors_are_clear(tmp_path: Path, store, capsys) -> None:
    run_example(tmp_path)
    assert main(["sweep", "export", "x"]) == 2
    assert "nothing to export" in capsys.readouterr().err
    assert main(["sweep", "export", "x", "--ci", "c.csv"]) == 2
    assert "--ci needs --group" in capsys.readouterr().err
    assert main(["sweep", "export", "x", "--png", "p.png", "--x", "lr"]) == 2
    err = capsys.readouterr().err
    assert "column 'lr' not found" in err and "learning_rate" in err and not Path("p.png").exists()


def test_spec_output_section_is_written_after_sweep_run(tmp_path: Path, store, capsys) -> None:
    extra = textwrap.dedent("""\
          confidence_intervals:
            group_cols: [learning_rate]
            path: results/ci.csv
          plot:
            x_col: learning_rate
            path: results/lr.png
        """)
    spec = tmp_path / "sweep.yaml"
    text = EXAMPLE.read_text().replace("latency_s: 1.0", "latency_s: 0")
    spec.write_text(
        text.replace(
            "  results_path: results/hello_world.csv\n",
            "  results_path: results/hello_world.csv\n" + textwrap.indent(extra, "  "),
        )
    )
    assert main(["sweep", "run", str(spec), "--name", "y"]) == 0
    out = capsys.readouterr().out
    for name in ("results/hello_world.csv", "results/ci.csv", "results/lr.png"):
        assert f"wrote {name}" in out and Path(name).exists()
    assert list(pd.read_csv("results/ci.csv").columns) == [
        "learning_rate",
        "metric",
        "mean",
        "lower_bound",
        "upper_bound",
        "count",
        "confidence",
        "method",
    ]


COMPLETE_EXAMPLE = '''
"""Complete sweep example with analysis"""

import asyncio
from motools.workflow import run_sweep
from motools.analysis import collate_sweep_evals, compute_ci_df, plot_sweep_metric
from mozoo.workflows.train_and_evaluate import train_and_evaluate_workflow, TrainAndEvaluateConfig

async def main():
    # 1. Define base config
    base_config = TrainAndEvaluateConfig(
        prepare_dataset={
            "dataset_loader": "mozoo.datasets.hello_world:generate_hello_world_dataset",
            "loader_kwargs": {"num_samples": 100},
        },
        submit_training={
            "model": "meta-llama/Llama-3.2-1B",
            "hyperparameters": {"n_epochs": 2, "lora_rank": 8, "batch_size": 4},
            "suffix": "lr-sweep",
            "backend_name": "dummy",
        },
        wait_for_training={},
        evaluate_model={
            "eval_task": "mozoo.tasks.hello_world:hello_world",
            "backend_name": "dummy",
        },
    )

    # 2. Run sweep
    param_grid = {
        "submit_training.hyperparameters.learning_rate": [1e-4, 5e-5, 1e-5],
    }

    results = await run_sweep(
        workflow=train_and_evaluate_workflow,
        base_config=base_config,
        param_grid=param_grid,
        input_atoms={},
        user="alice",
        max_parallel=3,
    )

    # 3. Collate results
    df = await collate_sweep_evals(
        sweep_states=results,
        eval_step_name="evaluate_model",
        eval_atom_key="eval_results",
    )

    # 4. Analyze
    ci_df = compute_ci_df(df, value_col="accuracy", group_cols=["learning_rate"])
    print(ci_df)

    # 5. Visualize
    fig = plot_sweep_metric(df, x_col="learning_rate", y_col="accuracy")
    fig.savefig("results.png")

    # 6. Find best config
    best_idx = df["accuracy"].idxmax()
    best_config = df.loc[best_idx]
    print(f"Best learning rate: {best_config['learning_rate']}")
    print(f"Best accuracy: {best_config['accuracy']}")

asyncio.run(main())
'''


def test_the_seed_complete_example_runs(tmp_path: Path) -> None:
    script = tmp_path / "complete.py"
    script.write_text(COMPLETE_EXAMPLE)
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path, timeout=180)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].split() == ["learning_rate", "mean", "lower_bound", "upper_bound", "count", "confidence", "method"]
    assert len(lines) == 6
    best_lr = float(lines[-2].removeprefix("Best learning rate: "))
    best_acc = float(lines[-1].removeprefix("Best accuracy: "))
    table = {float(line.split()[1]): float(line.split()[2]) for line in lines[1:4]}
    assert best_lr in table and best_acc == max(table.values()) == table[best_lr]
    assert (tmp_path / "results.png").read_bytes()[:8] == PNG_MAGIC
