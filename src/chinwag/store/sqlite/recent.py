"""Rows gathered in a small rowid table and moved, in key order, into the table they
belong to by the writer's background step. inbox.py and history.py say why each does it.

A key's rows in the big table (a user's inbox, a conversation's history) share leaf
pages, but a commit at window 1 holds a row for many keys, so writing each in place took
a leaf page, a 4 KiB log frame, for a row of tens of bytes. Appended to a rowid table,
a commit's rows share its last pages instead; a move then writes each key's page once
for all the rows that key gathered."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

# Rows gathered before a move begins (for the inbox: a read scans up to about this many
# rows of `inbox_recent`), so a move finds RECENT_MOVE / keys rows of each key, on one
# page of the big table.
RECENT_MOVE = 4096
# About this many rows a step (a key's stay together): a step holds the writer ~5 ms,
# so a move takes a few steps between the commits.
MOVE_CHUNK = 1024


class Move:
    """The background step's part for one gathered table. Once `gather` rows wait in
    `source` (or the writer is quiet), a move takes all that wait then, in key order,
    about `chunk` a step, deleting them from `source` in the same transaction: each row
    is in exactly one of the two tables in every snapshot, each step writes each key's
    page of `target` once for all that key's rows, and holds the writer for about
    `chunk` rows. `moved` is called after each step."""

    def __init__(
        self,
        source: str,
        target: str,
        columns: str,
        order: str,
        *,
        gather: int,
        chunk: int,
        moved: Callable[[], None] | None = None,
    ) -> None:
        self.source, self.target, self.columns, self.order = source, target, columns, order
        self.key = order.split(",")[0].strip()  # rows of one key move together
        self.gather = gather
        self.chunk = chunk
        self.moved = moved
        self.upto = 0  # the newest row of the move under way
        # The key the move under way goes on from; None: no move under way.
        self.next: str | None = None

    def __call__(self, conn: sqlite3.Connection, busy: bool, quiet: bool) -> bool:
        """Inside the writer's transaction; True if there are more to move now."""
        if self.next is None and not self._begin(conn, quiet):
            return False
        first = self.next
        assert first is not None
        # Up to the key `chunk` rows on, whole keys (a key's rows are never split across
        # steps): found in the table, so a move holds no list of its keys in memory.
        src, key, upto = self.source, self.key, self.upto
        row = conn.execute(
            f"SELECT {key} FROM {src} WHERE id <= ?1 AND {key} >= ?2 ORDER BY {key}"
            " LIMIT 1 OFFSET ?3",
            (upto, first, self.chunk),
        ).fetchone()
        end = None if row is None else row[0]
        if end == first:
            end = conn.execute(
                f"SELECT min({key}) FROM {src} WHERE id <= ?1 AND {key} > ?2", (upto, first)
            ).fetchone()[0]
        where = f"id <= ?1 AND {key} >= ?2" + ("" if end is None else f" AND {key} < ?3")
        args = (upto, first) if end is None else (upto, first, end)
        conn.execute(
            f"INSERT INTO {self.target} ({self.columns}) SELECT {self.columns}"
            f" FROM {src} WHERE {where} ORDER BY {self.order}",
            args,
        )
        conn.execute(f"DELETE FROM {src} WHERE {where}", args)
        if self.moved is not None:
            self.moved()
        self.next = end
        return end is not None

    def _begin(self, conn: sqlite3.Connection, quiet: bool) -> bool:
        lo, hi = conn.execute(f"SELECT min(id), max(id) FROM {self.source}").fetchone()
        if lo is None or (not quiet and hi - lo + 1 < self.gather):
            return False
        self.upto = hi
        self.next = conn.execute(
            f"SELECT min({self.key}) FROM {self.source} WHERE id <= ?", (hi,)
        ).fetchone()[0]
        return True
