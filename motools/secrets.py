"""API keys come from the environment or a ``.env`` file, never from specs or the store."""

from __future__ import annotations

import os
import re
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


# -- secrets in specs ---------------------------------------------------------------------------
# Tokens recognisable by their shape wherever they sit: OpenAI/Anthropic/Tinker style "sk-..."
# and "tk-...", Hugging Face, GitHub, Slack and AWS access keys.
_TOKEN = re.compile(
    r"(?<![A-Za-z0-9])(?:"
    r"(?:sk|tk|rk|pk)[-_](?=[A-Za-z0-9_-]*\d)[A-Za-z0-9_-]{16,}"
    r"|hf_[A-Za-z0-9]{20,}"
    r"|gh[pousr]_[A-Za-z0-9]{20,}"
    r"|xox[abprs]-[A-Za-z0-9-]{10,}"
    r"|AKIA[0-9A-Z]{16}"
    r")"
)
# Under a key that names a secret, any long token (letters and digits, no spaces) counts.
_SECRET_WORDS = ("key", "token", "secret", "password", "passwd", "credential", "credentials", "auth")
_LONG_TOKEN = re.compile(r"^[A-Za-z0-9_\-./+=:]{20,}$")
_KEY_WORDS = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")


def _secret_key(key: str) -> bool:
    """``api_key``, ``apiKey``, ``OPENAI_API_KEY``, ``hf-token``, ``client_secret``: yes;
    ``tokenizer``, ``max_tokens``, ``keyboard``: no."""
    words = [w.lower() for w in _KEY_WORDS.findall(str(key))]
    return any(w in _SECRET_WORDS or (w.endswith(_SECRET_WORDS) and len(w) > 6) for w in words)


def looks_secret(key: object, value: object) -> bool:
    """Whether ``value`` (found under ``key``) looks like an API key or other credential.

    The app uses it to hide such values; spec loading refuses them (keys belong in the
    environment or a ``.env`` file, never in a spec, the store or an export).
    """
    if not isinstance(value, str) or len(value) < 16:
        return False
    if _TOKEN.search(value):
        return True
    if key is not None and _secret_key(str(key)) and _LONG_TOKEN.match(value):
        return any(c.isdigit() for c in value) and any(c.isalpha() for c in value)
    return False


def secret_paths(data: object, prefix: str = "", max_nodes: int = 1_000_000) -> list[str]:
    """Dot paths of every value under ``data`` that :func:`looks_secret` (shared objects once)."""
    found: list[str] = []
    seen: set[int] = set()
    stack: list[tuple[str, object, object]] = [(prefix, None, data)]
    visited = 0
    while stack and visited < max_nodes:
        path, key, node = stack.pop()
        visited += 1
        if isinstance(node, str):
            if looks_secret(key, node):
                found.append(path)
        elif isinstance(node, (dict, list, tuple)):
            if id(node) in seen:
                continue
            seen.add(id(node))
            if isinstance(node, dict):
                children = [(f"{path}.{k}" if path else str(k), k, v) for k, v in node.items()]
            else:
                children = [(f"{path}.{i}" if path else str(i), key, v) for i, v in enumerate(node)]
            stack.extend(reversed(children))
    return found


SECRET_ADVICE = (
    "this looks like an API key or other secret; never put one in a spec (it would be stored and "
    "exported): set it in the environment (e.g. export OPENAI_API_KEY=...) or in a .env file beside "
    "the spec or the store, where motools and the backends read it"
)
