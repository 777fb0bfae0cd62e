"""API keys come from the environment or a ``.env`` file, never from specs or the store."""

from __future__ import annotations

import os
from pathlib import Path


def _dotenv_paths() -> list[Path]:
    paths = [Path.cwd() / ".env"]
    home = os.environ.get("MOTOOLS_HOME")
    if home:
        paths.append(Path(home).expanduser().parent / ".env")
    return paths


def _read_dotenv(path: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    try:
        text = path.read_text()
    except OSError:
        return out
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.removeprefix("export ").partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        out[key.strip()] = value
    return out


def get_secret(name: str) -> str | None:
    """The value of ``name`` from the environment, else from ``./.env``; ``None`` if unset."""
    value = os.environ.get(name)
    if value:
        return value
    for path in _dotenv_paths():
        value = _read_dotenv(path).get(name)
        if value:
            return value
    return None
