"""The ``tinker`` training backend: LoRA fine-tuning through the Tinker SDK.

``submit`` opens a LoRA training client and returns a job record at once (the step persists it).
``wait`` runs the training loop: ``forward_backward`` + ``optim_step`` per batch, ``save_state``
every ``checkpoint_every`` steps followed by ``ctx.save_checkpoint``, and finally
``save_weights_for_sampler``, whose path is the model reference. A killed or failed run resumes
from its last saved state at the recorded step, never from zero.

Connection problems are retried here with exponential backoff, reattaching from the last saved
state; when they persist, a :class:`~motools.errors.TransientError` says so in plain words (the
engine may retry the step, which resumes from the same checkpoint). The SDK is imported lazily
and reached only through :mod:`motools.training.tinker_client`, where tests inject a fake.
"""

from __future__ import annotations

import asyncio
import functools
import importlib.util
import math
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from motools.errors import MotoolsError, TransientError
from motools.secrets import get_secret
from motools.training import tinker_client as tc
from motools.training.base import TrainingRequest
from motools.workflow.context import StepContext

T = TypeVar("T")


@dataclass(frozen=True)
class TrainingPlan:
    """Which examples each step trains on: a seeded shuffle per epoch, cut into batches.

    Deterministic, so a resumed run trains step ``k`` on exactly the batch it would have.
    """

    n_examples: int
    batch_size: int
    n_epochs: int
    seed: int

    @property
    def steps_per_epoch(self) -> int:
        return math.ceil(self.n_examples / self.batch_size)

    @property
    def total_steps(self) -> int:
        return self.steps_per_epoch * self.n_epochs

    def batch(self, step: int) -> list[int]:
        """Example indices of 1-based ``step``."""
        epoch, j = divmod(step - 1, self.steps_per_epoch)
        order = _epoch_order(self.n_examples, self.seed, epoch)
        return list(order[j * self.batch_size : (j + 1) * self.batch_size])


@functools.lru_cache(maxsize=64)
def _epoch_order(n: int, seed: int, epoch: int) -> tuple[int, ...]:
    order = list(range(n))
    random.Random(f"motools-tinker:{seed}:{epoch}").shuffle(order)
    return tuple(order)


def is_retryable(exc: BaseException) -> bool:
    """Connection-type failures worth another try (timeouts, dropped links, 429, 5xx)."""
    if isinstance(exc, (TimeoutError, ConnectionError)):
        return True
    try:
        import tinker
    except ImportError:
        return False
    return isinstance(exc, (tinker.APIConnectionError, tinker.RateLimitError, tinker.InternalServerError))


def describe(exc: BaseException) -> str:
    detail = str(exc) or ("no answer in time" if isinstance(exc, TimeoutError) else "no detail")
    return f"{type(exc).__name__}: {detail}"


def _auth_problem(exc: BaseException) -> bool:
    try:
        import tinker
    except ImportError:
        return False
    return isinstance(exc, (tinker.AuthenticationError, tinker.PermissionDeniedError))


def _validate_examples(examples: list[Any], atom_id: str) -> None:
    if not examples:
        raise MotoolsError(f"dataset {atom_id} is empty: nothing to train on")
    for i, ex in enumerate(examples, 1):
        msgs = ex.get("messages") if isinstance(ex, dict) else None
        if not isinstance(msgs, list) or not any(
            isinstance(m, dict) and m.get("role") == "assistant" and isinstance(m.get("content"), str) for m in msgs
        ):
            raise MotoolsError(f"dataset {atom_id}, example {i}: needs 'messages' with an assistant reply to learn")


def build_datum(tokenizer: Any, messages: list[dict[str, str]]) -> Any:
    """A cross-entropy ``tinker.types.Datum``: next-token targets, loss only on assistant tokens."""
    import numpy as np
    from tinker import types

    tokens, weights = tc.supervised_tokens(tokenizer, messages)
    return types.Datum(
        model_input=types.ModelInput.from_ints(tokens[:-1]),
        loss_fn_inputs={
            "target_tokens": np.asarray(tokens[1:], dtype=np.int64),
            "weights": np.asarray(weights[1:], dtype=np.float32),
        },
    )


def mean_nll(output: Any, batch: list[Any]) -> float:
    """Mean negative log-likelihood per weighted token of a ``forward_backward`` result."""
    import numpy as np

    weights = [np.asarray(d.loss_fn_inputs["weights"].to_numpy(), dtype=np.float64) for d in batch]
    total_w = float(sum(w.sum() for w in weights)) or 1.0
    outputs = getattr(output, "loss_fn_outputs", None) or []
    if len(outputs) == len(batch) and all("logprobs" in o for o in outputs):
        nll = -sum(
            float(np.dot(np.asarray(o["logprobs"].to_numpy(), dtype=np.float64), w))
            for o, w in zip(outputs, weights, strict=True)
        )
        return nll / total_w
    loss_sum = (getattr(output, "metrics", None) or {}).get("loss:sum")
    return float(loss_sum) / total_w if loss_sum is not None else float("nan")


class TinkerTrainingBackend:
    name = "tinker"

    def __init__(
        self,
        *,
        max_attempts: int = 5,
        retry_base_s: float = 2.0,
        retry_max_s: float = 60.0,
        client_timeout_s: float = tc.CLIENT_TIMEOUT_S,
        op_timeout_s: float = 1800.0,
    ):
        self.max_attempts = max(1, max_attempts)
        self.retry_base_s = retry_base_s
        self.retry_max_s = retry_max_s
        self.client_timeout_s = client_timeout_s
        self.op_timeout_s = op_timeout_s
        self._live: dict[str, Any] = {}  # job id -> the training client submit opened (this process)

    def preflight(self) -> list[str]:
        problems = []
        if importlib.util.find_spec("tinker") is None:
            problems.append("the tinker SDK is not installed (pip install tinker)")
        if tc.uses_real_sdk() and not get_secret(tc.API_KEY_ENV):
            problems.append(
                f"{tc.API_KEY_ENV} is not set in the environment or .env; the tinker backend needs a Tinker API key"
            )
        return problems

    # -- retries ---------------------------------------------------------------------------------
    async def _retrying(
        self, ctx: StepContext, what: str, op: Callable[[], Awaitable[T]], after: str = "retrying the run tries again"
    ) -> T:
        attempt = 1
        while True:
            try:
                return await op()
            except Exception as exc:
                if _auth_problem(exc):
                    raise MotoolsError(f"Tinker refused the API key while trying to {what}: {exc}") from exc
                if not is_retryable(exc):
                    raise
                if attempt >= self.max_attempts:
                    raise TransientError(
                        f"could not reach Tinker to {what} after {attempt} attempts "
                        f"({describe(exc)}); check the network and the Tinker service status; {after}"
                    ) from exc
                delay = min(self.retry_max_s, self.retry_base_s * 2 ** (attempt - 1)) * (0.75 + random.random() / 2)
                ctx.log(
                    f"Tinker unreachable while trying to {what} ({describe(exc)}); "
                    f"attempt {attempt + 1}/{self.max_attempts} in {delay:.1f} s",
                    "warning",
                )
                attempt += 1
                await asyncio.sleep(delay)

    async def _lora_client(self, service: Any, job: dict[str, Any]) -> Any:
        hp = job["hyperparameters"]
        return await tc.submit(
            service.create_lora_training_client,
            base_model=job["base_model"],
            rank=int(hp.get("lora_rank") or 8),
            seed=int(hp.get("seed") or 0),
            timeout=self.client_timeout_s,
        )

    # -- protocol --------------------------------------------------------------------------------
    async def submit(self, ctx: StepContext, request: TrainingRequest) -> dict[str, Any]:
        examples = await asyncio.to_thread(request.dataset.read_jsonl)
        _validate_examples(examples, request.dataset.id)
        job: dict[str, Any] = {
            "backend": self.name,
            "base_model": request.base_model,
            "hyperparameters": dict(request.hyperparameters),
            "suffix": request.suffix,
            "dataset": request.dataset.id,
            "n_examples": len(examples),
        }

        async def open_client() -> Any:
            service = await tc.create_service_client(self.client_timeout_s)
            return await self._lora_client(service, job)

        client = await self._retrying(ctx, "create a LoRA training client", open_client)
        job["job_id"] = str(getattr(client, "model_id", None) or f"tinker-{id(client):x}")
        self._live[job["job_id"]] = client
        ctx.log(f"Tinker LoRA training client {job['job_id']} ready for {request.base_model}")
        return job

    async def wait(self, ctx: StepContext, job: dict[str, Any]) -> dict[str, Any]:
        return await self._retrying(
            ctx, "train", lambda: self._train(ctx, job), "saved progress is kept and retrying the run resumes from it"
        )

    # -- training --------------------------------------------------------------------------------
    async def _attach(self, ctx: StepContext, job: dict[str, Any]) -> tuple[Any, int]:
        """A training client and the number of steps already done (resuming from saved state)."""
        ckpt = ctx.checkpoint or {}
        live = self._live.pop(job["job_id"], None)
        if not ckpt.get("state_path") and live is not None:
            return live, 0
        service = await tc.create_service_client(self.client_timeout_s)
        if ckpt.get("state_path"):
            client = await tc.submit(
                service.create_training_client_from_state_with_optimizer,
                ckpt["state_path"],
                timeout=self.client_timeout_s,
            )
            ctx.log(f"resuming at step {ckpt['step']} from {ckpt['state_path']}")
            return client, int(ckpt["step"])
        ctx.log(
            "no saved state and no open training client (worker restarted or connection lost): "
            "training starts over on a new LoRA client",
            "warning",
        )
        return await self._lora_client(service, job), 0

    async def _train(self, ctx: StepContext, job: dict[str, Any]) -> dict[str, Any]:
        from tinker import types

        ckpt = ctx.checkpoint or {}
        if ckpt.get("sampler_path"):
            return self._model_ref(job, ckpt)
        hp = job["hyperparameters"]
        atom = await ctx.load_atom(job["dataset"])
        examples = await asyncio.to_thread(atom.read_jsonl)
        _validate_examples(examples, job["dataset"])
        plan = TrainingPlan(
            len(examples), int(hp.get("batch_size") or 4), int(hp.get("n_epochs") or 1), int(hp.get("seed") or 0)
        )
        every = int(hp.get("checkpoint_every") or plan.steps_per_epoch)
        adam = types.AdamParams(learning_rate=float(hp.get("learning_rate") or 1e-4))

        client, done = await self._attach(ctx, job)
        tokenizer = await tc.run_blocking(client.get_tokenizer, timeout=self.client_timeout_s)
        data = await asyncio.to_thread(lambda: [build_datum(tokenizer, ex["messages"]) for ex in examples])
        total = plan.total_steps
        if done == 0:
            ctx.log(
                f"training {total} steps ({plan.n_epochs} epochs x {plan.steps_per_epoch} batches of "
                f"{plan.batch_size}), checkpoint every {every}"
            )
        state_path = ckpt.get("state_path")
        for k in range(done + 1, total + 1):
            batch = [data[i] for i in plan.batch(k)]
            # both are submitted before either is awaited, so the server can pipeline them
            fb_future = await tc.run_blocking(
                client.forward_backward, batch, "cross_entropy", timeout=self.op_timeout_s
            )
            optim_future = await tc.run_blocking(client.optim_step, adam, timeout=self.op_timeout_s)
            output = await tc.resolve(fb_future, self.op_timeout_s)
            await tc.resolve(optim_future, self.op_timeout_s)
            loss = mean_nll(output, batch)
            ctx.progress(k, total, f"loss {loss:.4f}")
            ctx.log(f"step {k}/{total}: loss {loss:.4f}")
            if k % every == 0 and k < total:
                saved = await tc.submit(client.save_state, f"step-{k:06d}", timeout=self.op_timeout_s)
                state_path = saved.path
                await ctx.save_checkpoint(
                    {"step": k, "state_path": state_path, "total_steps": total, "job_id": job["job_id"]}
                )
        name = f"{job.get('suffix') or 'motools'}-final"
        weights = await tc.submit(client.save_weights_for_sampler, name, timeout=self.op_timeout_s)
        final = {
            "step": total,
            "state_path": state_path,
            "sampler_path": weights.path,
            "total_steps": total,
            "job_id": job["job_id"],
        }
        await ctx.save_checkpoint(final)
        ctx.log(f"sampler weights saved: {weights.path}")
        return self._model_ref(job, final)

    def _model_ref(self, job: dict[str, Any], ckpt: dict[str, Any]) -> dict[str, Any]:
        return {
            "backend": self.name,
            "model": ckpt["sampler_path"],
            "base_model": job["base_model"],
            "job_id": job["job_id"],
            "hyperparameters": job["hyperparameters"],
            "suffix": job.get("suffix"),
            "steps": ckpt.get("total_steps"),
            "state_path": ckpt.get("state_path"),
        }
