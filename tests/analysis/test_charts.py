"""Chart data, and the two renderers that draw it."""

from __future__ import annotations

import matplotlib.image
import numpy as np
import pandas as pd
import pytest

from motools.analysis.charts import ChartData, heatmap_data, line_chart_data
from motools.analysis.plots import plot_sweep_heatmap, plot_sweep_metric, plot_sweep_metrics
from motools.analysis.render_matplotlib import draw_matplotlib
from motools.analysis.render_plotext import render_plotext
from motools.analysis.stats import compute_ci_df

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def sweep_df() -> pd.DataFrame:
    """A 2-D sweep in the seed's (unsorted) order, three seeds, two tasks."""
    rng = np.random.default_rng(5)
    rows = [
        {
            "learning_rate": lr,
            "lora_rank": rank,
            "seed": seed,
            "task": task,
            "accuracy": float(rng.uniform(0.5, 1.0)),
            "f1_score": float(rng.uniform(0.3, 0.9)),
        }
        for lr in (1e-4, 5e-5, 1e-7)
        for rank in (16, 8)
        for seed in range(3)
        for task in ("qa", "math")
    ]
    return pd.DataFrame(rows)


def test_line_points_are_means_with_the_metrics_intervals(sweep_df: pd.DataFrame) -> None:
    chart = line_chart_data(sweep_df, "learning_rate", ["accuracy"], confidence=0.9)
    (series,) = chart.series
    assert series.name == "accuracy"
    assert series.x == [1e-7, 5e-5, 1e-4]  # sorted ascending
    assert series.n == [12, 12, 12]
    assert series.y_err_low is not None and series.y_err_high is not None
    ci = compute_ci_df(sweep_df, "accuracy", ["learning_rate"], confidence=0.9).set_index("learning_rate")
    assert set(ci["method"]) == {"wilson-t"}  # accuracies: the bounded interval
    for i, x in enumerate(series.x):
        values = sweep_df.loc[sweep_df["learning_rate"] == x, "accuracy"].to_numpy()
        assert series.y[i] == pytest.approx(values.mean(), abs=1e-9)
        assert series.y[i] - series.y_err_low[i] == pytest.approx(ci.loc[x, "lower_bound"], abs=1e-9)
        assert series.y[i] + series.y_err_high[i] == pytest.approx(ci.loc[x, "upper_bound"], abs=1e-9)
        assert series.y[i] - series.y_err_low[i] >= 0 and series.y[i] + series.y_err_high[i] <= 1


def test_single_runs_have_no_error_bars() -> None:
    df = pd.DataFrame({"x": [1, 2, 2, 3], "y": [0.1, 0.2, 0.4, 0.5]})
    (series,) = line_chart_data(df, "x", ["y"]).series
    assert series.n == [1, 2, 1]
    assert series.y == pytest.approx([0.1, 0.3, 0.5])
    assert series.y_err_low is not None
    assert np.isnan(series.y_err_low[0]) and np.isfinite(series.y_err_low[1])

    (lonely,) = line_chart_data(df.drop_duplicates("x"), "x", "y").series
    assert lonely.y_err_low is None and lonely.y_err_high is None


@pytest.mark.parametrize(
    ("xs", "log"),
    [
        ([1e-4, 5e-5, 1e-7], True),  # three decades
        ([1e-4, 1e-6], True),  # issue 12: log from a 10x span on (was: more than 100x)
        ([1e-4, 1e-5], True),  # exactly 10x, despite float noise (1e-4 / 1e-5 < 10)
        ([1.0, 5.0], False),
        ([8, 16, 32, 64], False),  # 8x
        ([8, 16, 32, 64, 128], True),
        ([0.0, 1.0, 1000.0], False),  # not all positive
        ([-1000.0, -1.0], False),
    ],
)
def test_log_axis_decision(xs: list[float], log: bool) -> None:
    df = pd.DataFrame({"x": xs, "y": range(len(xs))})
    assert line_chart_data(df, "x", ["y"]).x_log is log


def test_categorical_x_keeps_first_seen_order() -> None:
    df = pd.DataFrame({"model": ["gpt", "llama", "gpt", "qwen"], "y": [1.0, 2.0, 3.0, 4.0]})
    chart = line_chart_data(df, "model", ["y"])
    assert chart.x_categories == ["gpt", "llama", "qwen"]
    assert chart.x_log is False
    (series,) = chart.series
    assert series.x == [0.0, 1.0, 2.0]
    assert series.y == [2.0, 2.0, 4.0]


def test_series_col_splits_and_metrics_multiply(sweep_df: pd.DataFrame) -> None:
    by_rank = line_chart_data(sweep_df, "learning_rate", ["accuracy"], series_col="lora_rank")
    assert [s.name for s in by_rank.series] == ["lora_rank=8", "lora_rank=16"]  # numeric: sorted
    rank8 = sweep_df[sweep_df["lora_rank"] == 8]
    expected = rank8.groupby("learning_rate")["accuracy"].mean().sort_index().tolist()
    assert by_rank.series[0].y == pytest.approx(expected, abs=1e-12)
    assert by_rank.series[0].n == [6, 6, 6]

    both = line_chart_data(sweep_df, "learning_rate", ["accuracy", "f1_score"], series_col="task")
    assert [s.name for s in both.series] == [
        "accuracy (task=qa)",
        "accuracy (task=math)",
        "f1_score (task=qa)",
        "f1_score (task=math)",
    ]
    assert both.y_label == "value"
    # lora_rank is neither axis nor series: averaged, and the title says so (issue 12).
    assert both.title == "accuracy, f1_score vs learning_rate (mean over lora_rank)"


def test_heatmap_data_cells(sweep_df: pd.DataFrame) -> None:
    df = sweep_df[~((sweep_df["learning_rate"] == 1e-7) & (sweep_df["lora_rank"] == 16))]
    chart = heatmap_data(df, "learning_rate", "lora_rank", "accuracy", title="H")
    data = chart.heatmap
    # Two tasks are averaged per cell: the title says so (issue 12).
    assert chart.kind == "heatmap" and chart.title == "H (mean over task)" and data is not None
    assert data.x_values == [1e-7, 5e-5, 1e-4]
    assert data.y_values == [8, 16]
    assert data.x_labels == ["1e-7", "5e-5", "1e-4"]  # issue 12: ticks read like 1e-5, 5e-5
    assert np.isnan(data.matrix[1][0]) and data.counts[1][0] == 0
    cell = df[(df["learning_rate"] == 5e-5) & (df["lora_rank"] == 8)]["accuracy"]
    assert data.matrix[0][1] == pytest.approx(cell.mean(), abs=1e-12)
    assert data.counts[0][1] == 6


def test_missing_columns_name_available_ones(sweep_df: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match=r"'acc'.*available columns: learning_rate, lora_rank"):
        line_chart_data(sweep_df, "learning_rate", ["acc"])
    with pytest.raises(ValueError, match=r"'task2'.*available columns"):
        line_chart_data(sweep_df, "learning_rate", ["accuracy"], series_col="task2")
    with pytest.raises(ValueError, match=r"'rank'.*available columns"):
        plot_sweep_heatmap(sweep_df, "learning_rate", "rank", "accuracy")
    with pytest.raises(ValueError, match=r"'lr'.*available columns"):
        plot_sweep_metric(sweep_df, "lr", "accuracy")


def _assert_png(path) -> None:
    assert path.read_bytes()[:8] == PNG_MAGIC
    pixels = matplotlib.image.imread(path)
    assert pixels.shape[0] > 0 and pixels.shape[1] > 0


def test_plot_sweep_metric_saves_png(sweep_df: pd.DataFrame, tmp_path) -> None:
    fig = plot_sweep_metric(df=sweep_df, x_col="learning_rate", y_col="accuracy", title="Learning Rate vs Accuracy")
    path = tmp_path / "learning_rate_comparison.png"
    fig.savefig(path)
    _assert_png(path)
    (ax,) = fig.axes
    # The fixture sweeps lora_rank and two tasks besides the x axis (issue 12: say so).
    assert ax.get_title() == "Learning Rate vs Accuracy (mean over lora_rank, task)"
    assert ax.get_xscale() == "log"
    assert len(ax.containers) == 1  # one errorbar container
    assert ax.get_legend() is None


def test_plot_sweep_metrics_draws_one_line_per_metric(sweep_df: pd.DataFrame, tmp_path) -> None:
    fig = plot_sweep_metrics(df=sweep_df, x_col="learning_rate", y_cols=["accuracy", "f1_score"], title="Compare")
    (ax,) = fig.axes
    assert len(ax.containers) == 2
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["accuracy", "f1_score"]
    fig.savefig(tmp_path / "compare.png")
    _assert_png(tmp_path / "compare.png")


def test_categorical_matplotlib_ticks() -> None:
    df = pd.DataFrame({"model": ["gpt", "llama"], "y": [1.0, 2.0]})
    (ax,) = draw_matplotlib(line_chart_data(df, "model", "y")).axes
    assert [t.get_text() for t in ax.get_xticklabels()] == ["gpt", "llama"]


def test_heatmap_figure_annotates_cells(sweep_df: pd.DataFrame, tmp_path) -> None:
    fig = plot_sweep_heatmap(
        df=sweep_df,
        x_col="learning_rate",
        y_col="lora_rank",
        value_col="accuracy",
        title="Hyperparameter Heatmap",
    )
    ax = fig.axes[0]
    assert len(fig.axes) == 2  # the heatmap and its colourbar
    means = sweep_df.groupby(["lora_rank", "learning_rate"])["accuracy"].mean()
    assert sorted(t.get_text() for t in ax.texts) == sorted(f"{m:.2f}" for m in means)
    path = tmp_path / "heatmap.png"
    fig.savefig(path)
    _assert_png(path)


def _assert_fits(text: str, width: int, height: int) -> list[str]:
    lines = text.split("\n")
    assert len(lines) == height
    assert all(len(line) <= width for line in lines)
    return lines


@pytest.mark.parametrize(("width", "height"), [(80, 20), (50, 12), (120, 30)])
def test_plotext_line_chart_has_requested_size(sweep_df: pd.DataFrame, width: int, height: int) -> None:
    chart = line_chart_data(sweep_df, "learning_rate", ["accuracy"], title="LR sweep", series_col="task")
    text = render_plotext(chart, width, height)
    _assert_fits(text, width, height)
    assert "LR sweep" in text
    assert "\x1b" not in text
    assert "task=qa" in text and "task=math" in text  # legend


def test_plotext_colour_is_opt_in(sweep_df: pd.DataFrame) -> None:
    chart = line_chart_data(sweep_df, "learning_rate", ["accuracy"])
    assert "\x1b[" in render_plotext(chart, 60, 15, color=True)


def test_plotext_heatmap_shows_cell_values(sweep_df: pd.DataFrame) -> None:
    chart = heatmap_data(sweep_df, "learning_rate", "lora_rank", "accuracy", title="Heat")
    text = render_plotext(chart, 90, 20)
    _assert_fits(text, 90, 20)
    assert "Heat" in text
    means = sweep_df.groupby(["lora_rank", "learning_rate"])["accuracy"].mean()
    for mean in means:
        assert f"{mean:.2f}" in text
    assert "1e-4" in text and "16" in text  # tick labels (issue 12: 1e-4, not 0.0001)


def test_plotext_handles_empty_and_categorical_charts() -> None:
    empty = ChartData(kind="line", title="Nothing yet", x_label="x", y_label="y")
    lines = _assert_fits(render_plotext(empty, 40, 10), 40, 10)
    assert "Nothing yet" in lines[0]
    df = pd.DataFrame({"model": ["gpt", "llama", "gpt"], "y": [1.0, 2.0, 3.0]})
    text = render_plotext(line_chart_data(df, "model", "y", title="Models"), 60, 14)
    _assert_fits(text, 60, 14)
    assert "gpt" in text and "llama" in text
