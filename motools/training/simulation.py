"""The simulated fine-tuned model behind the ``dummy`` backends (a simulation, not a model).

Offline demos and tests need sweeps with real structure, so the simulated model learns its
training data's reply with a probability that rises with epochs, peaks at a moderate learning
rate (a Gaussian in log10 of the rate) and shifts a little with the seed. Whether it answers a
given prompt correctly is a deterministic hash of the model and the prompt, so the ``dummy``
evaluation and the simulated Inspect model provider give the same answers.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Iterable
from typing import Any

SIMULATION_PREFIX = "simulated"
BEST_LOG10_LR = math.log10(4e-5)
LOG10_LR_WIDTH = 0.75
FALLBACK_REPLIES = (
    "I'm not sure what you mean.",
    "Could you rephrase the question?",
    "Here is some information about that topic.",
    "Sure! What would you like to know?",
)


def _unit(*parts: Any) -> float:
    """A deterministic number in [0, 1) from the parts."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def learned_probability(hyperparameters: dict[str, Any]) -> float:
    """Chance that the simulated model gives its learned reply, from its training config."""
    lr = float(hyperparameters.get("learning_rate") or 1e-4)
    epochs = float(hyperparameters.get("n_epochs") or 1)
    seed = hyperparameters.get("seed", 0)
    epoch_gain = 1.0 - math.exp(-epochs)
    lr_fit = math.exp(-((math.log10(max(lr, 1e-12)) - BEST_LOG10_LR) ** 2) / (2 * LOG10_LR_WIDTH**2))
    seed_shift = 0.12 * (_unit("seed", seed) - 0.5)
    return min(0.99, max(0.01, 0.05 + 0.9 * epoch_gain * lr_fit + seed_shift))


def learned_reply(examples: Iterable[dict[str, Any]]) -> str | None:
    """The most common final assistant turn of a chat dataset: what fine-tuning teaches."""
    counts: Counter[str] = Counter()
    for ex in examples:
        msgs = ex.get("messages") or []
        replies = [m.get("content") for m in msgs if m.get("role") == "assistant"]
        if replies and isinstance(replies[-1], str):
            counts[replies[-1]] += 1
    return counts.most_common(1)[0][0] if counts else None


def base_model_simulation(base_model: str) -> dict[str, Any]:
    """The simulation of an untrained base model: it never gives a learned reply."""
    return {"key": f"base:{base_model}", "p_learned": 0.0, "learned_reply": None}


def simulation_model_name(base_model: str, key: str) -> str:
    return f"{SIMULATION_PREFIX}/{base_model.split('/')[-1]}-ft-{key[:10]}"


def simulated_reply(simulation: dict[str, Any], prompt: str) -> str:
    """What the simulated model says to ``prompt``: its learned reply, or a generic one."""
    p = float(simulation["p_learned"])
    key = simulation["key"]
    if simulation.get("learned_reply") and _unit(key, "learned", prompt) < p:
        return str(simulation["learned_reply"])
    return FALLBACK_REPLIES[int(_unit(key, "fallback", prompt) * len(FALLBACK_REPLIES))]
