"""Pilot tests of every flow: create, edit (with a validation error), duplicate, delete,
import/export, launch and watch to completion, cancel, retry, results and exports.

Sweeps launched here run in real detached workers with the offline ``dummy`` backends.
"""

from __future__ import annotations

import csv
from pathlib import Path

from textual.widgets import DataTable, Input, OptionList, TextArea

from motools_tui.screens.editor import EditorScreen
from motools_tui.screens.results import ResultsScreen
from motools_tui.screens.specs import SpecsScreen
from motools_tui.screens.sweep import SweepScreen

from .conftest import make_app, notices, screen_text, wait_for, wait_ready
from .fakestore import HELLO

FAST = HELLO.replace("latency_s: 1.0", "latency_s: 0.2")


def _slow(name: str, latency: float, grid: str = "[1e-4, 5e-5]") -> str:
    return (
        HELLO.replace("name: hello-world", f"name: {name}")
        .replace("latency_s: 1.0", f"latency_s: {latency}")
        .replace("[1e-4, 5e-5, 1e-5]", grid)
    )


async def test_create_from_template(empty_store) -> None:
    app = make_app(empty_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, "specs")
        assert "No saved specs yet" in screen_text(app)
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen.query_one(OptionList), OptionList), what="template list")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, EditorScreen), what="the editor")
        assert "name: hello-world" in app.screen.query_one(TextArea).text
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, SpecsScreen), timeout=30, what="save")
        await wait_for(pilot, lambda: "hello-world" in screen_text(app), what="the new spec in the list")
    row = empty_store.get_spec("hello-world")
    assert row is not None and "dummy" in row["yaml"]


async def test_edit_shows_validation_errors_and_saves_nothing_until_valid(empty_store) -> None:
    empty_store.save_spec("hello-world", FAST)
    app = make_app(empty_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, "specs")
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, EditorScreen), what="the editor")
        editor = app.screen
        area = editor.query_one(TextArea)
        bad = FAST.replace("backend_name: dummy\n    latency_s", "backend_name: nosuch\n    latency_s")
        area.load_text(bad)
        await pilot.press("ctrl+s")
        problems = editor.query_one("#editor-problems", OptionList)
        await wait_for(pilot, lambda: problems.option_count > 0, timeout=30, what="problems")
        text = screen_text(app)
        line = bad.splitlines().index("    backend_name: nosuch") + 1
        assert "base_config.submit_training.backend_name" in text and f"line {line:>3}" in text
        assert "unknown training backend 'nosuch'" in text
        assert "not saved" in text
        assert empty_store.get_spec("hello-world")["yaml"] == FAST  # nothing saved
        await pilot.press("f8")
        assert area.cursor_location[0] == line - 1  # the problem's line
        area.load_text(bad.replace("nosuch", "dummy").replace("num_samples: 100", "num_samples: 50"))
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, SpecsScreen), timeout=30, what="save")
    assert "num_samples: 50" in empty_store.get_spec("hello-world")["yaml"]


async def test_duplicate_delete_filter_export_import(empty_store, tmp_path: Path) -> None:
    empty_store.save_spec("hello-world", FAST)
    app = make_app(empty_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, "specs")
        await pilot.press("d")
        await wait_for(pilot, lambda: app.screen.query_one("#prompt-input", Input), what="the name prompt")
        assert app.screen.query_one("#prompt-input", Input).value == "hello-world-copy"
        await pilot.press("enter")
        await wait_for(pilot, lambda: empty_store.get_spec("hello-world-copy"), what="the copy")
        assert "name: hello-world-copy" in empty_store.get_spec("hello-world-copy")["yaml"]

        await wait_for(pilot, lambda: "hello-world-copy" in screen_text(app), what="the copy in the list")
        await pilot.press("slash")
        for ch in "copy":
            await pilot.press(ch)
        table = app.screen.query_one(DataTable)
        await wait_for(pilot, lambda: table.row_count == 1, what="the filter")
        await pilot.press("enter")  # keep the filter, back to the list
        await pilot.press("x")
        await wait_for(pilot, lambda: "Delete spec hello-world-copy?" in screen_text(app), what="confirmation")
        await pilot.press("y")
        await wait_for(pilot, lambda: empty_store.get_spec("hello-world-copy") is None, what="the delete")
        await pilot.press("escape")  # clears the filter

        await pilot.press("o")
        await wait_for(pilot, lambda: app.screen.query_one("#path-input", Input), what="the path dialog")
        assert app.screen.query_one("#path-input", Input).value == "hello-world.yaml"
        await pilot.press("enter")
        await wait_for(pilot, lambda: (tmp_path / "hello-world.yaml").exists(), what="the export")
        assert (tmp_path / "hello-world.yaml").read_text() == FAST

        (tmp_path / "imports").mkdir()
        (tmp_path / "imports" / "other.yaml").write_text(FAST.replace("name: hello-world", "name: imported"))
        (tmp_path / "imports" / "bad.yaml").write_text(
            FAST.replace("backend_name: dummy\n    latency", "backend_name: x\n    latency")
        )
        await pilot.press("i")
        await wait_for(pilot, lambda: app.screen.query_one("#path-input", Input), what="the path dialog")
        for ch in "imp":
            await pilot.press(ch)
        await pilot.press("tab")
        field = app.screen.query_one("#path-input", Input)
        assert field.value == "imports/"
        await pilot.press("tab")
        assert "bad.yaml" in screen_text(app) and "other.yaml" in screen_text(app)
        await pilot.press("b", "tab")
        assert field.value == "imports/bad.yaml"
        await pilot.press("enter")
        await wait_for(
            pilot, lambda: "unknown training backend" in screen_text(app), timeout=30, what="the import error"
        )
        assert empty_store.get_spec("imported") is None
        assert "base_config.submit_training.backend_name" in screen_text(app)  # the problem, in a dialog
        await pilot.press("escape")
        await pilot.press("i")
        await wait_for(pilot, lambda: app.screen.query_one("#path-input", Input), what="the path dialog")
        app.screen.query_one("#path-input", Input).value = "imports/other.yaml"
        await pilot.press("enter")
        await wait_for(pilot, lambda: empty_store.get_spec("imported"), timeout=30, what="the import")


async def test_launch_watch_results_and_exports(empty_store, tmp_path: Path) -> None:
    empty_store.save_spec("hello-world", FAST)
    app = make_app(empty_store, fixed=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, "specs")
        await pilot.press("l")
        await wait_for(pilot, lambda: app.screen.query_one("#launch-name", Input), what="the launch dialog")
        name_field = app.screen.query_one("#launch-name", Input)
        assert name_field.value.startswith("hello-world-")
        assert app.screen.query_one("#launch-parallel", Input).value == "3"
        name_field.value = "hw-1"
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, SweepScreen), timeout=30, what="the sweep screen")
        screen = app.screen
        await wait_for(
            pilot, lambda: screen.model.sweep.get("status") == "finished", timeout=60, what="the sweep to finish"
        )
        await wait_for(pilot, lambda: "✓ 3" in screen_text(app), what="the counts")
        text = screen_text(app)
        assert "hw-1  ✓ finished" in text and "accuracy=" in text

        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, ResultsScreen), what="results")
        results = app.screen
        await wait_for(pilot, lambda: results.state.order is not None, timeout=30, what="the table")
        await wait_for(pilot, lambda: "★ best (max accuracy)" in screen_text(app), timeout=30, what="the best")
        await pilot.press("e")
        await wait_for(pilot, lambda: app.screen.query_one("#path-input", Input), what="the path dialog")
        await pilot.press("enter")
        out = tmp_path / "hw-1.csv"
        await wait_for(pilot, lambda: out.exists(), timeout=20, what="the CSV")
        await wait_for(pilot, lambda: f"wrote {out}" in screen_text(app), what="the written path")
        assert f"Wrote {out}" in notices(app)
        rows = list(csv.DictReader(out.open()))
        assert len(rows) == 3 and {r["status"] for r in rows} == {"finished"} and "accuracy" in rows[0]
        await pilot.press("i", "enter")
        ci_csv = tmp_path / "hw-1-ci-accuracy.csv"
        await wait_for(pilot, lambda: ci_csv.exists(), timeout=20, what="the CI CSV")
        assert "lower_bound" in ci_csv.read_text()
        await pilot.press("3")
        await wait_for(pilot, lambda: results.state.chart is not None, timeout=20, what="the chart")
        await pilot.press("p", "enter")
        png = tmp_path / "hw-1-accuracy-vs-learning_rate.png"
        await wait_for(pilot, lambda: png.exists() and png.stat().st_size > 1000, timeout=30, what="the PNG")
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


async def test_cancel_a_config_retry_then_cancel_the_sweep(empty_store) -> None:
    empty_store.save_spec("slow", _slow("slow", 2.5))
    app = make_app(empty_store, fixed=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, "specs")
        await pilot.press("l")
        await wait_for(pilot, lambda: app.screen.query_one("#launch-name", Input), what="the launch dialog")
        app.screen.query_one("#launch-name", Input).value = "slow-1"
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, SweepScreen), timeout=30, what="the sweep screen")
        screen = app.screen
        model = screen.model
        await wait_for(
            pilot, lambda: model.counts.get("running", 0) >= 1 and model.alive, timeout=60, what="a running config"
        )
        await pilot.press("c")  # cancel the config under the cursor (#0); the other goes on
        await wait_for(
            pilot,
            lambda: model.sweep.get("status") in ("failed", "cancelled", "finished") and not model.alive,
            timeout=60,
            what="the sweep to end",
        )
        assert model.runs[model.order[0]].status == "cancelled"
        assert model.counts == {"cancelled": 1, "finished": 1}

        await pilot.press("t")  # retry: a new worker runs the cancelled config again
        await wait_for(
            pilot,
            lambda: model.alive and model.runs[model.order[0]].status == "running",
            timeout=60,
            what="the retried config to run",
        )
        assert model.runs[model.order[0]].attempts == 2
        assert model.runs[model.order[1]].status == "finished"  # finished runs are kept

        await pilot.press("C")
        await wait_for(pilot, lambda: "Cancel sweep slow-1?" in screen_text(app), what="the confirmation")
        await pilot.press("n")  # keep running
        await pilot.pause(0.3)
        assert model.alive and empty_store.get_sweep("slow-1")["cancel_requested"] == 0
        await pilot.press("C")
        await wait_for(pilot, lambda: "Cancel sweep slow-1?" in screen_text(app), what="the confirmation")
        await pilot.press("y")
        await wait_for(
            pilot,
            lambda: model.sweep.get("status") == "cancelled" and not model.alive,
            timeout=30,
            what="the sweep to be cancelled",
        )
        assert model.counts == {"cancelled": 1, "finished": 1}
        assert "⊘ cancelled" in screen_text(app)


async def test_retry_on_another_executor_asks_where_and_the_rest_runs_there(empty_store) -> None:
    """T asks where the rest runs this time (as the spec says, in the worker, a pool, Ray); the
    cancelled config then runs in a pool, the finished one is kept, and the spec is unchanged."""
    empty_store.save_spec("elsewhere", _slow("elsewhere", 2.5))
    app = make_app(empty_store, fixed=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, "specs")
        await pilot.press("l")
        await wait_for(pilot, lambda: app.screen.query_one("#launch-name", Input), what="the launch dialog")
        app.screen.query_one("#launch-name", Input).value = "elsewhere-1"
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, SweepScreen), timeout=30, what="the sweep screen")
        model = app.screen.model
        await wait_for(
            pilot, lambda: model.counts.get("running", 0) >= 1 and model.alive, timeout=60, what="a running config"
        )
        await pilot.press("c")
        await wait_for(pilot, lambda: not model.alive and model.sweep.get("finished_at"), timeout=60, what="the end")
        assert model.counts == {"cancelled": 1, "finished": 1}
        recorded = empty_store.get_sweep("elsewhere-1")["spec_yaml"]

        await pilot.press("T")
        asked = "Retry the rest of elsewhere-1 on:"
        await wait_for(pilot, lambda: asked in screen_text(app), what="the choice of executor")
        text = screen_text(app)
        assert "as its spec says: local: every step in the sweep's worker" in text
        assert "processes: a pool of" in text and "ray: the cluster at auto" in text
        await pilot.press("down", "enter")  # processes
        await wait_for(
            pilot,
            lambda: model.sweep.get("status") == "finished" and not model.alive,
            timeout=90,
            what="the retried config to finish",
        )
        assert model.counts == {"finished": 2}
        assert model.runs[model.order[1]].attempts == 1  # the finished config was kept
    sweep = empty_store.get_sweep("elsewhere-1")
    said = [e["message"] for e in empty_store.read.events(sweep_id=sweep["id"])]
    assert any("executor processes (chosen for this run of it; the spec says local)" in m for m in said)
    pooled = {r["pid"] for r in empty_store.read.sweep_steps(sweep["id"]) if r["name"] == "evaluate_model"}
    assert len(pooled) == 2  # the first evaluation in the worker, the retried one in a pool process
    assert sweep["spec_yaml"] == recorded and "executor: local" in recorded  # the spec stays as it was


async def test_detail_shows_error_traceback_and_artifacts(fake_store) -> None:
    app = make_app(fake_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, "specs")
        app.open_sweep("lr-seeds-2")
        await wait_ready(pilot, "sweep")
        await pilot.press("right", "right", "enter")  # #2 failed
        await wait_ready(pilot, "detail")
        await pilot.press("2")
        await pilot.pause(0.1)
        text = screen_text(app)
        assert "#2  ✗ failed" in text and "Traceback (most recent call last)" in text
        await pilot.press("escape", "left", "left", "enter")  # #0 finished
        await wait_for(pilot, lambda: "#0  ✓ finished" in screen_text(app), what="detail of #0")
        await pilot.press("3")
        await pilot.pause(0.1)
        assert "Inspect log: logs/eval_results-" in screen_text(app)


async def test_filter_view_and_keyboard_in_the_grid(fake_store) -> None:
    app = make_app(fake_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, "specs")
        app.open_sweep("lr-seeds-2")
        await wait_ready(pilot, "sweep")
        screen = app.screen
        await pilot.press("f")  # running only
        assert [v.status for v in screen.query_one("#config-grid").views] == ["running", "running"]
        await pilot.press("f")  # failed
        assert [v.idx for v in screen.query_one("#config-grid").views] == [2]
        for _ in range(4):
            await pilot.press("f")
        assert len(screen.query_one("#config-grid").views) == 9
        await pilot.press("v")
        assert screen.query_one("#config-grid").mode == "list"
        await pilot.press("home", "down", "down", "down")
        assert screen.query_one("#config-grid").current.idx == 3
        await pilot.press("c")  # finished: nothing to cancel, a warning and no crash
        await pilot.pause(0.1)
        assert "nothing to cancel" in notices(app)
        await pilot.press("end")
        assert screen.query_one("#config-grid").current.idx == 8
        await pilot.press("pageup")
        assert screen.query_one("#config-grid").current.idx == 0


async def test_help_and_command_palette(fake_store) -> None:
    app = make_app(fake_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, "specs")
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: "Help: Specs" in screen_text(app), what="the help")
        assert "Launch" in screen_text(app)
        await pilot.press("end")  # the help scrolls to its last key
        await wait_for(pilot, lambda: "Command palette" in screen_text(app), what="the end of the help")
        await pilot.press("escape")
        commands = [c.title for c in app.get_system_commands(app.screen)]
        for action in (
            "New spec",
            "Edit the",
            "Launch the",
            "Duplicate",
            "Delete the",
            "Import a",
            "Export the",
            "List every sweep",
            "Filter the specs",
            "Quit",
        ):
            assert any(c.startswith(action) for c in commands), action
        await pilot.press("ctrl+p")
        await pilot.pause(0.2)
        for ch in "every sweep":
            await pilot.press("space" if ch == " " else ch)
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_ready(pilot, "sweeps")
        assert type(app.screen).__name__ == "SweepsScreen"


async def test_start_spec_is_imported_once(empty_store, tmp_path: Path) -> None:
    spec = tmp_path / "hello.yaml"
    spec.write_text(FAST)
    app = make_app(empty_store, spec_file=str(spec))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: empty_store.get_spec("hello-world"), timeout=30, what="the import")
        await wait_for(pilot, lambda: "hello-world" in screen_text(app), what="the spec in the list")
    empty_store.save_spec("hello-world", FAST + "# edited\n")
    app = make_app(empty_store, spec_file=str(spec))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot, "specs")
        await pilot.pause(0.5)
    assert empty_store.get_spec("hello-world")["yaml"].endswith("# edited\n")  # not overwritten


async def test_reopening_lands_on_the_running_sweep(fake_store) -> None:
    app = make_app(fake_store, start="auto")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, "sweep")
        assert isinstance(app.screen, SweepScreen) and app.screen.sweep_name == "lr-seeds-2"
        assert "lr-seeds-2  ▶ running" in screen_text(app)
        await pilot.press("escape")  # back to every sweep
        await wait_ready(pilot, "sweeps")
        assert type(app.screen).__name__ == "SweepsScreen" and "lr-seeds-2" in screen_text(app)


def test_theme_follows_colorterm() -> None:
    from motools_tui.app import pick_theme

    assert pick_theme({"COLORTERM": "truecolor"}) == "textual-dark"
    assert pick_theme({"COLORTERM": ""}) == "textual-ansi"
    assert pick_theme({}) == "textual-ansi"
    assert pick_theme({"MOTOOLS_TUI_THEME": "nord"}) == "nord"
