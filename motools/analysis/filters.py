"""Row filters for results tables: one syntax for ``motools sweep export --where`` and the app's
``/`` filter.

``col=value``, ``col!=value``, ``col>0.5``, ``col<=3`` (numeric columns compare as numbers), or
plain text found in any cell; several joined by ``,`` or ``and`` must all hold.
"""

from __future__ import annotations

import operator
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

_OPS = {"<=": operator.le, ">=": operator.ge, "!=": operator.ne, "=": operator.eq, "<": operator.lt, ">": operator.gt}
_EXPR = re.compile(r"^\s*([A-Za-z0-9_./-]+)\s*(<=|>=|!=|=|<|>)\s*(.+?)\s*$")


def filter_frame(df: pd.DataFrame, expr: str) -> pd.DataFrame:
    """Rows of ``df`` matching ``expr``; ``ValueError`` naming an unknown column or a bad number."""
    import pandas as pd

    expr = (expr or "").strip()
    if not expr:
        return df
    out = df
    for part in (p for p in re.split(r",|\band\b", expr) if p.strip()):
        m = _EXPR.match(part)
        if m is None:
            needle = part.strip().lower()
            mask = out.astype(str).apply(lambda col, needle=needle: col.str.lower().str.contains(needle, regex=False))
            out = out[mask.any(axis=1)]
            continue
        col, op, raw = m.groups()
        if col not in out.columns:
            raise ValueError(f"no column {col!r}; columns: {', '.join(map(str, out.columns))}")
        series = out[col]
        value: Any = raw.strip("'\"")
        if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
            try:
                value = float(value)
            except ValueError:
                raise ValueError(f"{col} is numeric; {raw!r} is not a number") from None
        else:
            series = series.astype(str)
        out = out[_OPS[op](series, value).fillna(False)]
    return out


__all__ = ["filter_frame"]
