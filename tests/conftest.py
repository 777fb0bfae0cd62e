"""Every test gets its own store and working directory; nothing touches the repo's .motools."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("TINKER_TELEMETRY", "0")
os.environ.setdefault("INSPECT_DISPLAY", "none")


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / ".motools"
    monkeypatch.setenv("MOTOOLS_HOME", str(home))
    monkeypatch.delenv("TINKER_API_KEY", raising=False)
    monkeypatch.chdir(tmp_path)
    return home


@pytest.fixture
def store(isolated_home: Path):
    from motools.store import Store

    s = Store(isolated_home)
    yield s
    s.close()
