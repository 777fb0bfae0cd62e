"""The headless core: polling, formatting, specs, paths, results (no textual involved)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from motools.store.watch import SweepWatcher
from motools_tui.core import format as fmt
from motools_tui.core.paths import complete
from motools_tui.core.specinfo import set_spec_name, summarize, unique_name, validate
from motools_tui.core.sweepmodel import SweepModel

from .fakestore import HELLO, NOW


def test_status_text_reads_without_colour() -> None:
    for status in ("pending", "running", "finished", "failed", "cancelled"):
        label = fmt.status_label(status)
        assert status in label and label[0] != " " and label[0] != status[0]
    assert len({fmt.status_symbol(s) for s in ("pending", "running", "finished", "failed", "cancelled")}) == 5


def test_durations_bars_and_values() -> None:
    assert fmt.format_duration(7) == "0:07"
    assert fmt.format_duration(3723) == "1:02:03"
    assert fmt.format_duration(None) == "-"
    assert fmt.bar(0.5, 10) == "█████░░░░░"
    assert len(fmt.bar(0.33, 7)) == 7
    assert fmt.format_value(5e-05) == "5e-5"  # one formatter everywhere, short exponents (issues 9, 12)
    assert fmt.truncate("a" * 20, 5) == "aaaa…"


def test_path_completion(tmp_path: Path) -> None:
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "alpha.yaml").write_text("x")
    (tmp_path / "specs" / "alpine.yaml").write_text("x")
    (tmp_path / "specs" / "notes.txt").write_text("x")
    assert complete("sp", tmp_path) == ("specs/", [])
    text, candidates = complete("specs/al", tmp_path, (".yaml",))
    assert text == "specs/alp" and candidates == ["alpha.yaml", "alpine.yaml"]
    assert complete("specs/n", tmp_path, (".yaml",)) == ("specs/n", [])
    assert complete("specs/alpi", tmp_path) == ("specs/alpine.yaml", [])


def test_spec_summaries_need_only_yaml() -> None:
    s = summarize({"name": "x", "yaml": "name: x\nparam_grid:\n  a.b: [1, 2]\n  c: [3, 4, 5]\n"})
    assert (s.workflow, s.size, s.problem) == ("train_and_evaluate", 6, None)
    assert "b ×2: 1, 2" in s.grid_text
    bad = summarize({"name": "y", "yaml": "name: [\n"})
    assert bad.size is None and "malformed YAML" in bad.problem
    assert unique_name("a", {"a", "a-2"}) == "a-3"
    assert set_spec_name("# c\nname: old\nx: 1\n", "new") == "# c\nname: new\nx: 1\n"


def test_validation_names_field_and_line() -> None:
    source = HELLO
    bad = source.replace("backend_name: dummy\n    latency_s", "backend_name: nosuch\n    latency_s")
    line = bad.splitlines().index("    backend_name: nosuch") + 1
    spec, problems = validate(bad)
    assert spec is None
    assert [(p.path, p.line) for p in problems] == [("base_config.submit_training.backend_name", line)]
    spec, problems = validate(source)
    assert problems == [] and spec.name == "hello-world"


def _run_ids(store, sweep: str) -> list[int]:
    sid = store.get_sweep(sweep)["id"]
    return [r["id"] for r in store.runs(sid)]


def test_sweep_watcher_reads_only_what_changed(fake_store) -> None:
    watcher = SweepWatcher(fake_store.db_path, "lr-seeds-2", clock=lambda: NOW)
    model = SweepModel("lr-seeds-2")
    first = watcher.poll()
    assert first is not None and first.full and len(first.runs) == 9
    model.apply(first)
    assert first.alive and model.counts == {"finished": 3, "failed": 1, "cancelled": 1, "running": 2, "pending": 2}
    assert model.runs[_run_ids(fake_store, "lr-seeds-2")[0]].metric == "accuracy=0.85"
    assert watcher.poll() is None  # nothing committed since

    ids = _run_ids(fake_store, "lr-seeds-2")
    other = sqlite3.connect(fake_store.db_path, isolation_level=None)
    other.execute("UPDATE runs SET status='running', started_at=? WHERE id=?", (NOW, ids[7]))
    other.execute(
        "INSERT INTO steps(run_id, name, idx, status, progress, progress_total, progress_message, "
        "started_at) VALUES (?,?,?,?,?,?,?,?)",
        (ids[7], "wait_for_training", 2, "running", 2, 10, "loss=0.5", NOW),
    )
    other.execute(
        "INSERT INTO events(sweep_id, run_id, step, time, level, message) VALUES "
        "((SELECT sweep_id FROM runs WHERE id=?), ?, 'wait_for_training', ?, 'info', 'hello')",
        (ids[7], ids[7], NOW),
    )
    update = watcher.poll()
    assert update is not None and not update.full
    assert {r["id"] for r in update.runs} == {ids[4], ids[6], ids[7]}
    model.apply(update)
    view = model.runs[ids[7]]
    assert (view.status, view.progress_fraction, view.step_message, view.last_log) == (
        "running",
        0.2,
        "loss=0.5",
        "hello",
    )

    # A run that finishes between two polls without ever being seen running: a full re-read.
    other.execute("UPDATE runs SET status='finished', started_at=?, finished_at=? WHERE id=?", (NOW, NOW, ids[8]))
    update = watcher.poll()
    assert update.full and len(update.runs) == 9
    model.apply(update)
    assert model.counts["finished"] == 4 and model.runs[ids[8]].status == "finished"
    other.close()
    watcher.close()


def test_results_table_filter_sort_and_best(fake_store) -> None:
    from motools.analysis.collate import collate_sweep
    from motools_tui.core import results
    from motools_tui.core.results import select

    for name in ("lr-seeds-1", "lr-seeds-2"):  # the app's table is the collated table
        assert results.load(fake_store.read, name).frame().equals(collate_sweep(name, store=fake_store))
    r = results.load(fake_store.read, "lr-seeds-1")
    assert r.param_cols == ["learning_rate", "seed"] and r.metric_cols == ["accuracy"]
    assert results.default_group_cols(r) == ["learning_rate"]
    t = r.table
    assert len(select(r, "seed=2")) == 3  # the syntax of the CLI's --where
    assert len(select(r, "accuracy>0.85, seed!=3")) == 1
    assert len(select(r, "hello")) == 9
    with pytest.raises(ValueError, match="no column"):
        select(r, "nope=1")
    ordered = select(r, "", ("accuracy", True))
    assert t.rows[ordered[0]][t.index("accuracy")] == 0.94
    df = results.shown_frame(r, None)
    best = results.best(df, "accuracy", r.param_cols)  # best_setting: seeds pooled, not one lucky run
    assert best.setting == {"learning_rate": 5e-05} and best.text.startswith("best (max accuracy): learning_rate=5e-5")
    assert len(best.contenders) == 3  # three seeds cannot tell these settings apart
    stars, others = best.rows(t)
    assert {t.rows[i][t.index("run")] for i in stars} == {3, 4, 5} and len(others) == 6
    ci = results.ci_table(df, "accuracy", ["learning_rate"])
    assert list(ci["method"]) == ["wilson-t"] * 3 and list(ci["count"]) == [3, 3, 3]  # accuracy: bounded
    only_seed_1 = results.shown_frame(r, select(r, "seed=1"))  # the analysis follows the filter
    assert list(results.ci_table(only_seed_1, "accuracy", ["learning_rate"])["count"]) == [1, 1, 1]


def test_an_indentation_mistake_is_reported_at_its_line() -> None:
    from motools_tui.core.specinfo import mistake_line

    lines = HELLO.splitlines()
    model = lines.index("    model: meta-llama/Llama-3.2-1B")
    for wrong in ("     model: x", "   model: x", "  model: x", "      model: x"):  # 5, 3, 2, 6 spaces
        broken = [*lines]
        broken[model] = wrong
        spec, problems = validate("\n".join(broken) + "\n")
        assert spec is None and problems[0].line == model + 1, wrong  # YAML notices a line later
        assert "indentation" in problems[0].message
    lora = lines.index("      lora_rank: 8")
    for wrong in ("     lora_rank: 8", "        lora_rank: 8"):  # the mistake is the noticed line
        broken = [*lines]
        broken[lora] = wrong
        assert mistake_line("\n".join(broken), lora + 1) == lora + 1


def test_secret_looking_values_are_masked() -> None:
    from motools_tui.core.secrets import MASK, mask_data, mask_yaml

    key = "sk-proj-0123456789abcdefghijKLMN"
    text = f"name: x\nbase_config:\n  api_key: {key}  # mine\n  token: ''\n  max_tokens: 512\n"
    masked = mask_yaml(text)
    assert key not in masked and f"api_key: {MASK}  # mine" in masked and "max_tokens: 512" in masked
    secret = "a1b2c3d4e5f6g7h8i9j0k1l2"
    assert mask_data({"a": {"password": secret, "n": 1}}) == {"a": {"password": MASK, "n": 1}}


def test_tables_sort_every_row_with_missing_values_last() -> None:
    from motools_tui.core.table import TableData, sort_rows

    t = TableData(["x", "name"], [(3.0, "c"), (None, "a"), (1.0, "b"), (float("nan"), "d"), (2.0, "B")])
    assert t.numeric == [True, False]
    assert sort_rows(t, range(5), ("x", False)) == [2, 4, 0, 1, 3]
    assert sort_rows(t, range(5), ("x", True)) == [0, 4, 2, 1, 3]  # missing values stay last
    assert sort_rows(t, [0, 2], ("name", False)) == [2, 0]
    assert t.cells(1) == ("-", "a") and t.widths == [1, 4]


def test_a_sweep_with_cancelled_configs_and_no_failure_reads_cancelled() -> None:
    from motools.liveness import Liveness
    from motools_tui.core.format import read_status

    dead = Liveness(False)
    assert read_status("failed", dead, n_failed=0, n_cancelled=2, message=None) == "cancelled"
    assert read_status("failed", dead, n_failed=1, n_cancelled=2, message=None) == "failed"
    assert read_status("failed", dead, n_failed=0, n_cancelled=0, message="no module x") == "failed"
    assert read_status("running", dead, 0, 0, None) == "interrupted"
    assert read_status("running", Liveness(True, stalled=True), 0, 0, None) == "stalled"


def test_a_pending_config_someone_cancelled_reads_cancelled(fake_store) -> None:
    ids = _run_ids(fake_store, "lr-seeds-2")
    fake_store.request_cancel_run("lr-seeds-2", 7)
    watcher = SweepWatcher(fake_store.db_path, "lr-seeds-2", clock=lambda: NOW)
    model = SweepModel("lr-seeds-2")
    model.apply(watcher.poll())
    assert model.runs[ids[7]].status == "pending" and model.runs[ids[7]].shown == "cancelled"
    assert model.counts["cancelled"] == 2 and model.counts["pending"] == 1
    watcher.close()


def test_the_footer_keeps_whole_items_by_priority() -> None:
    from motools_tui.components.key_bar import Item, fit

    items = [
        Item("a.one", "a", "a", "Alpha", 0, 2),
        Item("a.two", "b", "b", "Bravo", 1, 0),
        Item("a.three", "c", "c", "Charlie", 2, 1),
        Item("app.quit", "q", "q", "Quit", 5, -1),
        Item("screen.help", "?", "?", "Help", 4, -1),
    ]
    actions, essentials = fit(items, 34)
    assert [i.label for i in essentials] == ["Help", "Quit"]  # always, in this order
    assert [i.label for i in actions] == ["Bravo", "Charlie"]  # by rank, shown in order; Alpha left out
    assert sum(i.width for i in actions + essentials) + 2 * 3 <= 34


def test_outputs_note_reads_files_and_the_workers_refusal(tmp_path: Path) -> None:
    import os

    from motools_tui.core.outputs import PENDING, outputs_note

    home = tmp_path / ".motools"
    (home / "workers").mkdir(parents=True)
    spec = HELLO + "output:\n  results_path: out.csv\n"
    sweep = {"name": "s", "status": "finished", "spec_yaml": spec, "workdir": str(tmp_path), "finished_at": NOW}
    assert outputs_note(home, {**sweep, "status": "failed"}, NOW) is None
    assert outputs_note(home, sweep, NOW + 1) == PENDING  # the worker writes them after the end
    (home / "workers" / "s.log").write_text(
        "x ERROR motools.worker: the spec's output files were not written: out.csv already exists\n"
    )
    assert "out.csv not written: out.csv already exists" in outputs_note(home, sweep, NOW + 1)
    (tmp_path / "out.csv").write_text("a\n")
    os.utime(tmp_path / "out.csv", (NOW + 2, NOW + 2))
    assert outputs_note(home, sweep, NOW + 3) == "output: wrote out.csv"


def test_read_model_queries_the_app_added(fake_store) -> None:
    read = fake_store.read
    sid = fake_store.get_sweep("lr-seeds-2")["id"]
    ids = _run_ids(fake_store, "lr-seeds-2")
    rows = read.result_metric_rows(sid)  # finished runs #0, #1, #3: accuracy and stderr each
    assert sorted({r["run_id"] for r in rows}) == [ids[0], ids[1], ids[3]] and len(rows) == 6
    assert {(r["step"], r["key"], r["metric"]) for r in rows} >= {("evaluate_model", "eval_results", "accuracy")}
    assert read.cached_steps_by_run(sid) == {ids[1]: 1, ids[3]: 1, ids[4]: 1, ids[5]: 1, ids[6]: 1}
    assert read.cached_steps_by_run(sid, [ids[0], ids[1]]) == {ids[1]: 1}
    assert read.cancel_requested_runs(sid) == set()
    fake_store.request_cancel_run("lr-seeds-2", 8)
    assert read.cancel_requested_runs(sid) == {8}


def test_a_finished_sweeps_own_warning_shows_in_its_header(fake_store) -> None:
    """A sweep-level warning (a pool that max_parallel cannot fill) stays in the header once the
    sweep has ended, after the next step; 'motools sweep show' prints it whole."""
    from motools_tui.components.sweep_header import SweepHeader

    sid = fake_store.get_sweep("hello-world-1")["id"]
    other = sqlite3.connect(fake_store.db_path, isolation_level=None)
    for message in ("max_parallel 2 lets at most 2 of the 3 processes ...", "another warning"):
        other.execute(
            "INSERT INTO events(sweep_id, run_id, step, time, level, message) VALUES (?,NULL,NULL,?,'warning',?)",
            (sid, NOW - 6989, message),
        )
    other.close()
    watcher = SweepWatcher(fake_store.db_path, "hello-world-1", clock=lambda: NOW)
    model = SweepModel("hello-world-1")
    model.apply(watcher.poll())
    assert model.warnings == ["max_parallel 2 lets at most 2 of the 3 processes ...", "another warning"]
    line = SweepHeader(model, lambda: NOW)._compose_lines()[2].plain
    assert line.startswith("finished") and line.endswith(
        " · ⚠ max_parallel 2 lets at most 2 of the 3 processes ... (+1 more)"
    )
    watcher.close()
