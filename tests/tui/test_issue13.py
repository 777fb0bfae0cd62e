"""Issue 13: the app at 80x24, over SSH, with 10,000 runs: every key in reach, the truth on
screen, nothing wasted on the wire. One test (or a few) per point of the issue."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input

from motools.status import Status
from motools_tui.components.config_grid import ConfigGrid
from motools_tui.components.key_bar import KeyBar
from motools_tui.components.spec_editor import SpecEditor
from motools_tui.components.spec_preview import SpecPreview
from motools_tui.components.spec_table import SpecTable
from motools_tui.components.virtual_table import VirtualTable
from motools_tui.screens.results import ResultsScreen
from motools_tui.screens.sweep import SweepScreen

from .conftest import make_app, notices, screen_text, wait_for, wait_ready
from .fakestore import HELLO, NOW, build


def _spec(name: str, latency: float, grid: str = "[1e-4, 5e-5]", parallel: int = 3, extra: str = "") -> str:
    return (
        HELLO.replace("name: hello-world", f"name: {name}")
        .replace("latency_s: 1.0", f"latency_s: {latency}")
        .replace("[1e-4, 5e-5, 1e-5]", grid)
        .replace("max_parallel: 3", f"max_parallel: {parallel}")
        + extra
    )


def _sql(store: Any, sql: str, params: tuple[Any, ...] = ()) -> None:
    conn = sqlite3.connect(store.db_path, isolation_level=None)
    try:
        conn.execute(sql, params)
    finally:
        conn.close()


def _dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


async def _launch(pilot: Any, name: str) -> SweepScreen:
    app = pilot.app
    await pilot.press("l")
    await wait_for(pilot, lambda: app.screen.query_one("#launch-name", Input), what="the launch dialog")
    app.screen.query_one("#launch-name", Input).value = name
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(app.screen, SweepScreen), timeout=30, what="the sweep screen")
    return app.screen


def _footer(app: Any) -> str:
    return app.screen.query_one(KeyBar).text


def _last_line(app: Any) -> str:
    return screen_text(app).rstrip("\n").splitlines()[-1]


# -- 1. multi-choice dialogs ---------------------------------------------------------------------
async def test_group_by_confirms_with_enter_and_ticks_with_space(fake_store) -> None:
    app = make_app(fake_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot, "specs")
        app.open_results("lr-seeds-1")
        await wait_ready(pilot, "results")
        results = app.screen
        await wait_for(pilot, lambda: results.state.ci is not None, timeout=30, what="the CI table")
        await pilot.press("2", "g")
        await wait_for(pilot, lambda: "[x] learning_rate" in screen_text(app), what="the dialog")
        assert "[ ] seed" in screen_text(app)  # ticked and unticked differ without colour
        await pilot.press("down", "space")
        await wait_for(pilot, lambda: "[x] seed" in screen_text(app), what="seed ticked")
        await pilot.press("enter")  # Enter confirms (it used to toggle)
        await wait_for(pilot, lambda: results.state.view.group_cols == ("learning_rate", "seed"), what="the change")
        assert type(app.screen).__name__ == "ResultsScreen"
        await wait_for(pilot, lambda: results.state.ci is not None and len(results.state.ci) == 9, what="9 groups")
        await pilot.press("g", "space", "escape")  # Esc still cancels
        await pilot.pause(0.2)
        assert results.state.view.group_cols == ("learning_rate", "seed")


# -- 2. keys in reach at 80 columns --------------------------------------------------------------
MAIN_KEYS = {
    "specs": ("n New", "e Edit", "l Launch"),
    "sweeps": ("r Results",),
    "sweep": ("Detail", "c Cancel", "r Results"),
    "results": ("Tabs", "m Metric", "e Export"),
    "detail": ("Tabs",),
}


def _check_footer(app: Any, screen: str, back: bool = True) -> None:
    text = _footer(app)
    assert len(text) <= app.size.width
    assert text.rstrip().endswith("? Help  q Quit"), text
    assert ("esc Back" in text) == back
    for key in MAIN_KEYS[screen]:
        assert key in text, (screen, key, text)
    # Nothing else is drawn on the footer line: no stray letters from a cut-off key.
    assert _last_line(app).strip() == text.strip()


async def test_every_screen_shows_its_main_keys_at_80_columns(fake_store) -> None:
    app = make_app(fake_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot, "specs")
        _check_footer(app, "specs", back=False)  # the first screen: Esc has nowhere to go
        app.open_sweeps()
        await wait_ready(pilot, "sweeps")
        _check_footer(app, "sweeps")
        app.open_sweep("lr-seeds-2")
        await wait_ready(pilot, "sweep")
        _check_footer(app, "sweep")
        await pilot.press("enter")
        await wait_ready(pilot, "detail")
        _check_footer(app, "detail")
        await pilot.press("escape", "r")
        await wait_ready(pilot, "results")
        _check_footer(app, "results")


async def test_help_scrolls_to_its_last_key_at_80x24(fake_store) -> None:
    app = make_app(fake_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot, "specs")
        app.open_results("lr-seeds-1")
        await wait_ready(pilot, "results")
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: "Help: Results" in screen_text(app), what="the help")
        keys = {k for k, _ in app.screen.keys}
        every = {"1", "2", "3", "4", "m", "e", "/", "g", "s", "b", "x", "z", "h", "i", "p", "esc", "?", "q", "^p"}
        assert every <= keys, every - keys
        assert "Command palette" not in screen_text(app)  # below the fold at 80x24
        await pilot.press("end")
        await wait_for(pilot, lambda: "Command palette" in screen_text(app), what="the end of the help")
        assert "Moving:" in screen_text(app)


async def test_a_finished_sweep_says_how_to_open_its_results(fake_store) -> None:
    app = make_app(fake_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot, "specs")
        app.open_sweep("lr-seeds-1")
        await wait_ready(pilot, "sweep")
        assert "finished: press r for the results" in screen_text(app)
        await pilot.press("r")
        await wait_ready(pilot, "results")
        assert isinstance(app.screen, ResultsScreen)


# -- 3. a dead or stalled worker -----------------------------------------------------------------
async def test_a_killed_worker_shows_as_interrupted_and_can_be_resumed(empty_store) -> None:
    empty_store.save_spec("slow", _spec("slow", 4.0, parallel=2))
    app = make_app(empty_store, fixed=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, "specs")
        screen = await _launch(pilot, "slow-1")
        model = screen.model
        await wait_for(pilot, lambda: model.alive and model.counts.get(Status.RUNNING) == 2, timeout=60, what="runs")
        os.kill(int(model.sweep["worker_pid"]), signal.SIGKILL)
        await wait_for(pilot, lambda: model.shown_status == Status.INTERRUPTED, timeout=20, what="interrupted")
        await wait_for(pilot, lambda: "! interrupted" in screen_text(app), what="the runs interrupted")
        assert "▶ running" not in screen_text(app)
        assert "worker gone" in screen_text(app) and "t to resume" in screen_text(app)
        assert model.eta(app.ctx.clock()) is None
        stopped = [v.elapsed(app.ctx.clock(), model.stopped_at) for v in model.runs.values()]
        await pilot.pause(1.5)
        assert [v.elapsed(app.ctx.clock(), model.stopped_at) for v in model.runs.values()] == stopped  # no ticking
        await pilot.press("t")  # resume
        await wait_for(
            pilot,
            lambda: model.sweep.get("status") == Status.FINISHED and not model.alive,
            timeout=90,
            what="the resumed sweep to finish",
        )
        assert model.counts == {Status.FINISHED: 2}


async def test_a_live_worker_with_an_old_heartbeat_shows_as_stalled(fake_store) -> None:
    # A live process on this host (this test's own) whose heartbeat is 100 s old: alive, stalled.
    _sql(
        fake_store,
        "UPDATE sweeps SET worker_pid = ?, worker_host = ?, worker_token = NULL, heartbeat_at = ? WHERE name = ?",
        (os.getpid(), socket.gethostname(), NOW - 100, "lr-seeds-2"),
    )
    app = make_app(fake_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, "specs")
        app.open_sweep("lr-seeds-2")
        await wait_ready(pilot, "sweep")
        text = screen_text(app)
        assert "lr-seeds-2  ‖ stalled" in text and "alive but silent for 1:40" in text
        assert "#4 ‖ stalled" in text
        assert app.screen.model.alive  # stalled is alive: no resume offered, cancel is
        assert "C Cancel all" in _footer(app) and "t Retry" not in _footer(app)


async def test_a_dead_worker_on_this_host_is_interrupted_in_every_list(fake_store) -> None:
    _sql(
        fake_store,
        "UPDATE sweeps SET worker_pid = ?, worker_host = ?, worker_token = NULL WHERE name = ?",
        (_dead_pid(), socket.gethostname(), "lr-seeds-2"),
    )
    app = make_app(fake_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, "specs")
        app.open_sweeps()
        await wait_ready(pilot, "sweeps")
        assert "! interrupted" in screen_text(app)
        app.open_sweep("lr-seeds-2")
        await wait_ready(pilot, "sweep")
        text = screen_text(app)
        assert "lr-seeds-2  ! interrupted" in text and "#4 ! interrupted" in text and "ETA" in text
        assert "t Retry" in _footer(app)


def test_eta_counts_only_time_the_runs_ran() -> None:
    """After a retry, the sweep's start is long ago; the estimate uses the runs' own durations."""
    from motools.liveness import Liveness
    from motools.store.watch import SweepUpdate
    from motools_tui.core.sweepmodel import SweepModel

    start = NOW - 3600  # the first attempt, an hour ago; this attempt started 20 s ago
    sweep = {"name": "s", "status": Status.RUNNING, "started_at": start, "max_parallel": 2, "n_runs": 6}
    runs = [
        {"id": i, "idx": i, "params": "{}", "status": st, "started_at": t0, "finished_at": t1}
        for i, (st, t0, t1) in enumerate(
            [
                (Status.FINISHED, NOW - 20, NOW - 12),
                (Status.FINISHED, NOW - 20, NOW - 12),
                (Status.RUNNING, NOW - 4, None),
                (Status.RUNNING, NOW - 4, None),
                (Status.PENDING, None, None),
                (Status.PENDING, None, None),
            ]
        )
    ]
    model = SweepModel("s")
    model.apply(SweepUpdate(sweep, Liveness(True), {}, runs, full=True))
    # 8 s per run: 4 s left on each running one and 8 s for each pending one, two at a time.
    assert model.eta(NOW) == pytest.approx((4 + 4 + 8 + 8) / 2)


# -- 4. statuses as a researcher reads them ------------------------------------------------------
async def test_a_cancelled_pending_config_is_cancelled_at_once_and_the_sweep_is_not_failed(empty_store) -> None:
    empty_store.save_spec("two", _spec("two", 3.0, parallel=1))
    app = make_app(empty_store, fixed=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, "specs")
        screen = await _launch(pilot, "two-1")
        model = screen.model
        await wait_for(pilot, lambda: model.alive and model.counts.get(Status.RUNNING) == 1, timeout=60, what="#0")
        await pilot.press("right")  # #1, pending (one at a time)
        assert screen.query_one(ConfigGrid).current.idx == 1
        await pilot.press("c")
        second = model.runs[model.order[1]]
        await wait_for(pilot, lambda: second.shown == Status.CANCELLED, timeout=10, what="#1 cancelled")
        assert model.runs[model.order[0]].status == Status.RUNNING  # at once: #0 is still running
        await wait_for(pilot, lambda: "#1 ⊘ cancelled" in screen_text(app), what="the pane")
        await wait_for(pilot, lambda: model.shown_status in (Status.CANCELLED, Status.FINISHED), timeout=60)
        assert model.shown_status == Status.CANCELLED and not model.alive  # never "failed"
        assert model.verdict() == "finished with 1 cancelled"
        text = screen_text(app)
        assert "✓ 1/2  ⊘ 1" in text and "finished with 1 cancelled" in text
        app.open_sweeps()
        await wait_ready(pilot, "sweeps")
        line = next(ln for ln in screen_text(app).splitlines() if "two-1" in ln)
        assert "⊘ cancelled" in line and "✓ 1/2 ⊘ 1" in line and "failed" not in line


async def test_a_sweep_whose_worker_could_not_start_says_why(fake_store) -> None:
    _sql(
        fake_store,
        "UPDATE sweeps SET status = ?, message = ? WHERE name = ?",
        (Status.FAILED, "No module named 'mymodule'\x1b[2J", "hello-world-1"),
    )
    app = make_app(fake_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, "specs")
        app.open_sweeps()
        await wait_ready(pilot, "sweeps")
        line = next(ln for ln in screen_text(app).splitlines() if "hello-world-1" in ln)
        assert "✗ failed" in line and "No module named 'mymodule'" in line
        assert "\\x1b[2J" in line  # control characters from the store are shown, never sent
        app.open_sweep("hello-world-1")
        await wait_ready(pilot, "sweep")
        assert "No module named 'mymodule'" in screen_text(app)


# -- 5. exports ----------------------------------------------------------------------------------
async def test_exports_ask_before_replacing_create_folders_on_request_and_report_failures(
    fake_store, tmp_path: Path
) -> None:
    app = make_app(fake_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, "specs")
        app.open_results("lr-seeds-1")
        await wait_ready(pilot, "results")
        results = app.screen
        out = tmp_path / "lr-seeds-1.csv"
        await pilot.press("e")
        await wait_for(pilot, lambda: app.screen.query_one("#path-input", Input), what="the path dialog")
        await pilot.press("enter")
        await wait_for(pilot, lambda: out.exists(), timeout=20, what="the CSV")
        await wait_for(pilot, lambda: "✓ wrote" in screen_text(app), what="the report")
        out.write_text("keep me")
        await pilot.press("e")
        await wait_for(pilot, lambda: app.screen.query_one("#path-input", Input), what="the path dialog")
        await pilot.press("enter")
        await wait_for(pilot, lambda: "Replace lr-seeds-1.csv?" in screen_text(app), what="the question")
        await pilot.press("n")
        await pilot.pause(0.3)
        assert out.read_text() == "keep me"
        await pilot.press("e")
        await wait_for(pilot, lambda: app.screen.query_one("#path-input", Input), what="the path dialog")
        await pilot.press("enter")
        await wait_for(pilot, lambda: "Replace lr-seeds-1.csv?" in screen_text(app), what="the question")
        await pilot.press("y")
        await wait_for(pilot, lambda: out.read_text().startswith("learning_rate"), timeout=20, what="replaced")
        assert len(out.read_text().splitlines()) == 10

        # A folder that does not exist: asked, then created.
        await pilot.press("e")
        await wait_for(pilot, lambda: app.screen.query_one("#path-input", Input), what="the path dialog")
        app.screen.query_one("#path-input", Input).value = "new/sub/table.csv"
        await pilot.press("enter")
        await wait_for(pilot, lambda: "Create the folder?" in screen_text(app), what="the question")
        await pilot.press("y")
        await wait_for(pilot, lambda: (tmp_path / "new/sub/table.csv").exists(), timeout=20, what="the folder")

        # A write that fails is reported as a failure, never as written.
        (tmp_path / "afile").write_text("")
        await pilot.press("e")
        await wait_for(pilot, lambda: app.screen.query_one("#path-input", Input), what="the path dialog")
        app.screen.query_one("#path-input", Input).value = "afile/table.csv"
        await pilot.press("enter")
        await wait_for(pilot, lambda: "Create the folder?" in screen_text(app), what="the question")
        await pilot.press("y")
        await wait_for(pilot, lambda: "✗ not written" in screen_text(app), timeout=20, what="the failure")
        assert "✓ wrote" not in screen_text(app).split("\n")[-3]
        assert "Wrote" not in notices(app).splitlines()[-1]
        assert results.state.order is not None


async def test_the_heatmap_and_the_line_chart_have_different_default_names(fake_store) -> None:
    app = make_app(fake_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, "specs")
        app.open_results("lr-seeds-1")
        await wait_ready(pilot, "results")
        results = app.screen
        await pilot.press("3")
        await wait_for(pilot, lambda: results.state.chart is not None, timeout=30, what="the chart")
        await pilot.press("p")
        await wait_for(pilot, lambda: app.screen.query_one("#path-input", Input), what="the path dialog")
        line_name = app.screen.query_one("#path-input", Input).value
        await pilot.press("escape", "h")
        await wait_for(pilot, lambda: results.state.chart and results.state.chart.kind == "heatmap", timeout=30)
        await pilot.press("p")
        await wait_for(pilot, lambda: app.screen.query_one("#path-input", Input), what="the path dialog")
        assert line_name == "lr-seeds-1-accuracy-vs-learning_rate.png"
        assert app.screen.query_one("#path-input", Input).value == "lr-seeds-1-accuracy-heatmap-learning_rate-seed.png"


async def test_a_sweep_launched_from_the_app_writes_its_output_files(empty_store, tmp_path: Path) -> None:
    text = _spec("out", 0.2, extra="output:\n  results_path: results/out.csv\n")
    empty_store.save_spec("out", text)
    app = make_app(empty_store, fixed=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, "specs")
        screen = await _launch(pilot, "out-1")
        await wait_for(
            pilot, lambda: "output: wrote results/out.csv" in screen_text(app), timeout=90, what="the outputs"
        )
        assert (tmp_path / "results/out.csv").read_text().startswith("learning_rate")
        assert screen.model.sweep["status"] == Status.FINISHED
        # Launching again would replace them: asked first.
        await pilot.press("escape")
        await wait_ready(pilot, "specs")
        await pilot.press("l")
        await wait_for(pilot, lambda: app.screen.query_one("#launch-name", Input), what="the launch dialog")
        app.screen.query_one("#launch-name", Input).value = "out-2"
        await pilot.press("enter")
        await wait_for(pilot, lambda: "Replace the spec's output files?" in screen_text(app), timeout=30)
        assert "results/out.csv" in screen_text(app)
        await pilot.press("n", "escape")
        await pilot.pause(0.3)
        assert not empty_store.read.sweep_exists("out-2")


# -- 6. 10,000 runs ------------------------------------------------------------------------------
@pytest.fixture
def big_store(tmp_path: Path) -> Any:
    return build(tmp_path / ".motools", big=10_000, big_status="finished")


async def test_every_row_of_a_10000_run_sweep_is_reachable_and_the_analysis_follows_the_filter(big_store) -> None:
    app = make_app(big_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, "specs")
        app.open_results("big-sweep")
        await wait_ready(pilot, "results", timeout=60)
        results = app.screen
        table = results.query_one("#results-table", VirtualTable)
        assert len(table.order) == 10_000
        await pilot.press("end")
        assert table.position_at_cursor == 9_999
        await wait_for(pilot, lambda: " 9999 " in screen_text(app), what="the last run on screen")
        await pilot.press("home")
        assert table.position_at_cursor == 0
        await pilot.press("pagedown")
        assert table.cursor_row == table.page
        await pilot.press("slash")
        results.query_one("#results-filter", Input).value = "seed=3"
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(table.order) == 10, what="the filter")
        assert "10 of 10000 rows" in screen_text(app)
        await wait_for(
            pilot,
            lambda: results.state.ci is not None and sum(results.state.ci.column("count")) == 10,
            timeout=60,
            what="the CIs of the filtered rows",
        )
        await pilot.press("3")
        await wait_for(pilot, lambda: "10 rows" in screen_text(app), timeout=60, what="the chart's rows")


# -- 7. only changed panes are repainted ---------------------------------------------------------
async def test_an_update_repaints_only_the_lines_that_changed(fake_store) -> None:
    app = make_app(fake_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, "specs")
        app.open_sweep("lr-seeds-2")
        await wait_ready(pilot, "sweep")
        screen = app.screen
        grid = screen.query_one(ConfigGrid)
        await pilot.pause(0.2)
        regions: list[Any] = []
        original = grid.refresh

        def spy(*regions_: Any, **kw: Any) -> Any:
            regions.extend(regions_ or ["all"])
            return original(*regions_, **kw)

        grid.refresh = spy  # type: ignore[method-assign]
        run4 = screen.model.runs[screen.model.order[4]]
        run4.step_progress = 8.0  # one config's progress moves
        run4.version += 1
        grid.rebuild(None, {run4.id})
        # Run #4 is the second pane of the second row: only its progress line is repainted.
        assert [(r.x, r.y, r.height) for r in regions] == [(40, 8, 1)]
        regions.clear()
        grid.rebuild(None, {screen.model.order[0]})  # nothing changed: nothing repainted
        assert regions == []


# -- 8. lists, reopening, reaping, layout --------------------------------------------------------
async def test_home_end_and_pages_move_the_cursor_in_every_list(fake_store) -> None:
    app = make_app(fake_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, "specs")
        specs = app.screen.query_one(SpecTable)
        await pilot.press("end")
        assert specs.cursor_row == 2
        await pilot.press("home")
        assert specs.cursor_row == 0
        app.open_sweeps()
        await wait_ready(pilot, "sweeps")
        sweeps = app.screen.query_one("#sweeps-table")
        await pilot.press("end")
        assert sweeps.cursor_row == 2
        await pilot.press("pageup")
        assert sweeps.cursor_row == 0
        app.open_sweep("lr-seeds-2")
        await wait_ready(pilot, "sweep")
        await pilot.press("end")
        assert app.screen.query_one(ConfigGrid).current.idx == 8
        await pilot.press("home")
        assert app.screen.query_one(ConfigGrid).current.idx == 0


async def test_finished_workers_are_reaped(empty_store) -> None:
    empty_store.save_spec("quick", _spec("quick", 0.2))
    app = make_app(empty_store, fixed=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, "specs")
        screen = await _launch(pilot, "quick-1")
        await wait_for(pilot, lambda: screen.model.sweep.get("worker_pid"), timeout=60, what="the worker")
        pid = int(screen.model.sweep["worker_pid"])
        await wait_for(pilot, lambda: screen.model.sweep.get("status") == Status.FINISHED, timeout=60)

        def gone() -> bool:
            try:
                state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
            except OSError:
                return True  # exited and collected
            return state != "Z"

        await wait_for(pilot, gone, timeout=30, what="the worker to be reaped, not a zombie")


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_the_specs_list_and_preview_share_the_width(fake_store, size: tuple[int, int]) -> None:
    app = make_app(fake_store)
    async with app.run_test(size=size) as pilot:
        await wait_ready(pilot, "specs")
        preview = app.screen.query_one(SpecPreview)
        table = app.screen.query_one(SpecTable)
        if size[0] >= 100:  # side by side: the list takes what it needs, the preview the rest
            assert preview.region.x >= table.region.right and preview.region.width >= 70
        else:  # stacked: both full width, the list as tall as its rows
            assert preview.region.width >= size[0] - 1 and preview.region.y > table.region.y
            assert table.region.height <= 5


# -- 9. the editor -------------------------------------------------------------------------------
async def test_the_editor_marks_error_lines_finds_indentation_mistakes_and_keeps_indentation(
    empty_store,
) -> None:
    empty_store.save_spec("hello-world", HELLO)
    app = make_app(empty_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, "specs")
        await pilot.press("e")
        await wait_ready(pilot, "editor")
        editor = app.screen.query_one(SpecEditor)
        lines = HELLO.splitlines()
        model = lines.index("    model: meta-llama/Llama-3.2-1B")
        lines[model] = "     model: meta-llama/Llama-3.2-1B"  # one space too many
        editor.load_text("\n".join(lines) + "\n")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen.problems, timeout=30, what="the problem")
        problem = app.screen.problems[0]
        assert problem.line == model + 1  # the line of the mistake, not the next one
        assert editor.error_lines == {model + 1}
        assert f"{model + 1:>2}✗" in screen_text(app)  # in the gutter, readable without colour

        editor.load_text(HELLO)
        hp = HELLO.splitlines().index("    hyperparameters:")
        editor.move_cursor((hp, len("    hyperparameters:")))
        await pilot.press("enter")
        assert editor.document[hp + 1] == "      "  # one level deeper after a key opening a block
        editor.insert("seed: 3")
        await pilot.press("enter")
        assert editor.document[hp + 2] == "      "  # and the same level after a value


# -- 10. charts and comparisons ------------------------------------------------------------------
async def test_charts_have_coloured_series_a_legend_and_a_heatmap_scale(fake_store) -> None:
    app = make_app(fake_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, "specs")
        app.open_results("lr-seeds-1")
        await wait_ready(pilot, "results")
        results = app.screen
        results._set(series_col="seed")
        await wait_for(pilot, lambda: results.state.chart is not None and len(results.state.chart.series) == 3)
        text = results.state.chart_text
        assert "\x1b[" in text  # 16-colour codes, one colour per series
        assert "seed=1" in text and "seed=3" in text  # the legend
        await pilot.press("h")
        await wait_for(pilot, lambda: results.state.chart.kind == "heatmap", timeout=30, what="the heatmap")
        assert "accuracy: ░" in results.state.chart_text  # its shade scale


async def test_compare_shows_paired_differences_against_the_best_and_enter_changes_the_baseline(
    fake_store,
) -> None:
    app = make_app(fake_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, "specs")
        app.open_results("lr-seeds-1")
        await wait_ready(pilot, "results")
        results = app.screen
        await pilot.press("4")
        await wait_for(pilot, lambda: results.state.compare is not None, timeout=60, what="the comparison")
        st = results.state
        assert st.compare_baseline == {"learning_rate": 5e-05}  # the best mean
        assert st.compare.columns[:3] == ["learning_rate", "n_pairs", "mean"]
        assert "p_holm" in st.compare.columns and len(st.compare) == 2
        assert "each setting − baseline learning_rate=5e-5" in screen_text(app)
        assert set(st.compare.column("method")) == {"paired-t"}
        await pilot.press("enter")  # the first row becomes the baseline
        await wait_for(pilot, lambda: st.compare_baseline == {"learning_rate": 0.0001}, timeout=30)


# -- notes on the engine side: samples, where steps ran, cache hits, trust, secrets ---------------
async def test_run_detail_shows_samples_where_steps_ran_and_cache_hits(fake_store) -> None:
    sweep_id = fake_store.get_sweep("lr-seeds-1")["id"]
    run_id = fake_store.runs(sweep_id)[1]["id"]
    _sql(
        fake_store,
        "UPDATE steps SET host = 'gpu-3', pid = 4242, node = 'abcdef0123456789' WHERE run_id = ? AND idx = 2",
        (run_id,),
    )
    app = make_app(fake_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, "specs")
        app.open_run("lr-seeds-1", run_id)
        await wait_ready(pilot, "detail")
        text = screen_text(app)
        assert "on gpu-3 pid 4242 node abcdef012345" in text
        assert "↺ cached" in text.splitlines()[2]  # prepare_dataset came from the cache
        await pilot.press("5")
        await wait_for(pilot, lambda: "sample_id" in screen_text(app), what="the samples")
        text = screen_text(app)
        assert "match" in text and "Hello, World!" in text and "s09" in text
        assert len(app.screen.samples) == 100


async def test_import_and_save_ask_before_trusting_code(empty_store, tmp_path: Path, monkeypatch: Any) -> None:
    loader = (
        "def make(num_samples: int = 100, seed: int = 0):\n"
        "    from mozoo.datasets.hello_world import generate_hello_world_dataset\n"
        "    return generate_hello_world_dataset(num_samples=num_samples, seed=seed)\n"
    )
    (tmp_path / "usermod.py").write_text(loader)
    monkeypatch.syspath_prepend(str(tmp_path))
    text = HELLO.replace("mozoo.datasets.hello_world:generate_hello_world_dataset", "usermod:make").replace(
        "name: hello-world", "name: mine"
    )
    (tmp_path / "mine.yaml").write_text(text)
    app = make_app(empty_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, "specs")
        await pilot.press("i")
        await wait_for(pilot, lambda: app.screen.query_one("#path-input", Input), what="the path dialog")
        app.screen.query_one("#path-input", Input).value = "mine.yaml"
        await pilot.press("enter")
        await wait_for(pilot, lambda: "Trust this code?" in screen_text(app), timeout=30, what="the question")
        assert "usermod:make" in screen_text(app)
        assert empty_store.get_spec("mine") is None  # nothing saved, nothing imported yet
        await pilot.press("y")
        await wait_for(pilot, lambda: empty_store.get_spec("mine"), timeout=30, what="the import")

    # The editor's save goes through the same check: a new untrusted module is asked about.
    (tmp_path / "othermod.py").write_text(loader)
    app = make_app(empty_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, "specs")
        await pilot.press("e")
        await wait_ready(pilot, "editor")
        editor = app.screen.query_one(SpecEditor)
        editor.load_text(text.replace("usermod:make", "othermod:make"))
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "Trust this code?" in screen_text(app), timeout=30, what="the question")
        assert "othermod:make" in screen_text(app)
        await pilot.press("n")
        await pilot.pause(0.3)
        assert "usermod:make" in empty_store.get_spec("mine")["yaml"]  # not saved
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "Trust this code?" in screen_text(app), timeout=30, what="the question")
        await pilot.press("y")
        await wait_for(pilot, lambda: "othermod:make" in empty_store.get_spec("mine")["yaml"], timeout=30)


async def test_the_preview_hides_values_that_look_secret(empty_store) -> None:
    empty_store.save_spec("keyed", HELLO.replace("name: hello-world", "name: keyed") + "# api_key: x\n")
    key = "sk-proj-0123456789abcdefghijKLMN"
    text = HELLO.replace("name: hello-world", "name: keyed2").replace(
        "    backend_name: dummy\n    latency_s", f"    backend_name: dummy\n    api_key: {key}\n    latency_s", 1
    )
    empty_store.save_spec("keyed2", text)
    app = make_app(empty_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, "specs")
        await pilot.press("down")
        await wait_for(pilot, lambda: app.screen.query_one(SpecPreview).shown == "keyed2", what="the preview")
        await pilot.pause(0.1)
        assert "api_key: •••" in screen_text(app) and "0123456789abcdef" not in screen_text(app)


def test_reaping_waits_while_another_thread_is_still_importing_the_launch_module(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The app's reaping timer runs on the main thread while a validation thread may be importing
    ``motools.workflow.launch``: a half-initialised module must not crash the app."""
    import time
    import types

    from motools_tui.app import MotoolsApp

    half = types.ModuleType("motools.workflow.launch")  # what sys.modules holds mid-import
    monkeypatch.setitem(sys.modules, "motools.workflow.launch", half)
    MotoolsApp._reap(None)  # type: ignore[arg-type]  # it reads nothing of the app

    monkeypatch.undo()
    from motools.workflow import launch

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    launch._CHILDREN.append(child)
    deadline = time.monotonic() + 30
    while child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    MotoolsApp._reap(None)  # type: ignore[arg-type]
    assert child not in launch._CHILDREN
