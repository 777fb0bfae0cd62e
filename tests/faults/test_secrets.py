"""Secrets stay secret: with TINKER_API_KEY set to a marker, a full sweep through the (fake) Tinker
SDK, its logs, exports and the app's screens never contain the marker."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from motools.cli import main
from motools.training import tinker_client
from motools.training.backends.tinker import TinkerTrainingBackend
from motools.training.base import register_training_backend
from tests.backends.fake_tinker import FakeTinker

MARKER = "tk-MARKER-7c1e9d-do-not-leak"

SPEC = """\
name: secret-sweep
base_config:
  prepare_dataset:
    dataset_loader: mozoo.datasets.hello_world:generate_hello_world_dataset
    loader_kwargs: {num_samples: 8}
  submit_training:
    model: meta-llama/Llama-3.2-1B
    backend_name: tinker
    hyperparameters: {n_epochs: 2, batch_size: 4, checkpoint_every: 1}
  evaluate_model:
    eval_task: mozoo.tasks.hello_world:hello_world
    backend_name: inspect
param_grid:
  submit_training.hyperparameters.learning_rate: [1e-4, 1e-5]
"""


@pytest.fixture
def fake_tinker(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeTinker]:
    monkeypatch.setenv("TINKER_API_KEY", MARKER)
    world = FakeTinker().install()
    register_training_backend("tinker", TinkerTrainingBackend(retry_base_s=0.01, max_attempts=3, client_timeout_s=5))
    yield world
    tinker_client.set_service_client_factory(None)
    register_training_backend("tinker", "motools.training.backends.tinker:TinkerTrainingBackend")


def files_containing(root: Path, needle: bytes) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and needle in p.read_bytes()]


def test_the_key_never_reaches_store_logs_or_exports(
    tmp_path: Path, isolated_home: Path, fake_tinker, capsys, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    logging.getLogger("motools").addHandler(caplog.handler)
    spec = tmp_path / "secret.yaml"
    spec.write_text(SPEC)
    assert main(["-v", "spec", "add", str(spec)]) == 0
    assert main(["-v", "sweep", "run", "secret-sweep", "--name", "s"]) == 0
    assert main(["sweep", "show", "s"]) == 0
    assert (
        main(
            [
                "sweep",
                "export",
                "s",
                "--csv",
                "out/r.csv",
                "--ci",
                "out/ci.csv",
                "--group",
                "learning_rate",
                "--png",
                "out/c.png",
                "--x",
                "learning_rate",
            ]
        )
        == 0
    )
    printed = capsys.readouterr()
    assert fake_tinker.api_keys and set(fake_tinker.api_keys) == {MARKER}

    needle = MARKER.encode()
    assert (isolated_home / "motools.db").exists() and list((isolated_home / "inspect_logs").glob("*.eval"))
    assert files_containing(isolated_home, needle) == []  # database, WAL, atoms, Inspect logs, worker logs
    assert files_containing(tmp_path / "out", needle) == []
    assert MARKER not in printed.out and MARKER not in printed.err
    assert MARKER not in caplog.text
