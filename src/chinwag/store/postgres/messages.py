"""Messages, history and the per-user inbox on PostgreSQL.

Sends go through `BatchAppender` (appends.py): the sends that arrive while a batch is
being written are stored together, in one call of `chinwag_append_batch` (migration
0004), one round trip and one transaction. Nothing is returned before COMMIT.

History and inbox reads always carry the partition key (channel_id for messages, user_id
for the inbox), so each touches one partition.
"""

from __future__ import annotations

import asyncio
from typing import Any

from chinwag.messaging.models import InboxEntry, Message, SendRefusal, SendRequest, Stored
from chinwag.store.postgres.appends import BatchAppender
from chinwag.store.postgres.db import Database

_MSG_COLS = "m.channel_id, m.message_id, m.sender_id, m.text, m.created_at, m.client_msg_id"
_NEWEST = 1 << 62


def _message(row: Any, at: int = 0) -> Message:
    return Message(row[at], row[at + 1], row[at + 2], row[at + 3], row[at + 4], row[at + 5])


class PostgresMessages:
    def __init__(self, db: Database, appender: BatchAppender | None = None) -> None:
        self._db = db
        self.appender = appender or BatchAppender(db)

    def append(self, request: SendRequest) -> asyncio.Future[Stored | SendRefusal]:
        return self.appender.append(request)

    async def close(self) -> None:
        await self.appender.close()

    async def history(
        self, channel_id: str, *, before: int | None, after: int | None, limit: int
    ) -> list[Message]:
        upper = before if before is not None else _NEWEST
        if after is not None:
            rows = await self._db.fetch(
                f"SELECT {_MSG_COLS} FROM messages m WHERE m.channel_id = $1"
                " AND m.message_id > $2 AND m.message_id < $3 ORDER BY m.message_id LIMIT $4",
                channel_id,
                after,
                upper,
                limit,
            )
            return [_message(r) for r in rows]
        rows = await self._db.fetch(
            f"SELECT {_MSG_COLS} FROM messages m WHERE m.channel_id = $1 AND m.message_id < $2"
            " ORDER BY m.message_id DESC LIMIT $3",
            channel_id,
            upper,
            limit,
        )
        return [_message(r) for r in reversed(rows)]

    async def inbox_after(self, user_id: str, cursor: int, limit: int) -> list[InboxEntry]:
        rows = await self._db.fetch(
            f"SELECT i.seq, {_MSG_COLS} FROM inbox i JOIN messages m"
            " ON m.channel_id = i.channel_id AND m.message_id = i.message_id"
            " WHERE i.user_id = $1 AND i.seq > $2 ORDER BY i.seq LIMIT $3",
            user_id,
            cursor,
            limit,
        )
        return [InboxEntry(r[0], _message(r, 1)) for r in rows]

    async def inbox_head(self, user_id: str) -> int:
        # inbox_heads is written in the same transaction as the entries, so it is exact.
        seq = await self._db.fetchval("SELECT seq FROM inbox_heads WHERE user_id = $1", user_id)
        return int(seq) if seq is not None else 0
