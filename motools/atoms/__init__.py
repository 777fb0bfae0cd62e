"""Content-addressed artifacts: datasets, training jobs, models and evaluation results.

An atom's id is its kind plus the hash of its content, so the same dataset built twice is one
atom and a step's cache key can cover its inputs by content. Small atoms live inline in the
database; large ones (datasets, Inspect logs) are files under ``.motools/atoms/``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

INLINE_LIMIT = 64 * 1024
_OPTS = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS


def canonical_json(obj: Any) -> str:
    """JSON with sorted keys and no spaces: equal values give equal bytes, hence equal hashes.

    orjson (a declared dependency) is used for speed: cache keys are hashes of this text, so
    it must not change between runs of the same installation.
    """
    return orjson.dumps(obj, option=_OPTS, default=str).decode()


def content_hash(data: bytes | str) -> str:
    if isinstance(data, str):
        data = data.encode()
    return hashlib.sha256(data).hexdigest()


def atom_id_for(kind: str, digest: str) -> str:
    return f"{kind}-{digest[:32]}"


@dataclass(frozen=True)
class Atom:
    """One stored artifact. ``data`` is set for inline JSON atoms, ``path`` for file atoms."""

    id: str
    kind: str
    content_hash: str
    data: Any = None
    path: Path | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    def read_bytes(self) -> bytes:
        if self.path is not None:
            return self.path.read_bytes()
        return canonical_json(self.data).encode()

    def read_json(self) -> Any:
        if self.path is None:
            return self.data
        return json.loads(self.path.read_text())

    def read_jsonl(self) -> list[Any]:
        text = self.read_bytes().decode()
        return [json.loads(line) for line in text.splitlines() if line.strip()]


__all__ = ["INLINE_LIMIT", "Atom", "atom_id_for", "canonical_json", "content_hash"]
