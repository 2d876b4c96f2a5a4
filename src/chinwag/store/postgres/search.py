"""Search on PostgreSQL: every term as a case-insensitive substring (ILIKE) of the current
text, which the pg_trgm GIN index (migrations/0011) answers for terms of three
characters or more; membership (channels the user is in now, messages since they
joined) is joined in, so nothing the user may not see is ever read back."""

from __future__ import annotations

from typing import Any

from chinwag.messaging.models import Message
from chinwag.messaging.search import SearchQuery
from chinwag.store.postgres.rows import MSG_COLS, with_reactions

NOT_ENCRYPTED = "m.text NOT LIKE E'\\001%'"


def _like(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


async def search(conn: Any, q: SearchQuery) -> list[Message]:
    # One ILIKE per term (never ILIKE ALL of an array, which no index answers): the
    # planner combines the trigram index's bitmaps.
    args: list[Any] = [q.user_id, *(_like(t) for t in q.terms)]
    likes = " AND ".join(f"m.text ILIKE ${n}" for n in range(2, len(args) + 1))
    sql = (
        f"SELECT {MSG_COLS} FROM messages m"
        " JOIN members mb ON mb.channel_id = m.channel_id AND mb.user_id = $1"
        f" WHERE {likes} AND NOT m.deleted AND m.created_at >= mb.joined_at"
        # The trigram index's own predicate: never an end-to-end encrypted body.
        f" AND {NOT_ENCRYPTED}"
    )
    if q.channel_id is not None:
        args.append(q.channel_id)
        sql += f" AND m.channel_id = ${len(args)}"
    if q.before is not None:
        args.append(q.before)
        sql += f" AND m.message_id < ${len(args)}"
    args.append(q.limit)
    sql += f" ORDER BY m.created_at DESC, m.message_id DESC LIMIT ${len(args)}"
    rows = await conn.fetch(sql, *args)
    return await with_reactions(conn, rows)
