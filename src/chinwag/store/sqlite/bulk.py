"""Many rows in a few statements.

Every statement's step releases the GIL and takes it back, and on a busy server the
event loop holds it meanwhile: at window 1 the writer spent about a fifth of its time
waiting to take it back after a statement. So a commit's sends write their rows with
multi-row statements, a few a commit, instead of one or two a send.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

# Rows a statement: a run of rows is cut into these, largest first, so only a few
# statement texts exist (the module caches the compiled ones).
SIZES = (64, 16, 4, 1)


def insert(head: str, columns: int) -> Values:
    """`head VALUES ...`: an INSERT of `columns` columns, for any number of rows."""
    return Values(head + " VALUES {values}", columns)


class Values:
    """A statement with a `VALUES` list of `columns` columns (`{values}` in `sql`), for
    any number of rows; the rows it selects, all together."""

    def __init__(self, sql: str, columns: int) -> None:
        one = "(" + ", ".join("?" * columns) + ")"
        self._sql = {size: sql.format(values=", ".join([one] * size)) for size in SIZES}

    def __call__(self, conn: sqlite3.Connection, rows: Sequence[Sequence[object]]) -> list[Any]:
        found: list[Any] = []
        start, n = 0, len(rows)
        for size in SIZES:
            sql = self._sql[size]
            while n - start >= size:
                found += conn.execute(sql, [v for row in rows[start : start + size] for v in row])
                start += size
        return found
