"""Chat completions from a Tinker checkpoint, independent of Inspect.

The prompt is rendered with the base model's own chat template (the tokenizer the Tinker client
provides), sampled through a ``SamplingClient`` and decoded with the same tokenizer, stopping at
end-of-sequence or end-of-turn tokens. Clients come from :mod:`motools.training.tinker_client`,
so tests drive this with a fake SDK.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from motools.training import tinker_client as tc

DEFAULT_MAX_TOKENS = 512


@dataclass(frozen=True)
class Completion:
    text: str
    stop_reason: str  # "stop" or "max_tokens"
    input_tokens: int
    output_tokens: int


class TinkerSampler:
    """Samples replies from ``model_path`` (sampler weights) or, without one, from ``base_model``."""

    def __init__(
        self, model_path: str | None, base_model: str | None = None, client_timeout_s: float = tc.CLIENT_TIMEOUT_S
    ):
        if not model_path and not base_model:
            raise ValueError("TinkerSampler needs a model_path or a base_model")
        self.model_path = model_path
        self.base_model = base_model
        self.client_timeout_s = client_timeout_s
        self._client: Any = None
        self._tokenizer: Any = None
        self._stops: list[int] = []
        self._lock: asyncio.Lock | None = None

    async def _ready(self) -> None:
        if self._client is not None:
            return
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._client is not None:
                return
            service = await tc.create_service_client(self.client_timeout_s)
            target = {"model_path": self.model_path} if self.model_path else {"base_model": self.base_model}
            client = await tc.submit(service.create_sampling_client, **target, timeout=self.client_timeout_s)
            self._tokenizer = await tc.run_blocking(client.get_tokenizer, timeout=self.client_timeout_s)
            self._stops = tc.stop_token_ids(self._tokenizer)
            self._client = client

    async def count_tokens(self, text: str) -> int:
        await self._ready()
        return len(self._tokenizer.encode(text, add_special_tokens=False))

    async def complete(
        self,
        messages: Sequence[dict[str, str]],
        *,
        max_tokens: int | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        top_k: int | None = None,
        seed: int | None = None,
        stop: Sequence[str] = (),
    ) -> Completion:
        from tinker import types

        await self._ready()
        prompt = tc.render_tokens(self._tokenizer, messages, add_generation_prompt=True)
        params = types.SamplingParams(
            max_tokens=max_tokens or DEFAULT_MAX_TOKENS,
            temperature=1.0 if temperature is None else temperature,
            top_p=1.0 if top_p is None else top_p,
            top_k=-1 if top_k is None else top_k,
            seed=seed,
            stop=self._stops or None,
        )
        response = await tc.submit(
            self._client.sample, prompt=types.ModelInput.from_ints(prompt), num_samples=1, sampling_params=params
        )
        seq = response.sequences[0]
        tokens = list(seq.tokens)
        cut = next((i for i, t in enumerate(tokens) if t in self._stops), None)
        text = self._tokenizer.decode(tokens[:cut], skip_special_tokens=True)
        stopped = cut is not None or seq.stop_reason == "stop"
        for s in stop:
            if s and s in text:
                text, stopped = text[: text.index(s)], True
        return Completion(text, "stop" if stopped else "max_tokens", len(prompt), len(tokens))
