"""Issue 11, point 9: a spec value that looks like an API key is refused where specs come in
(spec add, sweep run FILE, the app's import and editor), pointing to the environment and
``.env``; nothing is saved, and the key is never echoed back."""

from __future__ import annotations

from pathlib import Path

import pytest

from motools.cli import main
from motools.errors import SpecError
from motools.secrets import looks_secret
from motools.specs import parse_spec_text
from tests.faults.support import SPEC

KEY = "sk-proj-Q3v9xL0aB7mN2pR5tW8yZ1cD4fG6hJ"


def spec_with(**replace: str) -> str:
    text = SPEC.format(
        name="leaky", latency=0, lrs=[1e-5], seeds=[0], parallel=1, transient=0, permanent=0, retries=0, backoff=0
    )
    for old, new in replace.items():
        text = text.replace(old, new)
    return text


@pytest.mark.parametrize(
    "where, path",
    [
        ("loader_kwargs: {num_samples: 20}", "base_config.prepare_dataset.loader_kwargs.api_key"),
        ("backend_name: dummy\n    latency_s", "base_config.submit_training.suffix"),
    ],
)
def test_keys_in_specs_are_refused_and_never_echoed(tmp_path: Path, store, capsys, where: str, path: str) -> None:
    if "loader_kwargs" in where:
        text = spec_with(**{where: f"loader_kwargs: {{num_samples: 20, api_key: '{KEY}'}}"})
    else:
        text = spec_with(**{where: f"backend_name: dummy\n    suffix: {KEY}\n    latency_s"})
    spec = tmp_path / "spec.yaml"
    spec.write_text(text)
    for args in (["spec", "add", str(spec)], ["sweep", "run", str(spec), "--quiet"]):
        assert main(args) == 2
        captured = capsys.readouterr()
        assert path in captured.err and "environment" in captured.err and ".env" in captured.err
        assert KEY not in captured.err + captured.out
    with pytest.raises(SpecError):
        parse_spec_text(text)  # the app's editor
    assert store.list_specs() == [] and store.list_sweeps() == []
    assert KEY.encode() not in store.db_path.read_bytes()


def test_looks_secret() -> None:
    assert looks_secret("anything", KEY)
    assert looks_secret("note", "tk-9a8b7c6d5e4f3a2b1c0d9e8f")
    assert looks_secret("api_key", "AbCdEf1234567890AbCdEf12")
    assert looks_secret("OPENAI_API_KEY", "x9Y8z7W6v5U4t3S2r1Q0p9O8")
    assert looks_secret("hfToken", "hf_abcdefghijklmnopqrstuvwxyz12")
    assert looks_secret("client_secret", "Zk29Xc02nA81Lq0pWm3nB7vX")
    # not secrets: model names, tokenizer names, numbers, prose, short values
    assert not looks_secret("model", "meta-llama/Llama-3.2-1B")
    assert not looks_secret("tokenizer", "meta-llama/Llama-3.2-1B-Instruct")
    assert not looks_secret("max_tokens", "1234567890123456789012")
    assert not looks_secret("prompt", "use sk-learn-compatible-estimators please")
    assert not looks_secret("api_key", "short")
    assert not looks_secret("api_key", 12345)
    assert not looks_secret("sort_key", "accuracy")
