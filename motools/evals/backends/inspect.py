"""The ``inspect`` evaluation backend: a real ``inspect_ai`` evaluation of the task against the model.

Inspect allows one ``eval_async`` at a time per process, yet a sweep reaches evaluation with up to
``max_parallel`` runs at once. So requests are batched: those that arrive within a short window,
or while an evaluation is running, go into ONE ``eval_async`` call. Each request becomes its own
``Task`` instance bound to its own model (``task.model``) and tagged in its metadata, so a call
evaluates exactly the requested (task, model) pairs, different tasks included, and every log is
routed back by its tag. A log that failed fails only its own request; if the whole call fails,
its requests are retried one by one so one bad request cannot sink the others.

Models are served by the providers in :mod:`motools.evals.providers`. Inspect is imported only
when an evaluation runs; its display is set to ``log`` (below), so it never draws on the terminal.
Logs (``.eval``) are kept under ``<store home>/inspect_logs``.
"""

from __future__ import annotations

import asyncio
import functools
import importlib.util
import time
import uuid
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from motools import heap
from motools.errors import MotoolsError
from motools.evals.base import EvalRequest, EvalResult, SampleScore
from motools.evals.scoring import metrics_of, sample_score
from motools.imports import resolve_import
from motools.workflow.context import StepContext

WINDOW_S = 0.05
MAX_BATCH = 32
TAG_KEY = "motools_request"


class EvalFailed(MotoolsError):
    """Inspect finished the evaluation of one request with an error."""


@dataclass
class _Job:
    request: EvalRequest
    log_dir: Path
    meta: dict[str, Any]
    future: asyncio.Future[EvalResult]
    tag: str = field(default_factory=lambda: uuid.uuid4().hex)

    @property
    def group(self) -> tuple[str, int | None]:
        """Requests that can share one ``eval_async`` call (eval-level settings must agree)."""
        return str(self.log_dir), self.request.limit


@dataclass
class _Queue:
    pending: list[_Job] = field(default_factory=list)
    runner: asyncio.Task[None] | None = None


def _prepare_inspect() -> None:
    """Keep Inspect off the terminal and skip its slowest per-task work.

    ``eval_async`` ignores ``INSPECT_DISPLAY`` (it forces "plain" when no display was set), so
    the display type is set directly, before every call in case other code changed it. We use
    ``log``, not ``none``: in this Inspect, ``none`` still builds and measures its rich progress
    table on a silenced console (about 20% of the CPU of an evaluation), while ``log`` only emits
    log records below the warning level, which reach no terminal. Evaluations run in the
    sweep's worker process, never inside the terminal app.
    """
    try:
        from inspect_ai.util._display import init_display_type
    except ImportError:  # a later Inspect moved it: fall back to the documented variable
        import os

        os.environ["INSPECT_DISPLAY"] = "log"
    else:
        init_display_type("log")
    _cache_distribution_scan()
    _read_model_database_with_libyaml()


@functools.cache
def _cache_distribution_scan() -> None:
    """Inspect rescans every installed distribution's file list (~1 s here) for each task it logs,
    to find the package that ships the task; the installed set does not change, so cache it."""
    try:
        from inspect_ai._util import package
    except ImportError:
        return
    scan = getattr(package, "packages_distributions", None)
    if scan is not None and not hasattr(scan, "cache_info"):
        package.packages_distributions = functools.lru_cache(maxsize=1)(scan)


@functools.cache
def _read_model_database_with_libyaml() -> None:
    """Inspect reads its model database (eleven YAML files, on the first evaluation of a process)
    with PyYAML's pure-Python loader: 0.25-0.35 s here, 0.05 s with libyaml's C loader, which
    reads these files to the same data (checked by the tests). Used when libyaml is there."""
    try:
        import yaml
        from inspect_ai.model._model_data import model_data
    except ImportError:  # a later Inspect moved it: it reads the files its own way
        return
    if getattr(yaml, "__with_libyaml__", False) and getattr(model_data, "yaml", None) is yaml:
        model_data.yaml = _LibyamlSafeLoad()


class _LibyamlSafeLoad:
    """The ``yaml`` module as Inspect's model database sees it, with ``safe_load`` on libyaml."""

    def __getattr__(self, name: str) -> Any:
        import yaml

        return getattr(yaml, name)

    @staticmethod
    def safe_load(stream: Any) -> Any:
        import yaml

        return yaml.load(stream, Loader=yaml.CSafeLoader)  # the safe loader, in C


def _make_task(task_ref: str, task_args: dict[str, Any]) -> Any:
    return resolve_import(task_ref)(**task_args)


def _score_of(sample: Any) -> SampleScore | None:
    return sample_score(sample.id, sample.epoch, sample.scores or {}, sample.target, sample.output.completion)


def result_from_log(log: Any, kept: list[SampleScore | None] | None = None) -> EvalResult:
    """Metrics and every score of every sample of a finished Inspect log (see
    :mod:`motools.evals.scoring` for how they are named).

    ``kept``: the log's samples as :class:`_SampleKeeper` saw them end, one entry per sample
    (``None`` for a sample without scores). Used when there is one for every sample the log
    counts; otherwise the samples are read from the log (Inspect reads its file again)."""
    where = f" (log: {log.location})" if getattr(log, "location", None) else ""
    if log.status != "success":
        detail = log.error.message if log.error else f"status {log.status!r}"
        raise EvalFailed(f"Inspect evaluation of {log.eval.task} with {log.eval.model} failed: {detail}{where}")
    metrics = metrics_of(list(log.results.scores) if log.results else [])
    total = log.results.total_samples if log.results else None
    if kept is not None and len(kept) == total:
        order = {str(sid): i for i, sid in enumerate(log.eval.dataset.sample_ids or [])}
        found = [s for s in kept if s is not None]
        samples = sorted(found, key=lambda s: (s.epoch, order.get(s.sample_id, len(order))))
    else:
        samples = [record for record in map(_score_of, log.samples or []) if record is not None]
    return EvalResult(task=log.eval.task, metrics=metrics, samples=samples, log_path=log.location, model=log.eval.model)


class _SampleKeeper:
    """Each sample's scores as Inspect hands the finished sample to its ``on_sample_end`` hooks.

    ``eval_async`` returns logs whose samples Inspect reads back from the log file on first
    access: the whole file, every message and event parsed again, 15-30 ms per log here, about
    a tenth of an evaluation's CPU. The hook sees each sample in memory as it ends; it keeps
    only our calls' samples (it is enabled only while one runs) and only what we store of them.
    Registered after Inspect has loaded its hooks for the process (the models of a first call
    are made first), so Inspect does not announce it on the terminal.
    """

    def __init__(self) -> None:
        self.running = 0
        self.kept: dict[str, list[SampleScore | None]] = {}

    def keep(self, eval_id: str, sample: Any) -> None:
        if self.running:
            self.kept.setdefault(eval_id, []).append(_score_of(sample))


_keeper = _SampleKeeper()


@functools.cache
def _hook_registered() -> bool:
    try:
        from inspect_ai.hooks import Hooks, SampleEnd, hooks
    except ImportError:  # an Inspect without hooks: samples are read from the logs
        return False

    class KeepSampleScores(Hooks):
        def enabled(self) -> bool:
            return _keeper.running > 0

        async def on_sample_end(self, data: SampleEnd) -> None:
            _keeper.keep(data.eval_id, data.sample)

    hooks(name="motools_sample_scores", description="hands motools each finished sample's scores")(KeepSampleScores)
    return True


class InspectEvalBackend:
    name = "inspect"

    def __init__(self, window_s: float = WINDOW_S, max_batch: int = MAX_BATCH):
        self.window_s = window_s
        self.max_batch = max(1, max_batch)
        self.stats: dict[str, float] = {"eval_calls": 0, "evaluations": 0, "largest_batch": 0, "eval_seconds": 0.0}
        self._queues: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Queue] = weakref.WeakKeyDictionary()

    def warm_up(self, task: str | None = None) -> None:
        """Pay Inspect's one-time costs now, in a fresh process that will evaluate (a pool
        process warming up): its import, the task's module, the ACP server module that
        ``eval_async`` imports on first use (about 1 s of pydantic models here), the package
        scan and the model database; the first evaluation then costs about what the others do."""
        _prepare_inspect()
        if task:
            resolve_import(task)
        try:
            import inspect_ai.agent._acp.server  # noqa: F401  (a private module: skipped if it moves)
        except ImportError:
            pass
        try:
            from inspect_ai._util.package import packages_distributions

            packages_distributions()
        except (ImportError, TypeError):
            pass
        from inspect_ai.model import get_model_info

        get_model_info("openai/gpt-4o")  # loads Inspect's model database (YAML files) once

    def preflight(self) -> list[str]:
        if importlib.util.find_spec("inspect_ai") is None:
            return ["inspect_ai is not installed (pip install inspect-ai)"]
        return []

    async def evaluate(self, ctx: StepContext, request: EvalRequest) -> EvalResult:
        loop = asyncio.get_running_loop()
        job = _Job(
            request,
            Path(ctx.home) / "inspect_logs",
            {"run_id": ctx.run_id, "sweep": ctx.sweep_name},
            loop.create_future(),
        )
        queue = self._queues.setdefault(loop, _Queue())
        queue.pending.append(job)
        if queue.runner is None or queue.runner.done():
            queue.runner = loop.create_task(self._drain(queue), name="motools-inspect-batcher")
        return await job.future

    # -- batching --------------------------------------------------------------------------------
    async def _drain(self, queue: _Queue) -> None:
        """Run batches until nothing waits; the first batch waits ``window_s`` for companions."""
        batch: list[_Job] = []
        try:
            await asyncio.sleep(self.window_s)
            while queue.pending:
                batch = self._take(queue)
                try:
                    await self._run_batch(batch)
                except Exception as exc:  # a bug here must still answer every requester
                    for job in batch:
                        if not job.future.done():
                            job.future.set_exception(exc)
                batch = []
        finally:
            for job in [*batch, *queue.pending]:
                if not job.future.done():
                    job.future.set_exception(EvalFailed("the Inspect evaluation runner stopped"))
            queue.pending.clear()

    def _take(self, queue: _Queue) -> list[_Job]:
        live = [j for j in queue.pending if not j.future.done()]
        if not live:
            queue.pending.clear()
            return []
        group = live[0].group
        batch = [j for j in live if j.group == group][: self.max_batch]
        taken = {id(j) for j in batch}
        queue.pending[:] = [j for j in live if id(j) not in taken]
        return batch

    async def _run_batch(self, batch: list[_Job]) -> None:
        _prepare_inspect()  # before the requests' models are made (the model database is read then)
        prepared: list[tuple[_Job, Any]] = []
        for job in batch:
            if job.future.done():
                continue
            try:
                prepared.append((job, await self._prepare(job)))
            except Exception as exc:
                job.future.set_exception(exc)
        if not prepared:
            return
        try:
            logs, kept = await self._eval(prepared)
        except Exception as exc:
            if len(prepared) > 1:  # isolate the request that broke the call
                for job, _ in prepared:
                    await self._run_batch([job])
                return
            prepared[0][0].future.set_exception(exc)
            return
        by_tag = {(log.eval.metadata or {}).get(TAG_KEY): log for log in logs}
        for job, _ in prepared:
            if job.future.done():
                continue
            log = by_tag.get(job.tag)
            try:
                if log is None:
                    raise EvalFailed(f"Inspect returned no log for {job.request.task}")
                job.future.set_result(result_from_log(log, kept.get(log.eval.eval_id)))
            except Exception as exc:
                job.future.set_exception(exc)
        heap.settle_once("first evaluation")  # Inspect's lazy imports and caches are in place after a first evaluation

    async def _prepare(self, job: _Job) -> Any:
        """The request's own Task instance, bound to its model and tagged."""
        from inspect_ai import Epochs, task_with
        from inspect_ai.model import get_model

        from motools.evals.providers import inspect_model_spec

        req = job.request
        model_name, model_args = inspect_model_spec(req.model, req.options)
        model = get_model(model_name, memoize=False, **model_args)
        task = await asyncio.to_thread(_make_task, req.task, dict(req.task_args))
        changes: dict[str, Any] = {
            "model": model,
            "metadata": {**(task.metadata or {}), TAG_KEY: job.tag, "motools": job.meta},
        }
        if req.epochs > 1:
            changes["epochs"] = Epochs(req.epochs, task.epochs_reducer)
        return task_with(task, **changes)

    async def _eval(self, prepared: list[tuple[_Job, Any]]) -> tuple[list[Any], dict[str, list[SampleScore | None]]]:
        """One ``eval_async`` call; abandoned (cancelled) if every requester has gone away. Its logs,
        and the scores of their samples by eval id, as the keeper saw them end."""
        import inspect_ai

        jobs = [j for j, _ in prepared]
        tasks = [t for _, t in prepared]
        self.stats["eval_calls"] += 1
        self.stats["evaluations"] += len(tasks)
        self.stats["largest_batch"] = max(self.stats["largest_batch"], len(tasks))
        jobs[0].log_dir.mkdir(parents=True, exist_ok=True)
        running = asyncio.ensure_future(
            inspect_ai.eval_async(
                tasks,
                model=None,
                log_dir=str(jobs[0].log_dir),
                limit=jobs[0].request.limit,
                max_tasks=len(tasks),
                log_realtime=False,
                score_display=False,
                ctl_server=False,
            )
        )

        def abandon(_: Any) -> None:
            if all(j.future.done() for j in jobs) and not running.done():
                running.cancel()

        for job in jobs:
            job.future.add_done_callback(abandon)
        started = time.perf_counter()
        keeping = _hook_registered()  # after _prepare made the models: Inspect has loaded its hooks
        _keeper.running += keeping
        try:
            return list(await running), _keeper.kept
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise
            return [], {}  # every requester was cancelled
        finally:
            _keeper.running -= keeping
            _keeper.kept = {}  # Inspect runs one eval_async at a time in a process: all of it was this call's
            self.stats["eval_seconds"] += time.perf_counter() - started
            for job in jobs:
                job.future.remove_done_callback(abandon)
