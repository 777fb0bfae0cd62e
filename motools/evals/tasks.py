"""Loading Inspect tasks named by ``"module:function"`` strings, and reading their samples."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from motools.atoms import canonical_json
from motools.imports import resolve_import


@dataclass(frozen=True)
class TaskSample:
    id: str
    prompt: str
    target: str


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):  # a list of chat messages: the last user turn is the prompt
        users = [m for m in value if getattr(m, "role", None) == "user"] or value
        texts = [getattr(m, "text", None) or str(getattr(m, "content", m)) for m in users]
        return texts[-1] if texts else ""
    return str(value)


@functools.lru_cache(maxsize=64)
def _load(task: str, args_json: str) -> tuple[str, tuple[TaskSample, ...]]:
    import json

    fn = resolve_import(task)
    obj = fn(**json.loads(args_json))
    name = getattr(obj, "name", None) or task.rpartition(":")[2]
    samples = []
    for i, s in enumerate(obj.dataset):
        target = s.target if isinstance(s.target, str) else (s.target[0] if s.target else "")
        samples.append(TaskSample(str(s.id if s.id is not None else i + 1), _text(s.input), target))
    return name, tuple(samples)


def task_samples(task: str, task_args: dict[str, Any] | None = None) -> tuple[str, tuple[TaskSample, ...]]:
    """The task's name and samples (cached: tasks are built once per process)."""
    return _load(task, canonical_json(task_args or {}))
