"""Messages, history and the per-user inbox on PostgreSQL.

Sends go through `BatchAppender` (appends.py): the sends that arrive while a batch is
being written are stored together, in one call of `chinwag_append_checked`, which checks
each send against its channel's end-to-end encryption and passes them on to
`chinwag_append_batch` (migrations/*_append_encrypted.sql, *_append_batch.sql): one round
trip and one transaction. Nothing is returned before COMMIT.

History and sync reads go through `ReadRouter` (replica.py): to a streaming replica when
one is configured and has replayed every acknowledged write, else to the primary. A
search over messages belongs there too.

Messages and inbox entries are partitioned by month (time buckets,
migrations/*_time_buckets.sql) and then by key; reads find the buckets they need
(`_spans`) and query each bucket's tables with the partition key (channel_id for
messages, user_id for the inbox), so each query touches one partition.
"""

from __future__ import annotations

import asyncio
from typing import Any

from chinwag.messaging.models import (
    Change,
    Changed,
    ChangeRefusal,
    InboxEntry,
    Message,
    SendRefusal,
    SendRequest,
    Stored,
    Version,
)
from chinwag.messaging.search import SearchQuery
from chinwag.messaging.store import Then, then_of
from chinwag.store.postgres.appends import BatchAppender
from chinwag.store.postgres.changes import change_message, one_message, versions
from chinwag.store.postgres.db import Database
from chinwag.store.postgres.replica import ReadRouter
from chinwag.store.postgres.rows import MSG_COLS, with_reactions
from chinwag.store.postgres.search import search

_NEWEST = 1 << 62
# Where a channel's messages and a user's inbox entries lie: per time bucket, the first
# message id or seq there. Every read looks here first, then reads each bucket it needs
# by its table's name, so each query prunes to one partition.
_CHANNEL_SPANS = (
    "SELECT bucket, first_message_id FROM channel_buckets WHERE channel_id = $1 ORDER BY bucket"
)
_INBOX_SPANS = "SELECT bucket, first_seq FROM inbox_buckets WHERE user_id = $1 ORDER BY bucket"


async def _spans(conn: Any, sql: str, key: str) -> list[tuple[int, int, int]]:
    """(bucket, first, end) per bucket, oldest first: ids (or seqs) first <= x < end."""
    rows = await conn.fetch(sql, key)
    ends = [r[1] for r in rows[1:]] + [_NEWEST] if rows else []
    return [(int(r[0]), r[1], end) for r, end in zip(rows, ends, strict=True)]


class PostgresMessages:
    def __init__(
        self, db: Database, reads: ReadRouter | None = None, appender: BatchAppender | None = None
    ) -> None:
        self._db = db
        # History and sync reads (and search, when it exists) run through here: on a
        # streaming replica when one is configured and has caught up, else the primary.
        self._reads = reads or ReadRouter(db)
        self.appender = appender or BatchAppender(db)

    def append(self, request: SendRequest) -> asyncio.Future[Stored | SendRefusal]:
        return self.appender.append(request)

    def append_then(self, request: SendRequest, then: Then) -> None:
        then_of(self.appender.append(request), then)

    async def close(self) -> None:
        await self.appender.close()

    async def history(
        self, channel_id: str, *, before: int | None, after: int | None, limit: int
    ) -> list[Message]:
        upper = before if before is not None else _NEWEST

        async def read(conn: Any) -> list[Message]:
            found: list[Any] = []
            spans = await _spans(conn, _CHANNEL_SPANS, channel_id)
            if after is not None:
                for bucket, first, end in spans:
                    if end <= after + 1 or first >= upper or len(found) >= limit:
                        continue
                    found += await conn.fetch(
                        f"SELECT {MSG_COLS} FROM messages_b{bucket} m WHERE m.channel_id = $1"
                        " AND m.message_id > $2 AND m.message_id < $3"
                        " ORDER BY m.message_id LIMIT $4",
                        channel_id,
                        after,
                        upper,
                        limit - len(found),
                    )
                return await with_reactions(conn, found)
            for bucket, first, _ in reversed(spans):
                if first >= upper or len(found) >= limit:
                    continue
                found += await conn.fetch(
                    f"SELECT {MSG_COLS} FROM messages_b{bucket} m WHERE m.channel_id = $1"
                    " AND m.message_id < $2 ORDER BY m.message_id DESC LIMIT $3",
                    channel_id,
                    upper,
                    limit - len(found),
                )
            found.reverse()
            return await with_reactions(conn, found)

        return await self._reads.run(read)

    async def inbox_after(self, user_id: str, cursor: int, limit: int) -> list[InboxEntry]:
        async def read(conn: Any) -> list[InboxEntry]:
            found: list[Any] = []
            for bucket, _, end in await _spans(conn, _INBOX_SPANS, user_id):
                if end <= cursor + 1 or len(found) >= limit:
                    continue
                # A message and its inbox entries are always in the same bucket; a
                # change (event) may be in a later one than its message.
                found += await conn.fetch(
                    f"SELECT i.seq, i.event, i.channel_id, i.message_id, {MSG_COLS}"
                    f" FROM inbox_b{bucket} i LEFT JOIN messages_b{bucket} m"
                    " ON m.channel_id = i.channel_id AND m.message_id = i.message_id"
                    " WHERE i.user_id = $1 AND i.seq > $2 ORDER BY i.seq LIMIT $3",
                    user_id,
                    cursor,
                    limit - len(found),
                )
            return await _entries(conn, found)

        return await self._reads.run(read)

    async def message(self, channel_id: str, message_id: int) -> Message | None:
        async def read(conn: Any) -> Message | None:
            return await one_message(conn, channel_id, message_id)

        return await self._reads.run(read)

    async def change(
        self, channel_id: str, message_id: int, change: Change
    ) -> Changed | ChangeRefusal:
        async with self._db.transaction() as conn:
            return await change_message(conn, channel_id, message_id, change)

    async def members_named(self, channel_id: str, usernames: list[str]) -> list[str]:
        rows = await self._db.fetch(
            "SELECT u.id FROM users u JOIN members mb ON mb.user_id = u.id"
            " WHERE mb.channel_id = $1 AND u.username_key = ANY($2::text[])",
            channel_id,
            usernames,
        )
        return [r[0] for r in rows]

    async def search(self, query: SearchQuery) -> list[Message]:
        async def read(conn: Any) -> list[Message]:
            return await search(conn, query)

        return await self._reads.run(read)

    async def versions(self, channel_id: str, message_id: int) -> list[Version]:
        async with self._db.connection() as conn:  # the primary: right after an edit
            return await versions(conn, channel_id, message_id)

    async def inbox_head(self, user_id: str) -> int:
        # inbox_heads is written in the same transaction as the entries, so it is exact.
        seq = await self._db.fetchval("SELECT seq FROM inbox_heads WHERE user_id = $1", user_id)
        return int(seq) if seq is not None else 0


async def _entries(conn: Any, rows: list[Any]) -> list[InboxEntry]:
    """Inbox rows (seq, event, channel_id, message_id, message columns) as entries; a
    change whose message lies in an earlier bucket is read from there."""
    messages = await with_reactions(conn, [r for r in rows if r[4] is not None], 4)
    by_key = {(m.channel_id, m.message_id): m for m in messages}
    out = []
    for r in rows:
        m = by_key.get((r[2], r[3]))
        if m is None:
            m = await one_message(conn, r[2], r[3])
            if m is None:  # cannot happen: messages are never removed
                continue
            by_key[(r[2], r[3])] = m
        out.append(InboxEntry(r[0], m, r[1]))
    return out
