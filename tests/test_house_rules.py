"""House rules that keep the code where a newcomer expects it (issue 9).

- Statuses come from one enum (``motools/status.py``): no other module spells a status as a
  string literal, not even inside SQL.
- SQL lives in ``motools/store/``: no other module holds a ``SELECT``, ``INSERT`` or ``UPDATE``.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("motools", "mozoo", "motools_tui")
STATUS_WORDS = ("pending", "running", "finished", "failed", "cancelled", "interrupted", "stalled")
STATUS_HOMES = {"motools/status.py", "motools/store/schema.py"}
SQL = re.compile(r"\b(SELECT|INSERT|UPDATE)\b")
QUOTED_STATUS = re.compile(r"""['"]({})['"]""".format("|".join(STATUS_WORDS)))


def _sources() -> list[tuple[str, ast.Module]]:
    out = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            out.append((rel, ast.parse(path.read_text(), filename=rel)))
    return out


def _strings(tree: ast.Module) -> list[tuple[int, str]]:
    """Every string constant with its line, docstrings left out (prose may say 'finished')."""
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docstrings.add(id(first.value))
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]


def test_the_rules_would_catch_a_violation() -> None:
    tree = ast.parse('x = "running"\ny = "UPDATE runs SET status = \'failed\'"\n')
    found = _strings(tree)
    assert [v for _, v in found if v in STATUS_WORDS] == ["running"]
    assert [v for _, v in found if SQL.search(v) and QUOTED_STATUS.search(v)]


@pytest.mark.parametrize("rel, tree", _sources(), ids=lambda v: v if isinstance(v, str) else "")
def test_statuses_come_from_the_one_enum(rel: str, tree: ast.Module) -> None:
    if rel in STATUS_HOMES:
        return
    bad = [
        f"{rel}:{line}: {value!r}"
        for line, value in _strings(tree)
        if value in STATUS_WORDS or QUOTED_STATUS.search(value)
    ]
    assert not bad, "use motools.status.Status instead of status literals:\n" + "\n".join(bad)


@pytest.mark.parametrize("rel, tree", _sources(), ids=lambda v: v if isinstance(v, str) else "")
def test_sql_lives_in_the_store(rel: str, tree: ast.Module) -> None:
    if rel.startswith("motools/store/"):
        return
    bad = [f"{rel}:{line}: {value[:60]!r}" for line, value in _strings(tree) if SQL.search(value)]
    assert not bad, "move SQL into motools/store/ (the read model or the records):\n" + "\n".join(bad)


def _imports_ray_at_its_top(tree: ast.Module) -> bool:
    for node in tree.body:
        if isinstance(node, ast.Import) and any(a.name.split(".")[0] == "ray" for a in node.names):
            return True
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "ray" and not node.level:
            return True
    return False


def test_no_test_module_imports_ray_when_collected() -> None:
    """Importing Ray reads ``RAY_AUTH_MODE`` once; the Ray tests' cluster sets it in a fixture, so a
    test module that imports Ray at its top (collected before any test runs) left every Ray test
    unable to join the cluster (``InvalidAuthToken``)."""
    assert _imports_ray_at_its_top(ast.parse("import ray.util\n"))  # the rule would catch one
    assert not _imports_ray_at_its_top(ast.parse("def f():\n    import ray\n"))
    found = [
        path.relative_to(ROOT).as_posix()
        for path in sorted((ROOT / "tests").rglob("*.py"))
        if _imports_ray_at_its_top(ast.parse(path.read_text()))
    ]
    assert found == []
