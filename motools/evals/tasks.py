"""Loading Inspect tasks named by ``"module:function"`` strings (once per process)."""

from __future__ import annotations

import functools
import json
from typing import Any

from motools.atoms import canonical_json
from motools.imports import resolve_import


@functools.lru_cache(maxsize=64)
def _load(task: str, args_json: str) -> Any:
    return resolve_import(task)(**json.loads(args_json))


def load_task(task: str, task_args: dict[str, Any] | None = None) -> Any:
    """The Inspect ``Task`` a task function builds (cached per task and arguments)."""
    return _load(task, canonical_json(task_args or {}))


def prompt_of(sample: Any) -> str:
    """A sample's prompt: its input text, or the last user turn of a chat input."""
    value = sample.input
    if isinstance(value, str):
        return value
    users = [m for m in value if getattr(m, "role", None) == "user"] or list(value)
    texts = [getattr(m, "text", None) or str(getattr(m, "content", m)) for m in users]
    return texts[-1] if texts else ""


__all__ = ["load_task", "prompt_of"]
