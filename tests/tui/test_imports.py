"""The app's start path stays light: no heavy libraries until a screen needs them."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("pandas", "inspect_ai", "tinker", "matplotlib", "scipy", "sqlite_utils")


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))"],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_importing_the_app_imports_nothing_heavy() -> None:
    loaded = _modules_after("import motools_tui.app")
    heavy = sorted(m for m in loaded if m.split(".")[0] in HEAVY)
    assert heavy == []


def test_the_start_screen_imports_nothing_heavy() -> None:
    loaded = _modules_after(
        "import motools_tui.app\n"
        "from motools_tui.screens.specs import SpecsScreen\n"
        "app = motools_tui.app.MotoolsApp()\n"
    )
    heavy = sorted(m for m in loaded if m.split(".")[0] in (*HEAVY, "pydantic", "numpy"))
    assert heavy == []
