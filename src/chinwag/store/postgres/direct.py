"""Whether a direct channel takes new messages, kept in the channel row.

A direct channel is open while its two users are friends. Every change to a fact that
decides it (a friendship ended or made; blocks, later) calls `refresh_direct` in the
same transaction. The update takes the channel row lock that every send takes too, so a
send ordered after the change sees it; `chinwag_append` reads the flag from the row it
already updates, so the rule costs nothing per message.
"""

from __future__ import annotations

from typing import Any


def direct_key(a: str, b: str) -> str:
    return ":".join(sorted((a, b)))


async def refresh_direct(conn: Any, a: str, b: str) -> None:
    """Open or close the pair's direct channel (if they have one) to match the facts."""
    await conn.execute(
        "UPDATE channels SET closed = NOT EXISTS"
        " (SELECT 1 FROM friendships WHERE user_id = $1 AND friend_id = $2)"
        " WHERE direct_key = $3",
        a,
        b,
        direct_key(a, b),
    )
