"""Evaluation backends (``inspect``, ``dummy``) behind one protocol."""

from motools.evals.base import (
    EvalBackend,
    EvalRequest,
    EvalResult,
    SampleScore,
    eval_backend_names,
    get_eval_backend,
    register_eval_backend,
)

__all__ = [
    "EvalBackend",
    "EvalRequest",
    "EvalResult",
    "SampleScore",
    "eval_backend_names",
    "get_eval_backend",
    "register_eval_backend",
]
