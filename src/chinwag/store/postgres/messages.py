"""Messages, history and the per-user inbox on PostgreSQL.

Sends go through `BatchAppender` (appends.py): the sends that arrive while a batch is
being written are stored together, in one call of `chinwag_append_batch`
(migrations/*_append_batch.sql), one round trip and one transaction. Nothing is returned
before COMMIT.

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

from chinwag.messaging.models import InboxEntry, Message, SendRefusal, SendRequest, Stored
from chinwag.store.postgres.appends import BatchAppender
from chinwag.store.postgres.db import Database
from chinwag.store.postgres.replica import ReadRouter

_MSG_COLS = "m.channel_id, m.message_id, m.sender_id, m.text, m.created_at, m.client_msg_id"
_NEWEST = 1 << 62
# Where a channel's messages and a user's inbox entries lie: per time bucket, the first
# message id or seq there. Every read looks here first, then reads each bucket it needs
# by its table's name, so each query prunes to one partition.
_CHANNEL_SPANS = (
    "SELECT bucket, first_message_id FROM channel_buckets WHERE channel_id = $1 ORDER BY bucket"
)
_INBOX_SPANS = "SELECT bucket, first_seq FROM inbox_buckets WHERE user_id = $1 ORDER BY bucket"


def _message(row: Any, at: int = 0) -> Message:
    return Message(row[at], row[at + 1], row[at + 2], row[at + 3], row[at + 4], row[at + 5])


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

    async def close(self) -> None:
        await self.appender.close()

    async def history(
        self, channel_id: str, *, before: int | None, after: int | None, limit: int
    ) -> list[Message]:
        upper = before if before is not None else _NEWEST

        async def read(conn: Any) -> list[Any]:
            found: list[Any] = []
            spans = await _spans(conn, _CHANNEL_SPANS, channel_id)
            if after is not None:
                for bucket, first, end in spans:
                    if end <= after + 1 or first >= upper or len(found) >= limit:
                        continue
                    found += await conn.fetch(
                        f"SELECT {_MSG_COLS} FROM messages_b{bucket} m WHERE m.channel_id = $1"
                        " AND m.message_id > $2 AND m.message_id < $3"
                        " ORDER BY m.message_id LIMIT $4",
                        channel_id,
                        after,
                        upper,
                        limit - len(found),
                    )
                return found
            for bucket, first, _ in reversed(spans):
                if first >= upper or len(found) >= limit:
                    continue
                found += await conn.fetch(
                    f"SELECT {_MSG_COLS} FROM messages_b{bucket} m WHERE m.channel_id = $1"
                    " AND m.message_id < $2 ORDER BY m.message_id DESC LIMIT $3",
                    channel_id,
                    upper,
                    limit - len(found),
                )
            found.reverse()
            return found

        return [_message(r) for r in await self._reads.run(read)]

    async def inbox_after(self, user_id: str, cursor: int, limit: int) -> list[InboxEntry]:
        async def read(conn: Any) -> list[Any]:
            found: list[Any] = []
            for bucket, _, end in await _spans(conn, _INBOX_SPANS, user_id):
                if end <= cursor + 1 or len(found) >= limit:
                    continue
                # A message and its inbox entries are always in the same bucket.
                found += await conn.fetch(
                    f"SELECT i.seq, {_MSG_COLS} FROM inbox_b{bucket} i JOIN messages_b{bucket} m"
                    " ON m.channel_id = i.channel_id AND m.message_id = i.message_id"
                    " WHERE i.user_id = $1 AND i.seq > $2 ORDER BY i.seq LIMIT $3",
                    user_id,
                    cursor,
                    limit - len(found),
                )
            return found

        return [InboxEntry(r[0], _message(r, 1)) for r in await self._reads.run(read)]

    async def inbox_head(self, user_id: str) -> int:
        # inbox_heads is written in the same transaction as the entries, so it is exact.
        seq = await self._db.fetchval("SELECT seq FROM inbox_heads WHERE user_id = $1", user_id)
        return int(seq) if seq is not None else 0
