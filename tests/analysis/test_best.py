"""best_setting: the winner, its interval, and the settings it has not beaten."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from motools.analysis import best_setting, compare_configs, compute_ci_df, higher_is_better
from motools.analysis.compare import holm
from tests.analysis.synthetic import sample_frame


@pytest.mark.parametrize(
    ("metric", "higher"),
    [
        ("accuracy", True),
        ("judge/aligned", True),
        ("train_loss", False),
        ("error_rate", False),
        ("Perplexity", False),
        ("latency_s", False),
    ],
)
def test_higher_is_better_rule(metric: str, higher: bool) -> None:
    assert higher_is_better(metric) is higher


@pytest.fixture
def runs() -> pd.DataFrame:
    """A run-level frame: lr × rank, 4 seeds each; lr 1e-4 clearly best, rank barely matters."""
    rng = np.random.default_rng(0)
    truth = {1e-4: 0.85, 1e-5: 0.82, 1e-6: 0.55}
    rows = [
        {
            "learning_rate": lr,
            "lora_rank": rank,
            "seed": seed,
            "run": i,
            "status": "finished",
            "task": "qa",
            "accuracy": float(np.clip(truth[lr] + rng.normal(0, 0.03), 0, 1)),
        }
        for i, (lr, rank, seed) in enumerate((lr, rank, seed) for lr in truth for rank in (8, 16) for seed in range(4))
    ]
    return pd.DataFrame(rows)


def test_run_level_best_uses_welch_and_holm(runs: pd.DataFrame) -> None:
    best = best_setting(runs, "accuracy")
    assert best.group_cols == ["learning_rate", "lora_rank"]  # seeds are replications
    table = best.table
    assert table["mean"].is_monotonic_decreasing
    top = table.iloc[0]
    assert best.setting == {"learning_rate": top["learning_rate"], "lora_rank": top["lora_rank"]}
    ci = compute_ci_df(runs, "accuracy", ["learning_rate", "lora_rank"]).set_index(["learning_rate", "lora_rank"])
    key = (top["learning_rate"], top["lora_rank"])
    assert (best.mean, best.lower_bound, best.upper_bound) == pytest.approx(
        tuple(ci.loc[key, ["mean", "lower_bound", "upper_bound"]])
    )
    winner = runs[(runs["learning_rate"] == key[0]) & (runs["lora_rank"] == key[1])]["accuracy"]
    expected_p = []
    for row in table.iloc[1:].itertuples():
        other = runs[(runs["learning_rate"] == row.learning_rate) & (runs["lora_rank"] == row.lora_rank)]["accuracy"]
        test = stats.ttest_ind(other, winner, equal_var=False)
        assert row.test == "welch"
        assert row.p_value == pytest.approx(test.pvalue, abs=1e-9)
        expected_p.append(test.pvalue)
    np.testing.assert_allclose(table["p_holm"].iloc[1:], holm(np.array(expected_p)))
    assert (table["contender"] == (table["p_holm"].isna() | (table["p_holm"] >= 0.05))).all()
    assert not table.loc[table["learning_rate"] == 1e-6, "contender"].any()
    assert table["contender"].iloc[0]


def test_losses_are_minimised(runs: pd.DataFrame) -> None:
    losses = runs.assign(eval_loss=1 - runs["accuracy"]).drop(columns="accuracy")
    best = best_setting(losses, "eval_loss")
    assert best.higher_is_better is False
    assert best.table["mean"].is_monotonic_increasing
    assert best.mean == pytest.approx(1 - best_setting(runs, "accuracy").mean)


def test_one_run_per_setting_leaves_everything_a_contender(runs: pd.DataFrame) -> None:
    single = runs[runs["seed"] == 0]
    best = best_setting(single, "accuracy")
    assert best.method == "single"
    assert (best.table["test"].iloc[1:] == "untested").all()
    assert best.table["contender"].all()
    assert "untestable settings stay contenders" in best.rule


def test_sample_level_best_uses_paired_tests() -> None:
    samples = sample_frame(
        {"learning_rate": [1e-4, 1e-5, 1e-6]},
        seeds=3,
        n_samples=80,
        accuracy={1e-4: 0.8, 1e-5: 0.78, 1e-6: 0.45},
        rng=np.random.default_rng(1),
    )
    best = best_setting(samples, "match")
    assert best.group_cols == ["learning_rate"]
    assert best.method == "wilson-t"
    paired = compare_configs(samples, "match", "learning_rate", best.setting).set_index("learning_rate")
    for row in best.table.iloc[1:].itertuples():
        assert row.test == paired.loc[row.learning_rate, "method"]
        assert row.p_value == pytest.approx(paired.loc[row.learning_rate, "p_value"])
        assert row.diff_lower == pytest.approx(paired.loc[row.learning_rate, "lower_bound"])
    assert not best.table.loc[best.table["learning_rate"] == 1e-6, "contender"].item()
    assert "paired" in best.rule


def test_grouping_and_summary(runs: pd.DataFrame) -> None:
    by_lr = best_setting(runs, "accuracy", ["learning_rate"])
    assert by_lr.setting == {"learning_rate": 1e-4}
    assert by_lr.summary().startswith("best learning_rate=0.0001: ")
    stacked = pd.concat([runs.assign(sweep="a"), runs.assign(sweep="b", accuracy=runs["accuracy"] - 0.2)])
    stacked = stacked[["sweep", *runs.columns]]
    best = best_setting(stacked, "accuracy")
    assert best.group_cols == ["sweep", "learning_rate", "lora_rank"]
    assert best.setting["sweep"] == "a"
    explicit = best_setting(runs.drop(columns=["run", "status", "task"]), "accuracy", param_cols=["learning_rate"])
    assert explicit.group_cols == ["learning_rate"]
