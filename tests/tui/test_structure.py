"""The app's structure (issue 9): screens stand alone, the app reads no screen internals, the
headless core imports no textual, one widget per file."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest
from textual.app import App
from textual.screen import Screen

PKG = Path(__file__).resolve().parents[2] / "motools_tui"
UI = sorted(p for d in ("screens", "components", "modals") for p in (PKG / d).glob("*.py"))
APP_HOOKS = {"quit_guard"}  # what a screen may offer the app (the editor: unsaved changes)


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), filename=str(path))


def _app_attributes(tree: ast.Module) -> list[tuple[int, str]]:
    """``(line, name)`` of every ``<something>.app.<name>``."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute) and node.value.attr == "app":
            out.append((node.lineno, node.attr))
    return out


def test_the_check_would_catch_a_screen_reading_the_app() -> None:
    tree = ast.parse("self.app.list_watcher('x')\nself.app.push_screen(s)\n")
    assert [n for _, n in _app_attributes(tree) if not hasattr(App, n)] == ["list_watcher"]


@pytest.mark.parametrize("path", UI, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_screens_use_only_textuals_app_api(path: Path) -> None:
    tree = _tree(path)
    source = path.read_text()
    assert "mapp" not in source and "motools_tui.app" not in source
    bad = [f"{path.name}:{line}: app.{name}" for line, name in _app_attributes(tree) if not hasattr(App, name)]
    bad += [f"{path.name}:{line}: app.{name}" for line, name in _app_attributes(tree) if name.startswith("_")]
    assert not bad, "screens get their context and send messages; they do not reach into the app:\n" + "\n".join(bad)


def test_the_app_reads_no_screen_internals() -> None:
    tree = _tree(PKG / "app.py")
    bad = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute):
            continue
        owner = node.value
        is_screen = (isinstance(owner, ast.Name) and owner.id == "screen") or (
            isinstance(owner, ast.Attribute) and owner.attr == "screen"
        )
        if is_screen and not hasattr(Screen, node.attr) and node.attr not in APP_HOOKS:
            bad.append(f"app.py:{node.lineno}: screen.{node.attr}")
    assert not bad, "\n".join(bad)


def test_the_core_imports_no_textual() -> None:
    modules = [f"motools_tui.core.{p.stem}" for p in sorted((PKG / "core").glob("*.py")) if p.stem != "__init__"]
    code = "import sys, json\n" + "".join(f"import {m}\n" for m in modules)
    code += "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich'))))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


@pytest.mark.parametrize("path", sorted((PKG / "components").glob("*.py")), ids=lambda p: p.name)
def test_one_widget_per_component_file(path: Path) -> None:
    classes = [n for n in _tree(path).body if isinstance(n, ast.ClassDef) and n.bases]
    widgets = [c.name for c in classes if not any(getattr(b, "id", "") in ("Message",) for b in c.bases)]
    assert len(widgets) <= 1, widgets
