"""Friends on SQLite."""

from __future__ import annotations

import sqlite3

from chinwag.errors import conflict, not_found
from chinwag.friends.models import FriendRequest
from chinwag.store.sqlite.db import Database, WriterState
from chinwag.store.sqlite.direct import refresh_direct

_REQ_COLS = "id, from_user_id, to_user_id, created_at"


class SqliteFriends:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create_request(self, request: FriendRequest) -> FriendRequest:
        a, b = request.from_user_id, request.to_user_id

        def job(conn: sqlite3.Connection, _: WriterState) -> FriendRequest:
            if conn.execute(
                "SELECT 1 FROM friendships WHERE user_id = ? AND friend_id = ?", (a, b)
            ).fetchone():
                raise conflict("already friends")
            pending = conn.execute(
                "SELECT from_user_id FROM friend_requests WHERE"
                " (from_user_id = ? AND to_user_id = ?) OR (from_user_id = ? AND to_user_id = ?)",
                (a, b, b, a),
            ).fetchone()
            if pending:
                if pending[0] == a:
                    raise conflict("a friend request to this user is already pending")
                raise conflict("this user has already sent you a friend request; accept it")
            if not conn.execute("SELECT 1 FROM users WHERE id = ?", (b,)).fetchone():
                raise not_found("no such user")
            conn.execute(
                f"INSERT INTO friend_requests ({_REQ_COLS}) VALUES (?, ?, ?, ?)",
                (request.id, a, b, request.created_at),
            )
            return request

        result: FriendRequest = await self._db.write(job)
        return result

    async def get_request(self, request_id: str) -> FriendRequest | None:
        def q(conn: sqlite3.Connection) -> FriendRequest | None:
            row = conn.execute(
                f"SELECT {_REQ_COLS} FROM friend_requests WHERE id = ?", (request_id,)
            ).fetchone()
            return FriendRequest(*row) if row else None

        return await self._db.read(q)

    async def requests_of(self, user_id: str) -> tuple[list[FriendRequest], list[FriendRequest]]:
        def q(conn: sqlite3.Connection) -> tuple[list[FriendRequest], list[FriendRequest]]:
            incoming = conn.execute(
                f"SELECT {_REQ_COLS} FROM friend_requests WHERE to_user_id = ?"
                " ORDER BY created_at, id",
                (user_id,),
            ).fetchall()
            outgoing = conn.execute(
                f"SELECT {_REQ_COLS} FROM friend_requests WHERE from_user_id = ?"
                " ORDER BY created_at, id",
                (user_id,),
            ).fetchall()
            return [FriendRequest(*r) for r in incoming], [FriendRequest(*r) for r in outgoing]

        return await self._db.read(q)

    async def accept_request(self, request: FriendRequest, at: int) -> None:
        a, b = request.from_user_id, request.to_user_id

        def job(conn: sqlite3.Connection, state: WriterState) -> None:
            gone = conn.execute("DELETE FROM friend_requests WHERE id = ?", (request.id,))
            if gone.rowcount == 0:
                raise not_found("no such friend request")
            conn.executemany(
                "INSERT OR IGNORE INTO friendships (user_id, friend_id, created_at)"
                " VALUES (?, ?, ?)",
                [(a, b, at), (b, a, at)],
            )
            refresh_direct(conn, state, a, b)

        await self._db.write(job)

    async def delete_request(self, request_id: str) -> bool:
        def job(conn: sqlite3.Connection, _: WriterState) -> bool:
            cur = conn.execute("DELETE FROM friend_requests WHERE id = ?", (request_id,))
            return cur.rowcount > 0

        result: bool = await self._db.write(job)
        return result

    async def friend_ids(self, user_id: str) -> list[str]:
        def q(conn: sqlite3.Connection) -> list[str]:
            rows = conn.execute(
                "SELECT friend_id FROM friendships WHERE user_id = ?"
                " ORDER BY created_at, friend_id",
                (user_id,),
            ).fetchall()
            return [r[0] for r in rows]

        return await self._db.read(q)

    async def are_friends(self, a: str, b: str) -> bool:
        def q(conn: sqlite3.Connection) -> bool:
            return (
                conn.execute(
                    "SELECT 1 FROM friendships WHERE user_id = ? AND friend_id = ?", (a, b)
                ).fetchone()
                is not None
            )

        return await self._db.read(q)

    async def remove_friend(self, a: str, b: str) -> bool:
        def job(conn: sqlite3.Connection, state: WriterState) -> bool:
            cur = conn.execute(
                "DELETE FROM friendships WHERE (user_id = ? AND friend_id = ?)"
                " OR (user_id = ? AND friend_id = ?)",
                (a, b, b, a),
            )
            # Their direct channel closes to new messages in the same transaction.
            refresh_direct(conn, state, a, b)
            return cur.rowcount > 0

        result: bool = await self._db.write(job)
        return result
