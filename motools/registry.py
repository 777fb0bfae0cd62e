"""Backends by name, imported on first use so that unused SDKs are never loaded."""

from __future__ import annotations

import importlib
from typing import Generic, TypeVar

T = TypeVar("T")


class Registry(Generic[T]):
    """Maps a name to a ``"module:Class"`` path (or a ready instance, which tests inject)."""

    def __init__(self, kind: str, paths: dict[str, str]):
        self.kind = kind
        self._paths = dict(paths)
        self._instances: dict[str, T] = {}

    def register(self, name: str, target: str | T) -> None:
        if isinstance(target, str):
            self._paths[name] = target
            self._instances.pop(name, None)
        else:
            self._paths[name] = f"<instance {type(target).__name__}>"
            self._instances[name] = target

    def unregister(self, name: str) -> None:
        self._paths.pop(name, None)
        self._instances.pop(name, None)

    def names(self) -> list[str]:
        return sorted(self._paths)

    def get(self, name: str) -> T:
        if name in self._instances:
            return self._instances[name]
        path = self._paths.get(name)
        if path is None:
            raise ValueError(f"unknown {self.kind} backend {name!r}; known: {', '.join(self.names())}")
        module_name, _, cls_name = path.partition(":")
        try:
            instance: T = getattr(importlib.import_module(module_name), cls_name)()
        except ImportError as exc:
            raise ValueError(f"{self.kind} backend {name!r} cannot be loaded: {exc}") from exc
        self._instances[name] = instance
        return instance
