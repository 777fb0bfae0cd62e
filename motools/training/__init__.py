"""Training backends (``dummy``, ``tinker``) behind one protocol."""

from motools.training.base import (
    TrainingBackend,
    TrainingRequest,
    get_training_backend,
    register_training_backend,
    training_backend_names,
)

__all__ = [
    "TrainingBackend",
    "TrainingRequest",
    "get_training_backend",
    "register_training_backend",
    "training_backend_names",
]
