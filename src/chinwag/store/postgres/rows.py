"""Message rows on PostgreSQL as Messages, with their reactions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chinwag.messaging.models import Message, Reactions

MSG_COLS = (
    "m.channel_id, m.message_id, m.sender_id, m.text, m.created_at, m.client_msg_id,"
    " m.reply_to, m.mentions, m.edited_at, m.deleted"
)
NCOLS = 10


def to_message(row: Sequence[Any], at: int = 0, reactions: Reactions = ()) -> Message:
    r = row
    return Message(
        r[at],
        r[at + 1],
        r[at + 2],
        r[at + 3],
        r[at + 4],
        r[at + 5],
        r[at + 6],
        tuple(r[at + 7]),
        r[at + 8],
        r[at + 9],
        reactions,
    )


async def with_reactions(conn: Any, rows: Sequence[Any], at: int = 0) -> list[Message]:
    """Messages of `MSG_COLS` rows (from column `at`) with their reactions: one read."""
    if not rows:
        return []
    keys = {(r[at], r[at + 1]) for r in rows}
    found: dict[tuple[str, int], dict[str, list[str]]] = {}
    for cid, mid, emoji, user_id in await conn.fetch(
        "SELECT r.channel_id, r.message_id, r.emoji, r.user_id FROM reactions r"
        " JOIN unnest($1::text[], $2::bigint[]) AS k (channel_id, message_id)"
        " ON r.channel_id = k.channel_id AND r.message_id = k.message_id"
        " ORDER BY r.channel_id, r.message_id, r.created_at, r.user_id",
        [k[0] for k in keys],
        [k[1] for k in keys],
    ):
        found.setdefault((cid, mid), {}).setdefault(emoji, []).append(user_id)
    out = []
    for r in rows:
        by_emoji = found.get((r[at], r[at + 1]))
        reactions = tuple((e, tuple(u)) for e, u in by_emoji.items()) if by_emoji else ()
        out.append(to_message(r, at, reactions))
    return out
