"""Inspect AI tasks, named in specs as ``"mozoo.tasks.<module>:<function>"``."""
