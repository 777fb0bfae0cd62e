"""The Tinker SDK boundary: how clients are made, how blocking SDK calls run, how chats become tokens.

Everything that touches the real ``tinker`` package goes through :func:`create_service_client`
and :func:`run_blocking`, so tests swap the SDK for a fake with one call::

    from motools.training.tinker_client import set_service_client_factory
    set_service_client_factory(lambda api_key: FakeServiceClient())  # None restores the SDK

The rest of the code path (training loop, sampler, Inspect provider) runs unchanged on the fake.
``tinker`` itself is imported only when a real client is made, so ``import motools`` and spec
validation stay fast.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from motools.errors import MotoolsError
from motools.secrets import get_secret

T = TypeVar("T")
API_KEY_ENV = "TINKER_API_KEY"
CLIENT_TIMEOUT_S = 120.0

ServiceClientFactory = Callable[[str | None], Any]
"""Makes a ``tinker.ServiceClient``-like object from an API key (``None`` when unset)."""


def _sdk_factory(api_key: str | None) -> Any:
    import tinker

    if not api_key:
        raise MotoolsError(f"{API_KEY_ENV} is not set (environment or .env); the tinker backend needs it")
    return tinker.ServiceClient(api_key=api_key)


_factory: ServiceClientFactory = _sdk_factory


def set_service_client_factory(factory: ServiceClientFactory | None) -> None:
    """Replace how Tinker service clients are made (tests inject fakes); ``None`` restores the SDK."""
    global _factory
    _factory = factory or _sdk_factory


def uses_real_sdk() -> bool:
    return _factory is _sdk_factory


def _settle(future: asyncio.Future[Any], value: Any, error: BaseException | None) -> None:
    if future.done():  # timed out or cancelled meanwhile
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(value)


async def run_blocking(fn: Callable[..., T], *args: Any, timeout: float | None = None, **kwargs: Any) -> T:
    """Run a possibly blocking SDK call off the event loop, giving up after ``timeout`` seconds.

    Each call gets a daemon thread of its own: a call that hangs (no network) then neither starves
    the loop's shared thread pool, which the store uses, nor holds up interpreter exit. On
    timeout the thread is abandoned (Python cannot stop it) and ``TimeoutError`` is raised.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def work() -> None:
        try:
            value, error = fn(*args, **kwargs), None
        except BaseException as exc:  # handed to the awaiting coroutine
            value, error = None, exc
        try:
            loop.call_soon_threadsafe(_settle, future, value, error)
        except RuntimeError:  # the loop closed while the call hung
            pass

    threading.Thread(target=work, name="motools-tinker-call", daemon=True).start()
    return await asyncio.wait_for(future, timeout)


async def create_service_client(timeout: float = CLIENT_TIMEOUT_S) -> Any:
    """A service client from the current factory, made in a thread with a timeout."""
    return await run_blocking(_factory, get_secret(API_KEY_ENV), timeout=timeout)


async def resolve(future: Any, timeout: float | None = None) -> Any:
    """Await an SDK future (``APIFuture`` or client future); plain values pass through."""
    if hasattr(future, "__await__"):
        return await asyncio.wait_for(_await(future), timeout)
    return future


async def _await(future: Any) -> Any:
    return await future


async def submit(fn: Callable[..., Any], *args: Any, timeout: float | None = None, **kwargs: Any) -> Any:
    """Call an SDK method that returns a future (in a thread: the first call may open a session),
    then await the future."""
    future = await run_blocking(fn, *args, timeout=timeout, **kwargs)
    return await resolve(future, timeout)


# -- chat rendering ------------------------------------------------------------------------------
# Tinker's renderers (tinker_cookbook) are not a dependency: the base model's own tokenizer chat
# template is used, rendered to text and then encoded, which works across transformers versions.

_END_OF_TURN_TOKENS = ("<|eot_id|>", "<|im_end|>", "<end_of_turn>", "<|end|>", "<|endoftext|>")


def _plain_text(messages: Sequence[dict[str, str]], add_generation_prompt: bool, eos: str) -> str:
    """Fallback for tokenizers without a chat template."""
    parts = [f"{m['role'].capitalize()}: {m['content']}{eos if m['role'] == 'assistant' else ''}\n\n" for m in messages]
    return "".join(parts) + ("Assistant:" if add_generation_prompt else "")


def render_tokens(tokenizer: Any, messages: Sequence[dict[str, str]], add_generation_prompt: bool) -> list[int]:
    """Token ids of a chat as the model sees it (its chat template, special tokens included)."""
    msgs = [{"role": m["role"], "content": m["content"]} for m in messages]
    if getattr(tokenizer, "chat_template", None):
        text = tokenizer.apply_chat_template(msgs, tokenize=False, add_generation_prompt=add_generation_prompt)
        return list(tokenizer.encode(text, add_special_tokens=False))
    text = _plain_text(msgs, add_generation_prompt, getattr(tokenizer, "eos_token", None) or "")
    bos = getattr(tokenizer, "bos_token_id", None)
    return ([bos] if bos is not None else []) + list(tokenizer.encode(text, add_special_tokens=False))


def _common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    n = min(len(a), len(b))
    for i in range(n):
        if a[i] != b[i]:
            return i
    return n


def supervised_tokens(tokenizer: Any, messages: Sequence[dict[str, str]]) -> tuple[list[int], list[float]]:
    """Tokens of a chat example and per-token loss weights: 1 on assistant replies, 0 elsewhere.

    Each assistant turn's span is found by rendering the chat up to that turn (with and without
    the turn) and comparing with the full rendering, so any chat template works; the assistant
    header stays at weight 0 and the end-of-turn token is learned.
    """
    full = render_tokens(tokenizer, messages, add_generation_prompt=False)
    weights = [0.0] * len(full)
    for i, m in enumerate(messages):
        if m.get("role") != "assistant":
            continue
        start = _common_prefix(render_tokens(tokenizer, messages[:i], add_generation_prompt=True), full)
        end = _common_prefix(render_tokens(tokenizer, messages[: i + 1], add_generation_prompt=False), full)
        for j in range(start, end):
            weights[j] = 1.0
    return full, weights


def stop_token_ids(tokenizer: Any) -> list[int]:
    """End-of-sequence and end-of-turn ids the sampler stops at."""
    ids = {getattr(tokenizer, "eos_token_id", None)}
    convert = getattr(tokenizer, "convert_tokens_to_ids", None)
    unk = getattr(tokenizer, "unk_token_id", None)
    if convert is not None:
        for tok in _END_OF_TURN_TOKENS:
            try:
                tid = convert(tok)
            except Exception:  # a tokenizer may reject unknown tokens
                continue
            if isinstance(tid, int) and tid != unk:
                ids.add(tid)
    return sorted(i for i in ids if isinstance(i, int))
