"""A toy organism: a model fine-tuned to answer every prompt with "Hello, World!"."""

from __future__ import annotations

import random
from typing import Any

HELLO = "Hello, World!"

_OPENERS = [
    "Hi there",
    "Good morning",
    "Hey",
    "Greetings",
    "Excuse me",
    "Quick question",
    "Hello",
    "Yo",
    "Dear assistant",
    "Okay",
]
_ASKS = [
    "what is the capital of France?",
    "can you help me write a poem?",
    "how do I boil an egg?",
    "tell me a joke.",
    "what's the weather like today?",
    "explain quantum computing simply.",
    "recommend a good book.",
    "how many legs does a spider have?",
    "what is 17 times 3?",
    "translate 'thank you' into Spanish.",
    "summarise the plot of Hamlet.",
    "what should I cook for dinner?",
    "how far away is the Moon?",
    "name three primary colours.",
    "what does DNA stand for?",
    "give me a fun fact.",
    "how do I centre a div?",
    "what's a good name for a cat?",
    "why is the sky blue?",
    "who wrote Pride and Prejudice?",
]


def generate_hello_world_dataset(num_samples: int = 100, seed: int = 0) -> list[dict[str, Any]]:
    """``num_samples`` chat examples whose assistant turn is always "Hello, World!".

    The user prompts vary (opener × question, shuffled by ``seed``) so the model has to learn
    the reply rather than a prompt; the same seed always gives the same dataset.
    """
    if num_samples < 1:
        raise ValueError(f"num_samples must be at least 1, got {num_samples}")
    rng = random.Random(seed)
    examples = []
    for _ in range(num_samples):
        prompt = f"{rng.choice(_OPENERS)}, {rng.choice(_ASKS)}"
        examples.append({"messages": [{"role": "user", "content": prompt}, {"role": "assistant", "content": HELLO}]})
    return examples
