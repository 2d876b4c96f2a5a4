"""Push subscriptions on SQLite."""

from __future__ import annotations

import sqlite3

from chinwag.push.models import PushSubscription
from chinwag.store.sqlite.db import Database, WriterState

_COLS = "id, user_id, device_id, kind, endpoint, p256dh, auth, token, created_at"


class SqlitePush:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add_subscription(self, sub: PushSubscription) -> None:
        def job(conn: sqlite3.Connection, _: WriterState) -> None:
            conn.execute(
                f"INSERT INTO push_subscriptions ({_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    sub.id,
                    sub.user_id,
                    sub.device_id,
                    sub.kind,
                    sub.endpoint,
                    sub.p256dh,
                    sub.auth,
                    sub.token,
                    sub.created_at,
                ),
            )

        await self._db.write(job)

    async def delete_subscription(self, sub_id: str, user_id: str) -> bool:
        def job(conn: sqlite3.Connection, _: WriterState) -> bool:
            cur = conn.execute(
                "DELETE FROM push_subscriptions WHERE id = ? AND user_id = ?", (sub_id, user_id)
            )
            return cur.rowcount > 0

        result: bool = await self._db.write(job)
        return result

    async def forget_subscription(self, sub_id: str) -> None:
        def job(conn: sqlite3.Connection, _: WriterState) -> None:
            conn.execute("DELETE FROM push_subscriptions WHERE id = ?", (sub_id,))

        await self._db.write(job)

    async def subscriptions_of(self, user_id: str) -> list[PushSubscription]:
        def q(conn: sqlite3.Connection) -> list[PushSubscription]:
            rows = conn.execute(
                f"SELECT {_COLS} FROM push_subscriptions WHERE user_id = ? ORDER BY created_at",
                (user_id,),
            ).fetchall()
            return [PushSubscription(*r) for r in rows]

        return await self._db.read(q)

    async def delete_device_subscriptions(self, device_id: str) -> int:
        def job(conn: sqlite3.Connection, _: WriterState) -> int:
            return conn.execute(
                "DELETE FROM push_subscriptions WHERE device_id = ?", (device_id,)
            ).rowcount

        result: int = await self._db.write(job)
        return result
