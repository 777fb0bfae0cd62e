"""Garbage in: generated and mutated spec documents give a clear error or a valid spec, never a
traceback, and a refused `motools spec add` leaves the store byte for byte as it was."""

from __future__ import annotations

import copy
import hashlib
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from motools.cli import main
from motools.errors import SpecError
from motools.specs import SweepSpec, parse_spec_text
from motools.yamlio import load_yaml
from tests.faults.support import LONG

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "hello_world_sweep.yaml"
VALID: dict[str, Any] = load_yaml(EXAMPLE.read_text())
MANY = 3000 if LONG else 1000

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["dummy", "tinker", "inspect", "1e-4", "mozoo.x:y", "a:b", "", "🙂"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)),
    max_leaves=12,
)


def paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out += paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += paths(v, (*prefix, i))
    return out


ALL_PATHS = [p for p in paths(VALID) if p]


@st.composite
def mutated(draw: st.DrawFn) -> Any:
    doc = copy.deepcopy(VALID)
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(ALL_PATHS))
        parent: Any = doc
        try:
            for part in path[:-1]:
                parent = parent[part]
            action = draw(st.sampled_from(["replace", "delete", "add"]))
            if action == "replace":
                parent[path[-1]] = draw(values)
            elif action == "delete" and isinstance(parent, dict):
                parent.pop(path[-1], None)
            elif isinstance(parent, dict):
                parent[draw(st.text(max_size=10))] = draw(values)
        except (KeyError, IndexError, TypeError):
            pass
    return doc


def dumped(doc: Any) -> str:
    try:
        return yaml.safe_dump(doc, allow_unicode=True)
    except yaml.YAMLError:
        return repr(doc)


def check(text: str) -> None:
    try:
        spec = parse_spec_text(text, source="fuzz.yaml")
    except SpecError as exc:
        assert exc.problems and str(exc).startswith("fuzz.yaml: invalid sweep spec")
        for p in exc.problems:
            assert isinstance(p.path, str) and p.message
        return
    assert isinstance(spec, SweepSpec)


@settings(max_examples=MANY, deadline=None, suppress_health_check=list(HealthCheck))
@given(mutated())
def test_mutated_specs_are_valid_or_clearly_refused(doc: Any) -> None:
    check(dumped(doc))


@settings(max_examples=MANY // 2, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.one_of(st.text(max_size=300), values.map(dumped)))
def test_arbitrary_documents_are_valid_or_clearly_refused(text: str) -> None:
    check(text)


@settings(max_examples=MANY // 2, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.binary(max_size=200), st.integers(0, 2000))
def test_corrupted_bytes_are_refused(noise: bytes, at: int) -> None:
    raw = EXAMPLE.read_bytes()
    at = min(at, len(raw))
    check((raw[:at] + noise + raw[at:]).decode("utf-8", errors="replace"))


def digest(path: Path) -> str:
    """A checksum of the store's content (every row of every table), as SQL text."""
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        return hashlib.sha256("\n".join(conn.iterdump()).encode()).hexdigest()
    finally:
        conn.close()


def test_spec_add_refusals_leave_the_store_unchanged(tmp_path: Path, store, capsys) -> None:
    assert main(["spec", "add", str(EXAMPLE)]) == 0
    capsys.readouterr()
    before = digest(store.db_path)
    raw_before = store.db_path.read_bytes()
    spec_file = tmp_path / "fuzz.yaml"
    seen = {"refused": 0, "saved": 0}
    state = {"before": before}

    @settings(max_examples=MANY // 5, deadline=None, suppress_health_check=list(HealthCheck))
    @given(mutated())
    def add(doc: Any) -> None:
        if isinstance(doc, dict):
            doc["name"] = "fuzzed"  # never collides with the saved one
        spec_file.write_text(dumped(doc))
        code = main(["spec", "add", str(spec_file), "--force"])
        captured = capsys.readouterr()
        assert code in (0, 2) and "Traceback" not in captured.err
        if code == 2:
            assert "invalid sweep spec" in captured.err or "error:" in captured.err
            seen["refused"] += 1
            assert digest(store.db_path) == state["before"]
        else:
            seen["saved"] += 1
            store.delete_spec("fuzzed")
            state["before"] = digest(store.db_path)

    add()
    assert seen["refused"] > 0
    if seen["saved"] == 0:  # nothing was ever accepted: not one byte of the file changed
        assert store.db_path.read_bytes() == raw_before


# -- hostile shapes (issue 11): aliases, depth and size ------------------------------------------
EXAMPLE_TEXT = EXAMPLE.read_text()


@st.composite
def alias_chains(draw: st.DrawFn) -> str:
    """Anchors referring to anchors, ``width`` wide and ``levels`` deep, under loader_kwargs:
    small ones are valid specs (unknown loader arguments aside), big ones alias bombs."""
    width = draw(st.integers(1, 12))
    levels = draw(st.integers(1, 12))
    leaf = draw(st.sampled_from(['"lol"', "1", "{k: v}", "[1, 2]"]))
    lines = [f"a0: &a0 [{', '.join([leaf] * width)}]"]
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]")
    block = "\n".join("      " + line for line in lines)
    return EXAMPLE_TEXT.replace("    loader_kwargs:\n      num_samples: 100", "    loader_kwargs:\n" + block)


@settings(max_examples=MANY // 5, deadline=None, suppress_health_check=list(HealthCheck))
@given(alias_chains())
def test_alias_chains_are_valid_or_refused(text: str) -> None:
    check(text)


@settings(max_examples=MANY // 10, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.integers(1, 2000), st.sampled_from(["[", "{a: "]), st.booleans())
def test_deep_nesting_is_valid_or_refused(depth: int, opener: str, block: bool) -> None:
    closer = "]" if opener == "[" else "}"
    if block:  # block style: one level per line
        value = "".join("\n" + "  " * (i + 4) + "- " for i in range(min(depth, 300))) + "1"
    else:
        value = opener * depth + "1" + closer * depth
    check(EXAMPLE_TEXT.replace("      num_samples: 100", "      num_samples: 100\n      x: " + value))


@settings(max_examples=MANY // 20, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.integers(0, 1_200_000), st.sampled_from(["string", "comment", "list"]))
def test_big_documents_are_valid_or_refused(size: int, where: str) -> None:
    if where == "string":
        text = EXAMPLE_TEXT.replace("suffix: sweep", "suffix: " + "s" * size)
    elif where == "comment":
        text = EXAMPLE_TEXT + "#" + "c" * size + "\n"
    else:
        text = EXAMPLE_TEXT.replace(
            "      num_samples: 100", "      num_samples: 100\n      x: [" + "1," * (size // 2) + "1]"
        )
    check(text)
