"""Spec values that look like secrets are never shown: one place decides, and masks.

:func:`looks_secret` is the app's single call site of the engine's rule
(``motools.secrets.looks_secret(key, value)``).
"""

from __future__ import annotations

import re
from typing import Any

MASK = "•••••• (hidden)"
_LINE = re.compile(r"^(\s*(?:-\s+)?)([^\s:#][^:#]*?)(\s*:\s+)(\S.*?)(\s+#.*)?$")


def looks_secret(key: str, value: Any) -> bool:
    """Whether ``key: value`` from a spec or a config looks like a secret (the engine's rule)."""
    from motools.secrets import looks_secret as engine_rule

    return bool(engine_rule(key, value))


def mask_yaml(text: str) -> str:
    """YAML text with the value of every ``key: value`` line that looks secret masked."""
    out = []
    for line in text.splitlines():
        m = _LINE.match(line)
        if m and looks_secret(m.group(2).strip().strip("'\""), m.group(4).strip("'\"")):
            line = f"{m.group(1)}{m.group(2)}{m.group(3)}{MASK}{m.group(5) or ''}"
        out.append(line)
    return "\n".join(out) + ("\n" if text.endswith("\n") else "")


def mask_data(data: Any) -> Any:
    """A loaded config (dicts and lists) with secret-looking values masked."""
    if isinstance(data, dict):
        return {
            k: MASK if looks_secret(str(k), v) and not isinstance(v, dict | list) else mask_data(v)
            for k, v in data.items()
        }
    if isinstance(data, list):
        return [mask_data(v) for v in data]
    return data


__all__ = ["MASK", "looks_secret", "mask_data", "mask_yaml"]
