"""Whether a direct channel takes new messages, kept in the channel row.

A direct channel is open while its two users are friends. Every change to a fact that
decides it (a friendship ended or made; blocks, later) calls `refresh_direct` in the
same transaction, so the send path checks one flag it already reads with the channel,
and pays nothing per message for the rule.
"""

from __future__ import annotations

import sqlite3

from chinwag.store.sqlite.db import WriterState


def direct_key(a: str, b: str) -> str:
    return ":".join(sorted((a, b)))


def refresh_direct(conn: sqlite3.Connection, state: WriterState, a: str, b: str) -> None:
    """Open or close the pair's direct channel (if they have one) to match the facts."""
    row = conn.execute(
        "UPDATE channels SET closed = NOT EXISTS"
        " (SELECT 1 FROM friendships WHERE user_id = ? AND friend_id = ?)"
        " WHERE direct_key = ? RETURNING id",
        (a, b, direct_key(a, b)),
    ).fetchone()
    if row is not None:
        # The writer's cached member list stands for who may write: reload it.
        state.members.pop(row[0], None)
