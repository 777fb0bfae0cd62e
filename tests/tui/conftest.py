"""Fixtures for the app's tests: isolated stores, a fixed clock, waiting helpers."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from .fakestore import NOW, build


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test runs in its own folder with its own MOTOOLS_HOME (never the user's store)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MOTOOLS_HOME", str(tmp_path / ".motools"))
    monkeypatch.setenv("TINKER_TELEMETRY", "0")
    monkeypatch.delenv("MOTOOLS_TUI_THEME", raising=False)


@pytest.fixture
def fake_store(tmp_path: Path) -> Any:
    """The deterministic store (three specs, three sweeps) at ./.motools."""
    return build(tmp_path / ".motools")


@pytest.fixture
def empty_store(tmp_path: Path) -> Any:
    from motools.store import Store

    return Store(tmp_path / ".motools")


def make_app(store: Any, *, fixed: bool = True, **kw: Any) -> Any:
    from motools_tui.app import MotoolsApp
    from motools_tui.core.clock import fixed_clock, system_clock

    kw.setdefault("theme", "textual-dark")
    kw.setdefault("start", "specs")
    kw.setdefault("poll_interval", 0.1)
    kw.setdefault("list_interval", 0.2)
    kw.setdefault("results_interval", 0.3)
    kw.setdefault("cursor_blink", False)
    return MotoolsApp(store=store, clock=fixed_clock(NOW) if fixed else system_clock, **kw)


async def wait_for(pilot: Any, predicate: Callable[[], Any], timeout: float = 10.0, what: str = "") -> Any:
    """Let the app run until ``predicate()`` is truthy; fail with ``what`` after ``timeout``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        try:
            value = predicate()
        except Exception:
            value = None
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate}")
        await pilot.pause(0.02)


async def wait_ready(pilot: Any, name: str, timeout: float = 10.0) -> None:
    app = pilot.app
    await wait_for(pilot, lambda: name in app.ready, timeout, f"screen {name} to show its data")
    await pilot.pause(0.05)


def screen_text(app: Any) -> str:
    """The screen as plain text (what a user would read)."""
    from rich.console import Console

    with open(os.devnull, "w") as sink:
        console = Console(width=app.size.width, record=True, file=sink, color_system=None)
        for strip in app.screen._compositor.render_strips():
            console.print(strip.text, soft_wrap=True, markup=False, highlight=False)
        return console.export_text()


def notices(app: Any) -> str:
    """Every notification the app is showing, joined (toasts wrap, so screen text is unreliable)."""
    return "\n".join(n.message for n in app._notifications)
