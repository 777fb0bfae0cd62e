"""Cache keys of steps: what a step's result depends on, hashed.

A key covers the workflow's name, the step's name, its code (a hash of the step function's
source, unless the step pins ``version``), its config (minus ``cache_ignore`` fields such as
poll intervals) and its input atoms (whose ids are content hashes). So editing a step re-runs
it, and two workflows never share a result by accident.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
from typing import Any

from pydantic import BaseModel

from motools.atoms import canonical_json
from motools.workflow.base import Step


@functools.lru_cache(maxsize=512)
def code_hash(fn: Any) -> str:
    """A hash of a function's source text (its bytecode and constants where no source exists)."""
    target = inspect.unwrap(fn)
    try:
        text = inspect.getsource(target)
    except (OSError, TypeError):
        code = getattr(target, "__code__", None)
        text = repr((code.co_code, code.co_consts)) if code is not None else repr(target)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def step_version(step: Step) -> str:
    """The step's pinned version, or ``code:<hash of its function>``."""
    return step.version if step.version is not None else f"code:{code_hash(step.fn)}"


def step_cache_key(step: Step, step_config: BaseModel, inputs: dict[str, str], workflow: str = "") -> str:
    payload = {
        "workflow": workflow,
        "step": step.name,
        "version": step_version(step),
        "config": step_config.model_dump(mode="json", exclude=set(step.cache_ignore)),
        "inputs": inputs,
    }
    return hashlib.sha256(canonical_json(payload).encode()).hexdigest()


def config_hash(config: BaseModel) -> str:
    return hashlib.sha256(canonical_json(config.model_dump(mode="json")).encode()).hexdigest()


__all__ = ["code_hash", "config_hash", "step_cache_key", "step_version"]
