"""Friend requests and friendships on PostgreSQL.

Creating and accepting a request take a transaction-level advisory lock on the pair, so
the checks (already friends? a request pending either way?) and the write are atomic
against any concurrent writer for the same two users, in any process. The unique index
on the unordered pair backs this up: two pending requests between the same users cannot
exist even if a writer skipped the lock.
"""

from __future__ import annotations

from typing import Any

import asyncpg

from chinwag.errors import conflict, not_found
from chinwag.friends.models import FriendRequest
from chinwag.store.postgres.db import Database
from chinwag.store.postgres.direct import refresh_direct
from chinwag.store.postgres.tags import affected

_REQ_COLS = "id, from_user_id, to_user_id, created_at"


def _request(row: Any) -> FriendRequest:
    return FriendRequest(row[0], row[1], row[2], row[3])


async def _lock_pair(conn: Any, a: str, b: str) -> None:
    key = "friends:" + ":".join(sorted((a, b)))
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", key)


class PostgresFriends:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create_request(self, request: FriendRequest) -> FriendRequest:
        a, b = request.from_user_id, request.to_user_id
        async with self._db.transaction() as conn:
            await _lock_pair(conn, a, b)
            state = await conn.fetchrow(
                "SELECT EXISTS (SELECT 1 FROM friendships WHERE user_id = $1 AND friend_id = $2),"
                " (SELECT from_user_id FROM friend_requests"
                "   WHERE (from_user_id = $1 AND to_user_id = $2)"
                "      OR (from_user_id = $2 AND to_user_id = $1) LIMIT 1),"
                " EXISTS (SELECT 1 FROM users WHERE id = $2)",
                a,
                b,
            )
            already_friends, pending_from, target_exists = state
            if already_friends:
                raise conflict("already friends")
            if pending_from == a:
                raise conflict("a friend request to this user is already pending")
            if pending_from is not None:
                raise conflict("this user has already sent you a friend request; accept it")
            if not target_exists:
                raise not_found("no such user")
            try:
                await conn.execute(
                    f"INSERT INTO friend_requests ({_REQ_COLS}) VALUES ($1, $2, $3, $4)",
                    request.id,
                    a,
                    b,
                    request.created_at,
                )
            except asyncpg.ForeignKeyViolationError:
                raise not_found("no such user") from None
            except asyncpg.UniqueViolationError:
                raise conflict("a friend request between you is already pending") from None
        return request

    async def get_request(self, request_id: str) -> FriendRequest | None:
        row = await self._db.fetchrow(
            f"SELECT {_REQ_COLS} FROM friend_requests WHERE id = $1", request_id
        )
        return _request(row) if row else None

    async def requests_of(self, user_id: str) -> tuple[list[FriendRequest], list[FriendRequest]]:
        rows = await self._db.fetch(
            f"SELECT {_REQ_COLS} FROM friend_requests WHERE to_user_id = $1 OR from_user_id = $1"
            " ORDER BY created_at, id",
            user_id,
        )
        requests = [_request(r) for r in rows]
        incoming = [r for r in requests if r.to_user_id == user_id]
        outgoing = [r for r in requests if r.from_user_id == user_id]
        return incoming, outgoing

    async def accept_request(self, request: FriendRequest, at: int) -> None:
        a, b = request.from_user_id, request.to_user_id
        async with self._db.transaction() as conn:
            await _lock_pair(conn, a, b)
            status = await conn.execute("DELETE FROM friend_requests WHERE id = $1", request.id)
            if affected(status) == 0:
                raise not_found("no such friend request")
            await conn.execute(
                "INSERT INTO friendships (user_id, friend_id, created_at)"
                " VALUES ($1, $2, $3), ($2, $1, $3) ON CONFLICT DO NOTHING",
                a,
                b,
                at,
            )
            await refresh_direct(conn, a, b)

    async def delete_request(self, request_id: str) -> bool:
        status = await self._db.execute("DELETE FROM friend_requests WHERE id = $1", request_id)
        return affected(status) > 0

    async def friend_ids(self, user_id: str) -> list[str]:
        rows = await self._db.fetch(
            "SELECT friend_id FROM friendships WHERE user_id = $1 ORDER BY created_at, friend_id",
            user_id,
        )
        return [r[0] for r in rows]

    async def are_friends(self, a: str, b: str) -> bool:
        row = await self._db.fetchrow(
            "SELECT 1 FROM friendships WHERE user_id = $1 AND friend_id = $2", a, b
        )
        return row is not None

    async def remove_friend(self, a: str, b: str) -> bool:
        async with self._db.transaction() as conn:
            await _lock_pair(conn, a, b)
            status = await conn.execute(
                "DELETE FROM friendships WHERE (user_id = $1 AND friend_id = $2)"
                " OR (user_id = $2 AND friend_id = $1)",
                a,
                b,
            )
            # Their direct channel closes to new messages in the same transaction.
            await refresh_direct(conn, a, b)
        return affected(status) > 0
