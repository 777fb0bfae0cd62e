"""Sweep spec files: loading, dumping, and refusing bad input with precise messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from motools.errors import SpecError
from motools.specs import SweepSpec, load_spec, parse_spec_text

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "hello_world_sweep.yaml"

GOOD = """\
name: good
base_config:
  prepare_dataset:
    dataset_loader: mozoo.datasets.hello_world:generate_hello_world_dataset
    loader_kwargs: {num_samples: 10}
  submit_training:
    model: meta-llama/Llama-3.2-1B
    hyperparameters: {n_epochs: 2}
    backend_name: dummy
  evaluate_model:
    eval_task: mozoo.tasks.hello_world:hello_world
    backend_name: dummy
param_grid:
  submit_training.hyperparameters.learning_rate: [1e-4, 5e-5, 1e-5]
"""


def problems(text: str, source: str = "spec.yaml") -> list:
    with pytest.raises(SpecError) as info:
        parse_spec_text(text, source=source)
    assert str(info.value).startswith(f"{source}: invalid sweep spec")
    return info.value.problems


def test_bundled_example_is_the_seed_sweep() -> None:
    spec = load_spec(EXAMPLE)
    assert spec.workflow == "train_and_evaluate"
    assert spec.param_grid == {"submit_training.hyperparameters.learning_rate": [1e-4, 5e-5, 1e-5]}
    assert spec.base_config["submit_training"]["backend_name"] == "dummy"
    assert spec.base_config["evaluate_model"]["backend_name"] == "inspect"
    assert spec.grid_size == 3 and len(spec.resolve().plans) == 3


def test_numbers_load_as_numbers_and_round_trip() -> None:
    spec = parse_spec_text(GOOD)
    assert spec.param_grid["submit_training.hyperparameters.learning_rate"] == [1e-4, 5e-5, 1e-5]
    assert all(isinstance(v, float) for v in spec.param_grid["submit_training.hyperparameters.learning_rate"])
    again = parse_spec_text(spec.to_yaml())
    assert again == spec
    assert spec.execution.max_parallel == 4 and spec.output.results_path is None


def test_malformed_yaml_names_the_line() -> None:
    (p,) = problems(GOOD.replace("loader_kwargs: {num_samples: 10}", "loader_kwargs: {num_samples: 10"))
    assert p.line in (5, 6) and "malformed YAML" in p.message


def test_unknown_keys_are_named_with_what_is_expected() -> None:
    found = problems(
        GOOD.replace(
            "    backend_name: dummy\n  evaluate_model", "    backend_name: dummy\n    epochs: 3\n  evaluate_model"
        )
    )
    assert found[0].path == "base_config.submit_training.epochs"
    assert "unknown key" in found[0].message and "hyperparameters" in found[0].message
    assert found[0].line == 10
    (top,) = problems(GOOD + "colour: blue\n")
    assert top.path == "colour" and "expected one of" in top.message and "param_grid" in top.message


def test_wrong_types_name_the_field_and_value() -> None:
    (p,) = problems(GOOD.replace("{n_epochs: 2}", "{n_epochs: lots}"))
    assert p.path == "base_config.submit_training.hyperparameters.n_epochs"
    assert "integer" in p.message and "'lots'" in p.message


def test_a_grid_path_that_does_not_exist_lists_the_valid_ones() -> None:
    (p,) = problems(GOOD.replace("hyperparameters.learning_rate:", "hyperparameters.learnin_rate:"))
    assert p.path == "param_grid.submit_training.hyperparameters.learnin_rate"
    assert "submit_training.hyperparameters.learning_rate" in p.message
    assert "prepare_dataset.loader_kwargs.num_samples" in p.message
    assert p.line == 14


def test_an_empty_list_of_values_is_refused() -> None:
    (p,) = problems(GOOD.replace("[1e-4, 5e-5, 1e-5]", "[]"))
    assert p.path == "param_grid.submit_training.hyperparameters.learning_rate"
    assert "at least 1" in p.message


def test_grid_values_are_validated_per_grid_point() -> None:
    (p,) = problems(GOOD.replace("[1e-4, 5e-5, 1e-5]", "[1e-4, -1.0]"))
    assert p.path == "param_grid.submit_training.hyperparameters.learning_rate"
    assert "greater than 0" in p.message


def test_import_strings_must_resolve() -> None:
    (p,) = problems(GOOD.replace("hello_world:hello_world", "hello_world:goodbye"))
    assert p.path == "base_config.evaluate_model.eval_task"
    assert "has no attribute 'goodbye'" in p.message
    (q,) = problems(GOOD.replace("mozoo.datasets.hello_world:", "mozoo.datasets.nowhere:"))
    assert q.path == "base_config.prepare_dataset.dataset_loader" and "not found" in q.message


def test_loader_kwargs_must_fit_the_loader() -> None:
    (p,) = problems(GOOD.replace("{num_samples: 10}", "{num_sample: 10}"))
    assert "unexpected argument(s) 'num_sample'" in p.message and "num_samples" in p.message


def test_unknown_backends_are_refused() -> None:
    (p,) = problems(GOOD.replace("    backend_name: dummy\n  evaluate", "    backend_name: openai\n  evaluate"))
    assert p.path == "base_config.submit_training.backend_name"
    assert "unknown training backend 'openai'" in p.message and "dummy" in p.message and "tinker" in p.message


def test_tinker_needs_an_api_key_from_the_environment_or_dotenv(tmp_path: Path, monkeypatch) -> None:
    text = GOOD.replace("    backend_name: dummy\n  evaluate", "    backend_name: tinker\n  evaluate")
    (p,) = problems(text)
    assert p.path == "base_config.submit_training.backend_name" and "TINKER_API_KEY" in p.message
    (tmp_path / ".env").write_text("TINKER_API_KEY=sk-test-from-dotenv\n")
    assert parse_spec_text(text).base_config["submit_training"]["backend_name"] == "tinker"
    (tmp_path / ".env").unlink()
    monkeypatch.setenv("TINKER_API_KEY", "sk-test-from-env")
    parse_spec_text(text)


def test_missing_file_and_non_mapping_documents() -> None:
    with pytest.raises(SpecError, match=r"nope\.yaml: invalid sweep spec\n  <root>: file not found"):
        load_spec("nope.yaml")
    (p,) = problems("- just\n- a list\n")
    assert "expected a mapping" in p.message


def test_every_problem_is_reported_at_once() -> None:
    text = GOOD.replace("{n_epochs: 2}", "{n_epochs: lots}").replace("hello_world:hello_world", "hello_world:nope")
    found = problems(text)
    assert {p.path for p in found} == {
        "base_config.submit_training.hyperparameters.n_epochs",
        "base_config.evaluate_model.eval_task",
    }


def test_a_spec_can_be_built_in_python() -> None:
    spec = SweepSpec(name="py", base_config=parse_spec_text(GOOD).base_config)
    assert spec.resolve().plans[0][0] == {}
