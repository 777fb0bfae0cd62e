"""End to end in a real terminal: tmux runs ``motools-tui``, keys drive it.

Creates a spec from a template and launches it, waits for the results and exports a CSV;
then launches a slow sweep and kills the terminal (the tmux session) while it runs: the sweep
must finish anyway, and show as finished when the app is opened again. A second pass at 80x24
finds quit, help and each screen's main action in its footer, confirms a group-by change, and
opens the results of a sweep that finished.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from .fakestore import HELLO

VENV_BIN = Path(sys.executable).parent
APP = VENV_BIN / "motools-tui"

pytestmark = pytest.mark.skipif(
    shutil.which("tmux") is None or not APP.exists(), reason="needs tmux and the motools-tui script"
)


class Terminal:
    """One private tmux server (its own socket) running one session."""

    def __init__(self, cwd: Path, env: dict[str, str], size: tuple[int, int] = (120, 40)):
        self.socket = f"motools-e2e-{os.getpid()}-{time.monotonic_ns()}"
        self.cwd = cwd
        self.env = env
        self.size = size
        self.session = "app"

    def tmux(self, *args: str, check: bool = True) -> str:
        out = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, check=check, timeout=20
        )
        return out.stdout

    def start(self) -> None:
        exports = " ".join(f"{k}={v}" for k, v in self.env.items())
        self.tmux(
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            self.session,
            "-x",
            str(self.size[0]),
            "-y",
            str(self.size[1]),
            f"cd {self.cwd} && env {exports} {APP}",
        )
        self.tmux("set-option", "-g", "escape-time", "0", check=False)
        self.tmux("resize-window", "-t", self.session, "-x", str(self.size[0]), "-y", str(self.size[1]), check=False)

    def keys(self, *keys: str) -> None:
        for key in keys:
            self.tmux("send-keys", "-t", self.session, key)
            time.sleep(0.05)

    def type(self, text: str) -> None:
        self.tmux("send-keys", "-t", self.session, "-l", text)

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", self.session, check=False)

    def wait(self, predicate: Callable[[str], bool] | str, timeout: float = 30.0) -> str:
        test = (lambda s: predicate in s) if isinstance(predicate, str) else predicate
        deadline = time.monotonic() + timeout
        text = ""
        while time.monotonic() < deadline:
            text = self.screen()
            if test(text):
                return text
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {predicate!r}; the screen shows:\n{text}")

    def kill(self) -> None:
        self.tmux("kill-server", check=False)


def _sweep_status(home: Path, prefix: str) -> str | None:
    from motools.store import Store

    store = Store(home)
    try:
        rows = store.query("SELECT status FROM sweeps WHERE name LIKE ? ORDER BY id DESC LIMIT 1", (f"{prefix}%",))
        return rows[0]["status"] if rows else None
    finally:
        store.close()


def test_create_launch_export_then_survive_a_killed_terminal(tmp_path: Path) -> None:
    home = tmp_path / ".motools"
    env = {"MOTOOLS_HOME": str(home), "COLORTERM": "", "TERM": "xterm-256color", "TINKER_TELEMETRY": "0"}
    slow = (
        HELLO.replace("name: hello-world", "name: slow")
        .replace("latency_s: 1.0", "latency_s: 3.0")
        .replace("[1e-4, 5e-5, 1e-5]", "[1e-4, 5e-5]")
    )
    (tmp_path / "slow.yaml").write_text(slow)

    term = Terminal(tmp_path, env)
    term.start()
    try:
        term.wait("No saved specs yet")
        term.keys("n")
        term.wait("New spec from a template")
        term.keys("Enter")
        term.wait("ctrl+s validates")
        term.keys("C-s")
        term.wait(lambda s: "hello-world" in s and "never run" in s, timeout=60)

        term.keys("l")
        term.wait("Launch hello-world (3 configs)")
        term.keys("Enter")
        term.wait(lambda s: "✓ 3/3" in s and "✓ finished" in s and "press r for the results" in s, timeout=90)

        term.keys("r")
        term.wait("★ best (max accuracy)", timeout=60)
        term.keys("e")
        term.wait("Write the results table")
        term.keys("Enter")
        term.wait("✓ wrote", timeout=30)
        exported = list(tmp_path.glob("hello-world-*.csv"))
        assert len(exported) == 1
        rows = list(csv.DictReader(exported[0].open()))
        assert len(rows) == 3 and all(r["status"] == "finished" and r["accuracy"] for r in rows)

        # A slow sweep, imported from a file, then the terminal dies while it runs.
        term.keys("Escape", "Escape")
        term.wait("motools  specs")
        term.keys("i")
        term.wait("Import a spec from a YAML file")
        term.type("sl")
        term.keys("Tab")
        term.wait("slow.yaml")
        term.keys("Enter")
        term.wait(lambda s: "slow " in s and "never run" in s, timeout=60)
        term.keys("l")
        term.wait("Launch slow (2 configs)")
        term.keys("Enter")
        term.wait("▶ running", timeout=60)
        assert _sweep_status(home, "slow-") == "running"
    finally:
        term.kill()  # the terminal goes away mid-sweep

    deadline = time.monotonic() + 90
    while _sweep_status(home, "slow-") != "finished" and time.monotonic() < deadline:
        time.sleep(0.3)
    assert _sweep_status(home, "slow-") == "finished"

    term = Terminal(tmp_path, env)
    term.start()
    try:
        term.wait("motools  specs")
        term.keys("w")
        screen = term.wait(lambda s: "slow-" in s and "hello-world-" in s)
        line = next(ln for ln in screen.splitlines() if "slow-" in ln)
        assert "✓ finished" in line and "2/2" in line
    finally:
        term.kill()


def _footer(screen: str) -> str:
    return screen.rstrip("\n").splitlines()[-1]


def test_at_80x24_every_key_is_in_reach(tmp_path: Path) -> None:
    home = tmp_path / ".motools"
    env = {"MOTOOLS_HOME": str(home), "COLORTERM": "", "TERM": "xterm-256color", "TINKER_TELEMETRY": "0"}
    term = Terminal(tmp_path, env, size=(80, 24))
    term.start()
    try:
        screen = term.wait("No saved specs yet")
        assert len(screen.splitlines()[0]) <= 80
        for key in ("n New", "i Import", "? Help", "q Quit"):
            assert key in _footer(screen), (key, _footer(screen))
        term.keys("n")
        term.wait("New spec from a template")
        term.keys("Down", "Enter")  # learning rate x seed: two parameters to group by
        term.wait("ctrl+s validates")
        term.keys("C-s")
        screen = term.wait(lambda s: "lr-seeds" in s and "never run" in s, timeout=60)
        for key in ("n New", "e Edit", "l Launch", "? Help", "q Quit"):
            assert key in _footer(screen), (key, _footer(screen))

        term.keys("l")
        term.wait("Launch lr-seeds (9 configs)")
        term.keys("Enter")
        screen = term.wait("view: list", timeout=60)  # 80x24: the compact list
        for key in ("Detail", "c Cancel", "r Results", "esc Back", "? Help", "q Quit"):
            assert key in _footer(screen), (key, _footer(screen))
        screen = term.wait(lambda s: "✓ 9/9" in s and "press r for the results" in s, timeout=120)
        term.keys("r")
        screen = term.wait("best (max accuracy)", timeout=60)
        for key in ("Tabs", "m Metric", "e Export", "esc Back", "? Help", "q Quit"):
            assert key in _footer(screen), (key, _footer(screen))

        term.keys("2")
        term.wait("accuracy by learning_rate ·")
        term.keys("g")
        term.wait("[ ] seed")
        term.keys("Down", "Space")
        term.wait("[x] seed")
        term.keys("Enter")  # confirms
        screen = term.wait("accuracy by learning_rate, seed", timeout=30)
        assert "[x] seed" not in screen

        term.keys("?")
        term.wait("Help: Results")
        term.keys("End")
        term.wait("Command palette")
        term.keys("Escape", "Escape")  # the help, then the results
        term.wait("press r for the results")  # back on the sweep
    finally:
        term.kill()
