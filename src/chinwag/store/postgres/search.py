"""Search on PostgreSQL: every term as a case-insensitive substring (ILIKE) of the current
text, asked once per channel of the caller (the channels the user is in now, messages
since they joined): the GIN index on (channel_id, text trigrams) (migrations/0013)
answers each with the channel's entries only, so a query costs what the caller can see,
not what the store holds. Terms shorter than a trigram are checked on the channel's
rows the index gives."""

from __future__ import annotations

from typing import Any

from chinwag.messaging.models import Message
from chinwag.messaging.search import SearchQuery
from chinwag.store.postgres.rows import MSG_COLS, with_reactions

# The index's own predicate: never an end-to-end encrypted body, never a deleted one.
INDEXED = "m.text NOT LIKE E'\\001%' AND NOT m.deleted"
TRIGRAM = 3


def _like(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


async def search(conn: Any, q: SearchQuery) -> list[Message]:
    # One ILIKE per term (never ILIKE ALL of an array, which no index answers): the
    # index combines the channel's entry with each term's trigrams.
    args: list[Any] = [q.user_id, q.limit, *(_like(t) for t in q.terms)]
    # A term shorter than a trigram gives pg_trgm no trigram: handed to the index it
    # would read the whole trigram column. As `text || ''` the index never sees it, and
    # it is checked on the rows the channel's entries (and the longer terms) give.
    likes = " AND ".join(
        f"m.text ILIKE ${n}" if len(t) >= TRIGRAM else f"(m.text || '') ILIKE ${n}"
        for n, t in enumerate(q.terms, start=3)
    )
    inner = (
        f"SELECT {MSG_COLS} FROM messages m"
        " WHERE m.channel_id = mb.channel_id AND m.created_at >= mb.joined_at"
        f" AND {likes} AND {INDEXED}"
    )
    if q.before is not None:
        args.append(q.before)
        inner += f" AND m.message_id < ${len(args)}"
    outer = "WHERE mb.user_id = $1"
    if q.channel_id is not None:
        args.append(q.channel_id)
        outer += f" AND mb.channel_id = ${len(args)}"
    order = "ORDER BY created_at DESC, message_id DESC LIMIT $2"
    sql = f"SELECT f.* FROM members mb CROSS JOIN LATERAL ({inner} {order}) f {outer} {order}"
    async with conn.transaction():
        # The planner prices the per-channel subquery once per partition of every time
        # bucket, far above jit_above_cost, and JIT then compiles for seconds a query that
        # runs in milliseconds.
        await conn.execute("SET LOCAL jit = off")
        rows = await conn.fetch(sql, *args)
    return await with_reactions(conn, rows)
