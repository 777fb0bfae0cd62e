"""From Inspect scores to what motools keeps: every score of every sample, and the metrics.

One module for both evaluation backends, so a metric or a score column is named the same
whichever produced it:

- metrics: ``accuracy``, ``stderr`` for a task with one score; with several, each is prefixed
  by its scorer, and for a dict-valued scorer by scorer and key (``match/accuracy``,
  ``judge/aligned/mean``);
- sample scores: ``<scorer>`` for a scalar score, ``<scorer>/<key>`` for each key of a
  dict-valued one (``judge/aligned``), as a number where Inspect's own conversion can (C/I,
  booleans, numeric strings), else kept as text. Nothing is printed (Inspect's converter warns
  on every value it cannot convert).

The ``dummy`` backend runs the task's own scorers and Inspect's own metric computation
(:func:`score_answers`), so its names and values match a real evaluation's.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from motools.evals.base import SampleScore

if TYPE_CHECKING:
    from inspect_ai.log import EvalScore
    from inspect_ai.scorer import Score

CORRECT, INCORRECT, PARTIAL, NOANSWER = "C", "I", "P", "N"


def score_number(value: Any) -> float | None:
    """``value`` as Inspect's ``value_to_float`` reads it, or ``None`` where it cannot (no warning)."""
    if isinstance(value, bool):
        return float(value)
    if value == CORRECT:
        return 1.0
    if value == PARTIAL:
        return 0.5
    if value in (INCORRECT, NOANSWER):
        return 0.0
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("yes", "true"):
            return 1.0
        if text in ("no", "false"):
            return 0.0
        try:
            number = float(text)
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def flatten_score(name: str, value: Any) -> dict[str, float | str | None]:
    """One scorer's value as columns: ``{name: v}`` or ``{name/key: v}`` for a dict value."""
    items = value.items() if isinstance(value, Mapping) else [(None, value)]
    out: dict[str, float | str | None] = {}
    for key, v in items:
        column = name if key is None else f"{name}/{key}"
        number = score_number(v)
        if number is not None or v is None:
            out[column] = number
        else:
            out[column] = v if isinstance(v, str) else json.dumps(v, default=str)
    return out


def sample_score(
    sample_id: Any, epoch: int, scores: Mapping[str, Score], target: Any, completion: str | None
) -> SampleScore | None:
    """A sample's scores as motools keeps them (``None`` if it has none)."""
    if not scores:
        return None
    columns: dict[str, float | str | None] = {}
    explanations: dict[str, str] = {}
    answer = None
    for name, score in scores.items():
        columns.update(flatten_score(name, score.value))
        if score.explanation:
            explanations[name] = str(score.explanation)
        if answer is None and score.answer is not None:
            answer = str(score.answer)
    primary = next((v for v in columns.values() if isinstance(v, float)), float("nan"))
    return SampleScore(
        str(sample_id),
        primary,
        int(epoch),
        answer if answer is not None else completion,
        first_target(target),
        columns,
        explanations,
    )


def first_target(target: Any) -> str:
    if isinstance(target, str):
        return target
    text = getattr(target, "text", None)
    if isinstance(text, str):
        return text
    return str(target[0]) if target else ""


def metrics_of(eval_scores: Sequence[EvalScore]) -> dict[str, float]:
    """``{name: value}`` of a results' metrics, named as the module docstring says."""
    names = [s.name for s in eval_scores]
    out: dict[str, float] = {}
    for s in eval_scores:
        if len(eval_scores) == 1:
            prefix = ""
        else:
            base = s.name if s.scorer == s.name or not s.scorer else f"{s.scorer}/{s.name}"
            prefix = (base if names.count(s.name) == 1 else f"{base}_{s.reducer}") + "/"
        for metric_name, metric in s.metrics.items():
            value = metric.value
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                out[f"{prefix}{metric_name}"] = float(value)
    return out


async def score_answers(
    task: Any, answers: Iterable[tuple[Any, int, str]], model_name: str
) -> tuple[dict[str, float], list[SampleScore]]:
    """Run ``task``'s own scorers on given answers and Inspect's metric computation on the scores.

    ``answers`` are ``(sample, epoch, completion)`` with ``sample`` an Inspect ``Sample`` of the
    task's dataset. Returns ``(metrics, sample scores)`` as a real evaluation of them would.
    """
    from inspect_ai._eval.task.results import eval_results
    from inspect_ai.model import ChatMessageAssistant, ChatMessageUser, ModelName, ModelOutput
    from inspect_ai.scorer import SampleScore as InspectSampleScore
    from inspect_ai.scorer import Target
    from inspect_ai.scorer._scorer import unique_scorer_name
    from inspect_ai.solver import TaskState

    scorers = list(task.scorer or [])
    names: list[str] = []
    for s in scorers:
        names.append(unique_scorer_name(s, names))  # the names a real evaluation gives them
    model = ModelName(model_name if "/" in model_name else f"motools-simulated/{model_name}")
    per_sample: list[dict[str, InspectSampleScore]] = []
    kept: list[SampleScore] = []
    answers = list(answers)
    # Prompts and replies repeat (a simulated model has few distinct replies): build each once.
    prompts: dict[int, list[Any]] = {}
    replies: dict[str, tuple[Any, Any]] = {}
    for sample, epoch, completion in answers:
        messages = prompts.get(id(sample))
        if messages is None:
            text = sample.input if isinstance(sample.input, str) else ""
            messages = list(sample.input) if isinstance(sample.input, list) else [ChatMessageUser(content=text)]
            prompts[id(sample)] = messages
        reply = replies.get(completion)
        if reply is None:
            reply = (ChatMessageAssistant(content=completion), ModelOutput.from_content(str(model), completion))
            replies[completion] = reply
        state = TaskState(
            model=model,
            sample_id=sample.id,
            epoch=epoch,
            input=sample.input,
            messages=[*messages, reply[0]],
            target=Target(sample.target),
            choices=sample.choices,
            output=reply[1].model_copy(),
            metadata=sample.metadata or {},
        )
        found: dict[str, Score] = {}
        for name, scorer in zip(names, scorers, strict=True):
            result = await scorer(state, state.target)
            if result is not None:
                found[name] = result
        per_sample.append({n: InspectSampleScore(score=sc, sample_id=sample.id, scorer=n) for n, sc in found.items()})
        record = sample_score(sample.id, epoch, found, sample.target, completion)
        if record is not None:
            kept.append(record)
    results, _ = eval_results(
        samples=len({(s.id, e) for s, e, _ in answers}),
        scores=per_sample,
        reducers=task.epochs_reducer,
        scorers=scorers,
        metrics=task.metrics,
        scorer_names=names,
    )
    return metrics_of(results.scores), kept


__all__ = ["first_target", "flatten_score", "metrics_of", "sample_score", "score_answers", "score_number"]
