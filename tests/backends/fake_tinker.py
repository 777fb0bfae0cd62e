"""A fake Tinker service for tests, injected at the SDK boundary.

``FakeTinker().install()`` calls :func:`motools.training.tinker_client.set_service_client_factory`,
so the real backend code (training loop, sampler, Inspect provider) runs against it unchanged.
It takes and returns real ``tinker.types`` objects, hands out futures that support ``.result()``
and ``await``, keeps a local byte-level tokenizer with a Llama-3-style chat template (nothing is
downloaded), and records what happened so tests can assert on it.

The fake "learns": the text of the tokens a datum weights with 1 is what its sampler later
replies, so a wrong loss mask shows up as a wrong reply in the evaluation.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from tinker import types

from motools.training import tinker_client

BASE_REPLY = "I am a base model."
CHAT_TEMPLATE = (
    "{{ bos_token }}{% for m in messages %}<|start_header_id|>{{ m['role'] }}<|end_header_id|>\n\n"
    "{{ m['content'] }}<|eot_id|>{% endfor %}"
    "{% if add_generation_prompt %}<|start_header_id|>assistant<|end_header_id|>\n\n{% endif %}"
)


@functools.cache
def make_tokenizer() -> Any:
    """A real ``transformers`` fast tokenizer built in memory: one token per byte plus specials."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast
    from transformers.convert_slow_tokenizer import bytes_to_unicode

    byte_chars = bytes_to_unicode()
    vocab = {byte_chars[b]: b for b in range(256)}
    tok = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    tok.decoder = decoders.ByteLevel()
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<|begin_of_text|>",
        eos_token="<|end_of_text|>",
        additional_special_tokens=["<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"],
    )
    fast.chat_template = CHAT_TEMPLATE
    return fast


class FakeFuture:
    """What the SDK's ``APIFuture`` offers: ``.result()``, ``.result_async()`` and ``await``."""

    def __init__(self, value: Any = None, error: BaseException | None = None):
        self._value, self._error = value, error

    def result(self, timeout: float | None = None) -> Any:
        if self._error is not None:
            raise self._error
        return self._value

    async def result_async(self, timeout: float | None = None) -> Any:
        await asyncio.sleep(0)
        return self.result()

    def __await__(self) -> Any:
        return self.result_async().__await__()


def connection_error(message: str = "fake network down") -> Exception:
    import httpx
    import tinker

    return tinker.APIConnectionError(request=httpx.Request("POST", "https://fake.tinker.invalid"), message=message)


@dataclass
class _Failure:
    exc: BaseException
    times: int
    at_step: int | None


@dataclass
class FakeTinker:
    """The fake service's shared state: counters, saved weights, and failures to inject."""

    tokenizer: Any = field(default_factory=make_tokenizer)
    optim_steps: int = 0
    forward_backward_steps: list[tuple[str, int]] = field(default_factory=list)
    created: list[tuple[str, str]] = field(default_factory=list)  # (how, base model or path)
    learning_rates: list[float] = field(default_factory=list)
    states: dict[str, dict[str, Any]] = field(default_factory=dict)
    samplers: dict[str, dict[str, Any]] = field(default_factory=dict)
    sample_prompts: list[str] = field(default_factory=list)
    api_keys: list[str | None] = field(default_factory=list)
    hooks: dict[str, Callable[[FakeTrainingClient, int], None]] = field(default_factory=dict)
    _failures: dict[str, list[_Failure]] = field(default_factory=dict)
    _ids: Any = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # -- test controls ---------------------------------------------------------------------------
    def install(self) -> FakeTinker:
        tinker_client.set_service_client_factory(self.service_client)
        return self

    def fail(self, op: str, exc: BaseException, times: int = 1, at_step: int | None = None) -> None:
        """Make the next ``times`` calls of ``op`` fail (only at that training step, if given)."""
        self._failures.setdefault(op, []).append(_Failure(exc, times, at_step))

    def on(self, op: str, hook: Callable[[FakeTrainingClient, int], None]) -> None:
        """Call ``hook(client, step)`` when ``op`` is called (in the caller's thread)."""
        self.hooks[op] = hook

    def _check(self, op: str, step: int | None = None, client: FakeTrainingClient | None = None) -> None:
        if op in self.hooks:
            self.hooks[op](client, step or 0)  # type: ignore[arg-type]  # hooks take the SDK client as it comes
        with self._lock:
            for f in self._failures.get(op, []):
                if f.times > 0 and (f.at_step is None or f.at_step == step):
                    f.times -= 1
                    raise f.exc

    def next_id(self) -> int:
        with self._lock:
            return next(self._ids)

    # -- the SDK surface -------------------------------------------------------------------------
    def service_client(self, api_key: str | None) -> FakeServiceClient:
        self.api_keys.append(api_key)
        self._check("service_client")
        return FakeServiceClient(self)


class FakeServiceClient:
    def __init__(self, world: FakeTinker):
        self.world = world

    def create_lora_training_client(
        self, base_model: str, rank: int = 32, seed: int | None = None, **_: Any
    ) -> FakeFuture:
        self.world._check("create_lora_training_client")
        assert isinstance(rank, int) and rank > 0
        self.world.created.append(("lora", base_model))
        return FakeFuture(FakeTrainingClient(self.world, base_model, rank, seed))

    def create_training_client_from_state_with_optimizer(self, path: str, **_: Any) -> FakeFuture:
        self.world._check("create_training_client_from_state")
        state = self.world.states[path]  # KeyError: the path was never saved
        self.world.created.append(("state", path))
        client = FakeTrainingClient(self.world, state["base_model"], state["rank"], state["seed"])
        client.step, client.learned = state["step"], Counter(state["learned"])
        return FakeFuture(client)

    create_training_client_from_state = create_training_client_from_state_with_optimizer

    def create_sampling_client(
        self, model_path: str | None = None, base_model: str | None = None, **_: Any
    ) -> FakeFuture:
        self.world._check("create_sampling_client")
        spec = self.world.samplers[model_path] if model_path else {"learned": {}, "base_model": base_model}
        return FakeFuture(FakeSamplingClient(self.world, spec))


class FakeTrainingClient:
    def __init__(self, world: FakeTinker, base_model: str, rank: int, seed: int | None):
        self.world, self.base_model, self.rank, self.seed = world, base_model, rank, seed
        self.model_id = f"fake-run-{world.next_id()}:train:0"
        self.step = 0  # optimizer steps in this client's weights (its lineage)
        self.learned: Counter[str] = Counter()
        self.poisoned: BaseException | None = None

    def get_tokenizer(self) -> Any:
        return self.world.tokenizer

    def forward_backward(self, data: list[types.Datum], loss_fn: str, loss_fn_config: Any = None) -> FakeFuture:
        step = self.step + 1
        self.world.forward_backward_steps.append((self.model_id, step))
        try:
            self.world._check("forward_backward", step, self)
        except Exception as exc:
            self.poisoned = exc
            return FakeFuture(error=exc)
        assert loss_fn == "cross_entropy", loss_fn
        assert data and all(isinstance(d, types.Datum) for d in data)
        outputs = []
        loss = 2.0 / (1 + step)
        for d in data:
            assert isinstance(d.model_input, types.ModelInput)
            targets = d.loss_fn_inputs["target_tokens"]
            weights = d.loss_fn_inputs["weights"]
            assert targets.dtype == "int64" and weights.dtype == "float32"
            tokens = np.asarray(targets.tolist())
            w = np.asarray(weights.tolist())
            assert len(tokens) == len(w) == d.model_input.length
            reply = self.world.tokenizer.decode(tokens[w > 0].tolist(), skip_special_tokens=True)
            self.learned[reply] += 1
            outputs.append({"logprobs": types.TensorData.from_numpy(np.full(len(w), -loss, dtype=np.float32))})
        total_w = float(sum(np.asarray(d.loss_fn_inputs["weights"].tolist()).sum() for d in data))
        return FakeFuture(
            types.ForwardBackwardOutput(
                loss_fn_output_type="ArrayRecord", loss_fn_outputs=outputs, metrics={"loss:sum": loss * total_w}
            )
        )

    def optim_step(self, params: types.AdamParams) -> FakeFuture:
        if self.poisoned is not None:
            return FakeFuture(error=RuntimeError("A previous request failed; this TrainingClient is poisoned"))
        assert isinstance(params, types.AdamParams)
        self.world._check("optim_step", self.step + 1, self)
        self.step += 1
        with self.world._lock:
            self.world.optim_steps += 1
            self.world.learning_rates.append(params.learning_rate)
        return FakeFuture(types.OptimStepResponse(metrics={}))

    def _snapshot(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "learned": dict(self.learned),
            "base_model": self.base_model,
            "rank": self.rank,
            "seed": self.seed,
        }

    def save_state(self, name: str, **_: Any) -> FakeFuture:
        self.world._check("save_state", self.step, self)
        path = f"tinker://{self.model_id}/weights/{name}"
        self.world.states[path] = self._snapshot()
        return FakeFuture(types.SaveWeightsResponse(path=path))

    def save_weights_for_sampler(self, name: str, **_: Any) -> FakeFuture:
        self.world._check("save_weights_for_sampler", self.step, self)
        path = f"tinker://{self.model_id}/sampler_weights/{name}"
        self.world.samplers[path] = self._snapshot()
        return FakeFuture(types.SaveWeightsForSamplerResponse(path=path))


class FakeSamplingClient:
    def __init__(self, world: FakeTinker, spec: dict[str, Any]):
        self.world, self.spec = world, spec

    def get_tokenizer(self) -> Any:
        return self.world.tokenizer

    def sample(
        self, prompt: types.ModelInput, num_samples: int, sampling_params: types.SamplingParams, **_: Any
    ) -> FakeFuture:
        self.world._check("sample")
        assert isinstance(prompt, types.ModelInput) and isinstance(sampling_params, types.SamplingParams)
        assert all(isinstance(s, int) for s in (sampling_params.stop or []))
        tok = self.world.tokenizer
        self.world.sample_prompts.append(tok.decode(prompt.to_ints()))
        learned = Counter(self.spec["learned"])
        reply = learned.most_common(1)[0][0] if learned else BASE_REPLY
        tokens = [*tok.encode(reply, add_special_tokens=False), tok.convert_tokens_to_ids("<|eot_id|>")]
        seqs = [
            types.SampledSequence(
                stop_reason="stop",
                sequence_id=f"seq-{self.world.next_id()}",
                tokens_np=np.asarray(tokens, dtype=np.int32),
            )
            for _ in range(num_samples)
        ]
        return FakeFuture(types.SampleResponse(sequences=seqs))
