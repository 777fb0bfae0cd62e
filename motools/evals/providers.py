"""Inspect model providers that serve motools-trained models to a real Inspect evaluation.

- ``motools-simulated/<name>``: a ``dummy``-trained model, or (with no ``simulation`` model arg)
  the untrained base model ``<name>``. Not a language model: it answers each prompt with
  :func:`~motools.training.simulation.simulated_reply`, deterministically, so the ``dummy`` and
  ``inspect`` evaluations of a sweep agree. Model args: ``simulation`` (the dict from the model
  reference) and an optional ``latency_s`` per reply.
- ``motools-tinker/<sampler path>``: samples a Tinker checkpoint through
  :class:`~motools.evals.tinker_sampler.TinkerSampler`. Model arg: ``base_model``.

Importing this module imports ``inspect_ai`` and registers both providers; the inspect backend
does so lazily. :func:`inspect_model_spec` maps a motools model reference to an Inspect model.
"""

from __future__ import annotations

import asyncio
from typing import Any

from inspect_ai.model import (
    ChatMessage,
    ChatMessageUser,
    GenerateConfig,
    ModelAPI,
    ModelOutput,
    ModelUsage,
    modelapi,
)
from inspect_ai.tool import ToolChoice, ToolInfo

from motools.evals.tinker_sampler import TinkerSampler
from motools.training.simulation import SIMULATION_PREFIX, base_model_simulation, simulated_reply

SIMULATED_PROVIDER = "motools-simulated"
TINKER_PROVIDER = "motools-tinker"


def inspect_model_spec(model: dict[str, Any], options: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
    """The Inspect model name and model args that serve a motools model reference.

    ``options["latency_s"]`` becomes the simulated model's per-reply latency. A reference with
    ``inspect_model`` (or a model from another backend) is passed to Inspect as it is, so base
    models such as ``openai/gpt-4o-mini`` can be evaluated too.
    """
    options = options or {}
    if model.get("inspect_model"):
        return str(model["inspect_model"]), dict(model.get("inspect_model_args") or {})
    if model.get("simulated"):
        name = str(model["model"]).removeprefix(f"{SIMULATION_PREFIX}/")
        args: dict[str, Any] = {"simulation": dict(model["simulation"])}
        if float(options.get("latency_s") or 0) > 0:
            args["latency_s"] = float(options["latency_s"])
        return f"{SIMULATED_PROVIDER}/{name}", args
    if model.get("backend") == "tinker":
        return f"{TINKER_PROVIDER}/{model['model']}", {"base_model": model.get("base_model")}
    if model.get("backend") == "dummy":
        raise ValueError(f"model {model.get('model')!r} is from the dummy backend but carries no simulation")
    return str(model["model"]), {}


def prompt_text(messages: list[ChatMessage]) -> str:
    """The last user turn (what ``motools.evals.tasks`` calls a sample's prompt)."""
    for m in reversed(messages):
        if isinstance(m, ChatMessageUser):
            return m.text
    return messages[-1].text if messages else ""


def _usage(input_tokens: int, output_tokens: int) -> ModelUsage:
    return ModelUsage(input_tokens=input_tokens, output_tokens=output_tokens, total_tokens=input_tokens + output_tokens)


@modelapi(name=SIMULATED_PROVIDER)
class SimulatedModelAPI(ModelAPI):
    """A simulated fine-tuned model (no weights, no network, no tokenizer download)."""

    def __init__(
        self,
        model_name: str,
        base_url: str | None = None,
        api_key: str | None = None,
        config: GenerateConfig = GenerateConfig(),  # noqa: B008 - Inspect's ModelAPI signature
        *,
        simulation: dict[str, Any] | None = None,
        latency_s: float = 0.0,
        **_: Any,
    ) -> None:
        super().__init__(model_name, base_url, api_key, [], config)
        # Without a simulation (``--model motools-simulated/Llama-3.2-1B``): the untrained base model.
        self.simulation = simulation or base_model_simulation(model_name)
        self.latency_s = float(latency_s)

    async def generate(
        self, input: list[ChatMessage], tools: list[ToolInfo], tool_choice: ToolChoice, config: GenerateConfig
    ) -> ModelOutput:
        if self.latency_s > 0:
            await asyncio.sleep(self.latency_s)
        prompt = prompt_text(input)
        reply = simulated_reply(self.simulation, prompt)
        output = ModelOutput.from_content(self.model_name, reply)
        output.usage = _usage(len(prompt) // 4 + 1, len(reply) // 4 + 1)
        return output

    async def count_text_tokens(self, text: str) -> int:
        return len(text) // 4 + 1  # the default uses tiktoken, which downloads its encoding

    def max_connections(self) -> int:
        return 256

    def connection_key(self) -> str:
        return self.model_name  # each simulated model has its own pool


@modelapi(name=TINKER_PROVIDER)
class TinkerModelAPI(ModelAPI):
    """A Tinker checkpoint (``model_name`` is its sampler path, ``tinker://...``)."""

    def __init__(
        self,
        model_name: str,
        base_url: str | None = None,
        api_key: str | None = None,
        config: GenerateConfig = GenerateConfig(),  # noqa: B008 - Inspect's ModelAPI signature
        *,
        base_model: str | None = None,
        **_: Any,
    ) -> None:
        super().__init__(model_name, base_url, api_key, [], config)
        path = model_name if model_name.startswith("tinker://") else None
        self.sampler = TinkerSampler(path, base_model=base_model if path else (base_model or model_name))

    async def generate(
        self, input: list[ChatMessage], tools: list[ToolInfo], tool_choice: ToolChoice, config: GenerateConfig
    ) -> ModelOutput:
        messages = [{"role": m.role, "content": m.text} for m in input]
        done = await self.sampler.complete(
            messages,
            max_tokens=config.max_tokens,
            temperature=config.temperature,
            top_p=config.top_p,
            top_k=config.top_k,
            seed=config.seed,
            stop=config.stop_seqs or (),
        )
        output = ModelOutput.from_content(self.model_name, done.text, stop_reason=done.stop_reason)  # type: ignore[arg-type]  # a plain str of Inspect's StopReason literals
        output.usage = _usage(done.input_tokens, done.output_tokens)
        return output

    async def count_text_tokens(self, text: str) -> int:
        return await self.sampler.count_tokens(text)

    def max_connections(self) -> int:
        return 32

    def should_retry(self, ex: Exception) -> bool:
        from motools.training.backends.tinker import is_retryable

        return is_retryable(ex)
