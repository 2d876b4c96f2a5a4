"""Messages, history and the per-user inbox on PostgreSQL.

`append` is one call of the `chinwag_append` function (migration 0002), so a send is one
round trip and one transaction; see that file for what it guarantees. PostgreSQL already
shares one WAL flush among transactions committing at the same moment, so concurrent
sends get group commit without batching them here. Nothing is returned before COMMIT.

History and inbox reads always carry the partition key (channel_id for messages, user_id
for the inbox), so each touches one partition.
"""

from __future__ import annotations

from typing import Any

import asyncpg

from chinwag.errors import unavailable
from chinwag.messaging.models import InboxEntry, Message, SendRefusal, SendRequest, Stored
from chinwag.store.postgres.db import Database
from chinwag.store.postgres.member_cache import NO_VERSION, MemberCache

_APPEND = (
    "SELECT o_outcome, o_channel_id, o_message_id, o_sender_id, o_text, o_created_at,"
    " o_client_msg_id, o_fanout, o_members_version, o_member_ids, o_seqs"
    " FROM chinwag_append($1, $2, $3, $4, $5, $6, $7)"
)
# Raised by chinwag_append when the sender is not a member, or the channel is closed to
# new messages (both roll back the increment).
_NOT_MEMBER = "CW403"
_CLOSED = "CW423"
# Retries after a lost race with a concurrent resend (or a deadlock, which consistent
# lock ordering should rule out). One retry normally settles it.
_ATTEMPTS = 5

_MSG_COLS = "m.channel_id, m.message_id, m.sender_id, m.text, m.created_at, m.client_msg_id"
_NEWEST = 1 << 62


def _message(row: Any, at: int = 0) -> Message:
    return Message(row[at], row[at + 1], row[at + 2], row[at + 3], row[at + 4], row[at + 5])


class PostgresMessages:
    def __init__(self, db: Database, member_cache: MemberCache | None = None) -> None:
        self._db = db
        self._members = member_cache or MemberCache()

    async def append(self, request: SendRequest) -> Stored | SendRefusal:
        for _ in range(_ATTEMPTS):
            cached = self._members.get(request.channel_id)
            try:
                row = await self._db.fetchrow(
                    _APPEND,
                    request.channel_id,
                    request.sender_id,
                    request.device_id,
                    request.client_msg_id,
                    request.text,
                    request.created_at,
                    cached[0] if cached else NO_VERSION,
                )
            except asyncpg.UniqueViolationError as exc:
                if exc.constraint_name != "sends_pkey":
                    raise
                continue  # a concurrent resend committed first: the retry returns it
            except asyncpg.exceptions.TransactionRollbackError:
                continue
            except asyncpg.PostgresError as exc:
                if exc.sqlstate == _NOT_MEMBER:
                    return SendRefusal.NOT_MEMBER
                if exc.sqlstate == _CLOSED:
                    return SendRefusal.CLOSED
                raise
            return self._outcome(request, row, cached)
        raise unavailable("the message could not be stored, retry")

    def _outcome(
        self, request: SendRequest, row: Any, cached: tuple[int, tuple[str, ...]] | None
    ) -> Stored | SendRefusal:
        outcome = row["o_outcome"]
        if outcome == "no_channel":
            return SendRefusal.NO_CHANNEL
        if outcome == "duplicate":
            return Stored(_message(row, 1), {}, (), duplicate=True)
        message = Message(
            request.channel_id,
            row["o_message_id"],
            request.sender_id,
            request.text,
            request.created_at,
            request.client_msg_id,
        )
        ids = row["o_member_ids"]
        if row["o_fanout"] == "write":
            return Stored(message, dict(zip(ids, row["o_seqs"], strict=True)), tuple(ids))
        version = row["o_members_version"]
        if ids is None:
            # The database confirmed that the list we sent the version of is current.
            assert cached is not None and cached[0] == version
            members = cached[1]
        else:
            members = tuple(ids)
            self._members.put(request.channel_id, version, members)
        return Stored(message, {}, members)

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
