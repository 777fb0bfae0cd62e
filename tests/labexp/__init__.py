"""A researcher's own experiment, outside the zoo: a persona dataset, a task with an LLM-judge
style scorer (dict-valued, computed by rules so it needs no network) and a workflow of its own.

Tests copy this folder next to a spec file to check that user modules are found the way a
researcher's would be (relative to the spec and the working directory, in detached workers too).
"""
