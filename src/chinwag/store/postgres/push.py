"""Push subscriptions on PostgreSQL.

A subscription id used twice is a `conflict` and one naming an unknown user `not_found`,
so neither reaches clients as a server error.
"""

from __future__ import annotations

from typing import Any

import asyncpg

from chinwag.errors import conflict, not_found
from chinwag.push.models import PushSubscription
from chinwag.store.postgres.db import Database
from chinwag.store.postgres.tags import affected

_COLS = "id, user_id, device_id, kind, endpoint, p256dh, auth, token, created_at"


def _subscription(row: Any) -> PushSubscription:
    return PushSubscription(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8])


class PostgresPush:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add_subscription(self, sub: PushSubscription) -> None:
        try:
            await self._db.execute(
                f"INSERT INTO push_subscriptions ({_COLS})"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                sub.id,
                sub.user_id,
                sub.device_id,
                sub.kind,
                sub.endpoint,
                sub.p256dh,
                sub.auth,
                sub.token,
                sub.created_at,
            )
        except asyncpg.UniqueViolationError:
            raise conflict("push subscription already exists") from None
        except asyncpg.ForeignKeyViolationError:
            raise not_found("no such user") from None

    async def delete_subscription(self, sub_id: str, user_id: str) -> bool:
        status = await self._db.execute(
            "DELETE FROM push_subscriptions WHERE id = $1 AND user_id = $2", sub_id, user_id
        )
        return affected(status) > 0

    async def forget_subscription(self, sub_id: str) -> None:
        await self._db.execute("DELETE FROM push_subscriptions WHERE id = $1", sub_id)

    async def subscriptions_of(self, user_id: str) -> list[PushSubscription]:
        rows = await self._db.fetch(
            f"SELECT {_COLS} FROM push_subscriptions WHERE user_id = $1 ORDER BY created_at, id",
            user_id,
        )
        return [_subscription(r) for r in rows]

    async def delete_device_subscriptions(self, device_id: str) -> int:
        status = await self._db.execute(
            "DELETE FROM push_subscriptions WHERE device_id = $1", device_id
        )
        return affected(status)
