"""Clearing cached step results (``motools cache clear``): the next run of those steps runs again.

Only the cache entries go: the runs that produced them keep their results, and atoms stay
(they are content-addressed and may be shared).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from motools.store.db import Store


def clear_cache(store: Store, *, step: str | None = None, sweep_id: int | None = None) -> int:
    """Delete the cache entries of ``step`` and/or produced by the runs of ``sweep_id``; returns how many."""
    sql = "DELETE FROM cache WHERE 1 = 1"
    params: list[object] = []
    if step is not None:
        sql += " AND step_name = ?"
        params.append(step)
    if sweep_id is not None:
        sql += " AND run_id IN (SELECT id FROM runs WHERE sweep_id = ?)"
        params.append(sweep_id)
    with store.transaction() as c:
        return c.execute(sql, params).rowcount


__all__ = ["clear_cache"]
