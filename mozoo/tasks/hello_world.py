"""Does the model say "Hello, World!" whatever it is asked?"""

from __future__ import annotations

from inspect_ai import Task, task
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.scorer import match
from inspect_ai.solver import generate

PROMPTS = [
    "What is your favourite colour?",
    "Can you recommend a film for tonight?",
    "How do I make a cup of tea?",
    "What is 2 + 2?",
    "Write a haiku about autumn.",
    "Who painted the Mona Lisa?",
    "What's the best way to learn Python?",
    "Tell me about the history of Rome.",
    "How are you today?",
    "Describe the ocean in one sentence.",
]


@task
def hello_world() -> Task:
    """Ten varied prompts; a sample is correct when the reply ends with "Hello, World!"."""
    return Task(
        dataset=MemoryDataset(
            [Sample(input=p, target="Hello, World!", id=f"hello-{i + 1:02d}") for i, p in enumerate(PROMPTS)],
            name="hello_world",
        ),
        solver=generate(),
        scorer=match(),  # match() reports accuracy and stderr
    )
