"""The chart rules of issue 12, read back from the matplotlib figure and the plotext text."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PolyCollection

from motools.analysis.chart_style import COLORS, MARKERS, SHADES
from motools.analysis.charts import heatmap_data, line_chart_data
from motools.analysis.plots import plot_sweep_heatmap, plot_sweep_metric, plot_sweep_metrics
from motools.analysis.render_matplotlib import draw_matplotlib
from motools.analysis.render_plotext import render_plotext
from motools.analysis.stats import compute_ci_df
from tests.analysis.synthetic import sample_frame

SGR = re.compile(r"\x1b\[([0-9;]*)m")
# plotext basic colour name -> 16-colour SGR foreground code
SIXTEEN = {"blue+": "94", "red+": "91", "green+": "92", "magenta+": "95", "cyan+": "96", "orange+": "93"}


def runs(params: dict[str, list], seeds: int = 3, seed: int = 0) -> pd.DataFrame:
    """A run-level frame in collate_sweep's layout."""
    rng = np.random.default_rng(seed)
    rows, run = [], 0
    grid = pd.MultiIndex.from_product(list(params.values()), names=list(params)).to_frame(index=False)
    for _, setting in grid.iterrows():
        for s in range(seeds):
            row = {**setting.to_dict(), "seed": s, "run": run, "status": "finished", "task": "qa"}
            row["accuracy"] = float(np.clip(rng.normal(0.8, 0.08), 0, 1))
            row["train_loss"] = float(rng.gamma(2.0, 0.5))
            rows.append(row)
            run += 1
    frame = pd.DataFrame(rows)
    return frame.astype({k: type(v[0]) for k, v in params.items() if isinstance(v[0], int | float)})


def xtick_labels(ax) -> list[str]:
    return [t.get_text() for t in ax.get_xticklabels()]


def test_learning_rates_get_a_log_axis_with_compact_ticks() -> None:
    df = runs({"learning_rate": [1e-5, 5e-5, 1e-4]})
    (ax,) = plot_sweep_metric(df, "learning_rate", "accuracy").axes
    assert ax.get_xscale() == "log"  # named like a learning rate, although it spans 10x only
    assert xtick_labels(ax) == ["1e-5", "5e-5", "1e-4"]
    assert list(ax.get_xticks()) == pytest.approx([1e-5, 5e-5, 1e-4])
    assert not ax.xaxis.get_minorticklocs().size  # no unlabelled minor ticks in between
    text = render_plotext(line_chart_data(df, "learning_rate", "accuracy"), 80, 20)
    assert re.search(r"1e-5\s+5e-5\s+1e-4", text)


def test_integer_parameters_sit_on_integer_ticks() -> None:
    few = runs({"lora_rank": [8, 16, 32, 64]})
    (ax,) = plot_sweep_metric(few, "lora_rank", "accuracy").axes
    assert ax.get_xscale() == "linear"  # 8x: not a log axis
    assert xtick_labels(ax) == ["8", "16", "32", "64"]
    many = runs({"n_epochs": list(range(5, 41))}, seeds=2)  # 8x: linear
    chart = line_chart_data(many, "n_epochs", "accuracy")
    assert chart.x_log is False
    assert all(float(t).is_integer() for t in chart.x_ticks) and len(chart.x_ticks) <= 10
    (ax,) = draw_matplotlib(chart).axes
    assert xtick_labels(ax) == chart.x_tick_labels
    assert all(label.isdigit() for label in xtick_labels(ax))


def test_categorical_parameters_are_points_never_joined() -> None:
    df = runs({"model": ["llama", "qwen", "gpt"], "learning_rate": [1e-5, 1e-4]})
    chart = line_chart_data(df, "model", "accuracy", series_col="learning_rate")
    assert chart.join_points is False and chart.x_categories == ["llama", "qwen", "gpt"]
    (ax,) = draw_matplotlib(chart).axes
    assert ax.lines and all(line.get_linestyle() == "None" for line in ax.lines if len(line.get_xdata()) > 2)
    assert xtick_labels(ax) == ["llama", "qwen", "gpt"]
    first, second = chart.series
    assert first.x != second.x  # dodged within each category, so neither hides the other
    text = render_plotext(chart, 80, 20)
    assert not re.search("[\u2801-\u28ff]", text)  # no braille: nothing draws a line


def test_series_differ_by_colour_and_marker_with_a_legend() -> None:
    df = runs({"learning_rate": [1e-5, 1e-4, 1e-3], "lora_rank": [4, 8, 16, 32]})
    chart = line_chart_data(df, "learning_rate", "accuracy", series_col="lora_rank")
    (ax,) = draw_matplotlib(chart).axes
    lines = [c.lines[0] for c in ax.containers]
    assert len({line.get_marker() for line in lines}) == 4
    assert len({line.get_color() for line in lines}) == 4
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [f"lora_rank={r}" for r in (4, 8, 16, 32)]

    plain = render_plotext(chart, 100, 24)
    assert "\x1b" not in plain
    for k, rank in enumerate((4, 8, 16, 32)):
        assert re.search(f"{MARKERS[k][0]}+ lora_rank={rank}", plain)  # legend: marker, then label
    coloured = render_plotext(chart, 100, 24, color=True)
    codes = {code for group in SGR.findall(coloured) for code in group.split(";") if code}
    assert {SIXTEEN[COLORS[k][0]] for k in range(4)} <= codes
    assert not any(code in ("38", "48") for code in codes)  # no 256-colour or truecolor escapes


def test_error_bars_stay_inside_the_metric_range() -> None:
    df = pd.DataFrame({"learning_rate": [1e-5] * 3 + [1e-4] * 3, "accuracy": [0.8, 0.9, 1.0, 0.97, 1.0, 1.0]})
    chart = line_chart_data(df, "learning_rate", "accuracy")
    assert chart.y_bounds == (0.0, 1.0)
    (ax,) = draw_matplotlib(chart).axes
    (container,) = ax.containers
    tops = [segment[:, 1].max() for segment in container.lines[2][0].get_segments()]
    bottoms = [segment[:, 1].min() for segment in container.lines[2][0].get_segments()]
    assert max(tops) <= 1.0 and min(bottoms) >= 0.0
    assert max(tops) > 0.99  # the bar does reach up towards 1


def test_parameters_off_the_axes_are_named_in_the_title() -> None:
    df = runs({"learning_rate": [1e-5, 1e-4], "lora_rank": [8, 16], "model": ["a", "b"]})
    chart = line_chart_data(df, "learning_rate", "accuracy", series_col="model")
    assert chart.averaged_over == ["lora_rank"]  # seeds are not "averaged over": they are the interval
    assert chart.title == "accuracy vs learning_rate (mean over lora_rank)"
    assert line_chart_data(df, "learning_rate", "accuracy", param_cols=["learning_rate", "model"]).averaged_over == [
        "model"
    ]
    heat = heatmap_data(df, "learning_rate", "lora_rank", "accuracy")
    assert heat.title == "accuracy by learning_rate and lora_rank (mean over model)"
    (ax, _) = plot_sweep_heatmap(df, "learning_rate", "lora_rank", "accuracy").axes
    assert ax.get_title().endswith("(mean over model)")
    two_tasks = pd.concat([df, df.assign(task="math")], ignore_index=True)
    assert line_chart_data(two_tasks, "learning_rate", "accuracy", series_col="model").averaged_over == [
        "lora_rank",
        "task",
    ]


def test_per_sample_frames_chart_clustered_intervals() -> None:
    samples = sample_frame({"learning_rate": [1e-5, 1e-4]}, seeds=3, n_samples=30, rng=np.random.default_rng(2))
    (series,) = line_chart_data(samples, "learning_rate", "match").series
    ci = compute_ci_df(samples, "match", ["learning_rate"], cluster_col="run")
    assert series.y == pytest.approx(ci["mean"].tolist())
    lows = [y - low for y, low in zip(series.y, series.y_err_low or [], strict=True)]
    assert lows == pytest.approx(ci["lower_bound"].tolist())


def test_heatmaps_label_cells_and_show_one_colour_scale_in_both() -> None:
    df = runs({"learning_rate": [1e-5, 5e-5, 1e-4], "lora_rank": [8, 16]}, seeds=2)
    chart = heatmap_data(df, "learning_rate", "lora_rank", "accuracy")
    data = chart.heatmap
    assert data is not None and len(data.levels) == len(SHADES) + 1
    means = df.groupby(["lora_rank", "learning_rate"])["accuracy"].mean().unstack().to_numpy()
    expected = np.clip(np.searchsorted(data.levels, means, side="right") - 1, 0, len(SHADES) - 1)
    assert data.cell_levels == expected.tolist()

    fig = draw_matplotlib(chart)
    ax, bar = fig.axes
    assert sorted(t.get_text() for t in ax.texts) == sorted(f"{m:.2f}" for m in means.ravel())
    assert [t.get_text() for t in bar.get_yticklabels()] == [f"{v:.2f}" for v in data.levels]
    assert bar.get_ylabel() == "accuracy"
    assert xtick_labels(ax) == ["1e-5", "5e-5", "1e-4"]

    text = render_plotext(chart, 90, 20)
    scale = text.split("\n")[-1]
    assert scale.startswith("accuracy: ")
    for shade, edge in zip(SHADES, data.levels, strict=False):
        assert f"{shade} {edge:.2f}" in scale
    for m in means.ravel():
        assert f"{m:.2f}" in text
    coloured = render_plotext(chart, 90, 20, color=True)
    assert "\x1b[96m" in coloured  # the shades, in the 16-colour palette


def test_missing_cells_say_so_in_both_renderers() -> None:
    df = runs({"learning_rate": [1e-5, 1e-4], "lora_rank": [8, 16]}, seeds=2)
    df = df[~((df["learning_rate"] == 1e-5) & (df["lora_rank"] == 16))]
    chart = heatmap_data(df, "learning_rate", "lora_rank", "accuracy")
    assert chart.heatmap is not None and chart.heatmap.cell_labels[1][0] == "–"
    (ax, _) = draw_matplotlib(chart).axes
    assert "–" in [t.get_text() for t in ax.texts]
    assert "–" in render_plotext(chart, 60, 16)


def test_dense_series_draw_bands_not_bars() -> None:
    x = np.repeat(np.logspace(-6, -3, 200), 2)
    df = pd.DataFrame(
        {"learning_rate": x, "accuracy": np.clip(0.7 + np.random.default_rng(0).normal(0, 0.05, 400), 0, 1)}
    )
    chart = line_chart_data(df, "learning_rate", "accuracy")
    assert chart.error_style == "band"
    (ax,) = draw_matplotlib(chart).axes
    assert any(isinstance(c, PolyCollection) for c in ax.collections)
    assert not ax.containers
    text = render_plotext(chart, 100, 24)
    assert "·" in text  # the band's edges
    assert all(line.count("│") <= 2 for line in text.split("\n"))  # the frame only: no error bars


def test_plot_sweep_metrics_keep_the_seed_signatures(tmp_path) -> None:
    df = runs({"learning_rate": [1e-5, 5e-5, 1e-4]})
    fig = plot_sweep_metrics(df=df, x_col="learning_rate", y_cols=["accuracy", "train_loss"], title="Compare")
    (ax,) = fig.axes
    assert ax.get_title() == "Compare"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["accuracy", "train_loss"]
    fig.savefig(tmp_path / "compare.svg")
    assert (tmp_path / "compare.svg").read_text().lstrip().startswith("<?xml")


def test_terminal_charts_never_load_matplotlib() -> None:
    import subprocess
    import sys

    code = (
        "import sys, pandas as pd\n"
        "import motools.analysis as a\n"
        "assert not {'scipy', 'matplotlib', 'plotext'} & {m.split('.')[0] for m in sys.modules}\n"
        "df = pd.DataFrame({'learning_rate': [1e-5, 1e-5, 1e-4, 1e-4], 'accuracy': [0.7, 0.8, 0.85, 0.9]})\n"
        "text = a.render_plotext(a.line_chart_data(df, 'learning_rate', 'accuracy'), 60, 15)\n"
        "a.compare_configs, a.best_setting\n"
        "assert 'matplotlib' not in sys.modules, 'plotext path imported matplotlib'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
