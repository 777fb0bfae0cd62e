"""Snapshots of every screen and modal at 80x24 and 120x40.

Deterministic: the store is built with fixed timestamps (``fakestore``), the app's clock is
fixed, and the theme is explicit. Update the baselines with
``.venv/bin/pytest tests/tui/test_snapshots.py --snapshot-update``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from textual.widgets import OptionList, TextArea

from .conftest import make_app, wait_for, wait_ready
from .fakestore import HELLO


async def _settle(pilot: Any) -> None:
    pilot.app.clear_notifications()
    await pilot.pause(0.05)


async def _select_hello_world(pilot: Any) -> None:
    from motools_tui.components.spec_preview import SpecPreview
    from motools_tui.components.spec_table import SpecTable

    await wait_ready(pilot, "specs")
    table = pilot.app.screen.query_one(SpecTable)
    await wait_for(pilot, lambda: table.row_count == 3, what="the specs")
    table.move_cursor(row=1, animate=False)
    preview = pilot.app.screen.query_one(SpecPreview)
    await wait_for(pilot, lambda: preview.shown == "hello-world", what="the preview")
    await pilot.pause(0.05)


def _specs(*keys: str) -> Callable[[Any], Awaitable[None]]:
    async def run(pilot: Any) -> None:
        await _select_hello_world(pilot)
        base = pilot.app.screen
        if keys:
            await pilot.press(*keys)
            if keys[0] not in ("slash",):
                await wait_for(pilot, lambda: pilot.app.screen is not base, what="the dialog")
        await pilot.pause(0.1)
        await _settle(pilot)

    return run


def _on(screen: str, opener: Callable[[Any], None], *keys: str) -> Callable[[Any], Awaitable[None]]:
    async def run(pilot: Any) -> None:
        await wait_ready(pilot, "specs")
        opener(pilot.app)
        await wait_ready(pilot, screen, timeout=30)
        if keys:
            await pilot.press(*keys)
        await pilot.pause(0.15)
        await _settle(pilot)

    return run


def _results(*keys: str, sweep: str = "lr-seeds-1") -> Callable[[Any], Awaitable[None]]:
    async def run(pilot: Any) -> None:
        from motools_tui.components.chart_view import ChartView

        await wait_ready(pilot, "specs")
        pilot.app.open_results(sweep)
        screen = await wait_for(
            pilot,
            lambda: pilot.app.screen if type(pilot.app.screen).__name__ == "ResultsScreen" else None,
            what="results",
        )
        st = screen.state
        await wait_for(
            pilot,
            lambda: st.order is not None and (st.best or st.best_error) and (st.ci or st.ci_error),
            timeout=30,
            what="the table, the best setting and the CIs",
        )
        for key in keys:
            await pilot.press(key)
            await pilot.pause(0.05)
        chart = screen.query_one(ChartView)

        def settled() -> bool:
            size = (chart.content_size.width, chart.content_size.height)
            chart_ok = bool(st.chart_text) and (not chart.display or size[0] == 0 or st.view.chart_size == size)
            compare_ok = not screen._compare_wanted or st.compare is not None or st.compare_error is not None
            return chart_ok and compare_ok

        await wait_for(pilot, settled, timeout=30, what="the chart at its size and the comparison")
        await pilot.pause(0.1)
        await _settle(pilot)

    return run


def _run_id(app: Any, idx: int, sweep: str = "lr-seeds-2") -> int:
    store = app.ctx.store.open()
    return int(store.runs(store.get_sweep(sweep)["id"])[idx]["id"])


async def _help_end(pilot: Any) -> None:
    """The help scrolled to its last line."""
    await _specs("question_mark")(pilot)
    await pilot.press("end")
    await pilot.pause(0.1)


async def _interrupted(pilot: Any) -> None:
    """lr-seeds-2 whose worker (on this host) has died."""
    import socket
    import sqlite3
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    store = pilot.app.ctx.store.open()
    with sqlite3.connect(store.db_path) as conn:
        conn.execute(
            "UPDATE sweeps SET worker_pid = ?, worker_host = ?, worker_token = NULL WHERE name = 'lr-seeds-2'",
            (proc.pid, socket.gethostname()),
        )
    await _on("sweep", lambda app: app.open_sweep("lr-seeds-2"))(pilot)


async def _editor_with_problems(pilot: Any) -> None:
    await _select_hello_world(pilot)
    await pilot.press("e")
    await wait_ready(pilot, "editor")
    bad = HELLO.replace("backend_name: dummy\n    latency_s", "backend_name: nosuch\n    latency_s")
    pilot.app.screen.query_one(TextArea).load_text(bad.replace("num_samples: 100", "num_samples: -"))
    await pilot.press("ctrl+s")
    problems = pilot.app.screen.query_one("#editor-problems", OptionList)
    await wait_for(pilot, lambda: problems.option_count > 0, timeout=30, what="problems")
    await pilot.press("f8")
    await _settle(pilot)


async def _error_modal(pilot: Any) -> None:
    await _select_hello_world(pilot)
    pilot.app.show_error(RuntimeError("the store answered something unexpected"), title="Launch failed")
    await _settle(pilot)


BOTH = ((80, 24), (120, 40))
CASES: dict[str, tuple[Callable[[Any], Awaitable[None]], tuple[tuple[int, int], ...]]] = {
    "specs": (_specs(), BOTH),
    "templates": (_specs("n"), BOTH),
    "editor_problems": (_editor_with_problems, BOTH),
    "launch": (_specs("l"), BOTH),
    "confirm_delete": (_specs("x"), BOTH),
    "export_path": (_specs("o"), BOTH),
    "duplicate_prompt": (_specs("d"), BOTH),
    "help": (_specs("question_mark"), BOTH),
    "help_end": (_help_end, BOTH),
    "error": (_error_modal, BOTH),
    "sweeps": (_on("sweeps", lambda app: app.open_sweeps()), BOTH),
    "sweep": (_on("sweep", lambda app: app.open_sweep("lr-seeds-2"), "right"), BOTH),
    "sweep_list_view": (_on("sweep", lambda app: app.open_sweep("lr-seeds-2"), "v"), BOTH),
    "sweep_finished": (_on("sweep", lambda app: app.open_sweep("lr-seeds-1")), BOTH),
    "sweep_interrupted": (_interrupted, BOTH),
    "detail_error": (_on("detail", lambda app: app.open_run("lr-seeds-2", _run_id(app, 2)), "2"), BOTH),
    "detail_artifacts": (_on("detail", lambda app: app.open_run("lr-seeds-2", _run_id(app, 0)), "3"), BOTH),
    "detail_samples": (_on("detail", lambda app: app.open_run("lr-seeds-2", _run_id(app, 0)), "5"), BOTH),
    "results_table": (_results(), BOTH),
    "results_ci": (_results("2"), BOTH),
    "results_chart": (_results("3"), BOTH),
    "results_heatmap": (_results("h"), BOTH),
    "results_compare": (_results("4"), BOTH),
    "results_group_by": (_results("2", "g"), BOTH),
}
PARAMS = [
    pytest.param(case, size, id=f"{case}-{size[0]}x{size[1]}") for case, (_, sizes) in CASES.items() for size in sizes
]


@pytest.mark.parametrize(("case", "size"), PARAMS)
def test_snapshot(case: str, size: tuple[int, int], fake_store: Any, snap_compare: Any) -> None:
    app = make_app(fake_store)
    assert snap_compare(app, terminal_size=size, run_before=CASES[case][0])


def test_snapshot_ansi_theme(fake_store: Any, snap_compare: Any) -> None:
    """The terminal-palette theme picked when there is no truecolor."""
    app = make_app(fake_store, theme="textual-ansi")
    assert snap_compare(app, terminal_size=(120, 40), run_before=_on("sweep", lambda a: a.open_sweep("lr-seeds-2")))
