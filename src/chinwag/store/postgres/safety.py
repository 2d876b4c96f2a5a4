"""Blocks, mutes, reports, admins, devices and account erasure on PostgreSQL.

A block ends a friendship under the same advisory lock on the pair that friend requests
and acceptances take (friends.py), so a request racing a block cannot slip in after it.
"""

from __future__ import annotations

from typing import Any

from chinwag.messaging.models import Message
from chinwag.safety.models import AdminView, DeviceInfo, Erased, Report, Standing
from chinwag.store.postgres import revocations
from chinwag.store.postgres.accounts import _USER_COLS, _user
from chinwag.store.postgres.db import Database
from chinwag.store.postgres.direct import refresh_direct
from chinwag.store.postgres.friends import _lock_pair
from chinwag.store.postgres.tags import affected

_REPORT_COLS = "id, reporter_id, channel_id, message_id, sender_id, text, reason, created_at"


def _report(row: Any) -> Report:
    return Report(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7])


async def _end_friendship(conn: Any, a: str, b: str) -> bool:
    """End the friendship and any pending request between two users (the pair lock is
    held); True if they were friends. Their direct channel closes in the same transaction."""
    status = await conn.execute(
        "DELETE FROM friendships WHERE (user_id = $1 AND friend_id = $2)"
        " OR (user_id = $2 AND friend_id = $1)",
        a,
        b,
    )
    await conn.execute(
        "DELETE FROM friend_requests WHERE (from_user_id = $1 AND to_user_id = $2)"
        " OR (from_user_id = $2 AND to_user_id = $1)",
        a,
        b,
    )
    await refresh_direct(conn, a, b)
    return affected(status) > 0


class PostgresSafety:
    def __init__(self, db: Database) -> None:
        self._db = db

    # -- blocks ----------------------------------------------------------------

    async def block(self, blocker_id: str, blocked_id: str, at: int) -> tuple[bool, bool]:
        async with self._db.transaction() as conn:
            await _lock_pair(conn, blocker_id, blocked_id)
            status = await conn.execute(
                "INSERT INTO blocks (blocker_id, blocked_id, created_at) VALUES ($1, $2, $3)"
                " ON CONFLICT DO NOTHING",
                blocker_id,
                blocked_id,
                at,
            )
            were_friends = await _end_friendship(conn, blocker_id, blocked_id)
        return affected(status) > 0, were_friends

    async def unblock(self, blocker_id: str, blocked_id: str) -> bool:
        status = await self._db.execute(
            "DELETE FROM blocks WHERE blocker_id = $1 AND blocked_id = $2", blocker_id, blocked_id
        )
        return affected(status) > 0

    async def blocked_ids(self, blocker_id: str) -> list[str]:
        rows = await self._db.fetch(
            "SELECT blocked_id FROM blocks WHERE blocker_id = $1 ORDER BY created_at, blocked_id",
            blocker_id,
        )
        return [r[0] for r in rows]

    async def blocks_around(self, user_id: str) -> tuple[list[str], list[str]]:
        rows = await self._db.fetch(
            "SELECT true, blocked_id FROM blocks WHERE blocker_id = $1"
            " UNION ALL SELECT false, blocker_id FROM blocks WHERE blocked_id = $1",
            user_id,
        )
        return [r[1] for r in rows if r[0]], [r[1] for r in rows if not r[0]]

    async def blocked_either(self, user_id: str, others: list[str]) -> set[str]:
        if not others:
            return set()
        rows = await self._db.fetch(
            "SELECT blocked_id FROM blocks WHERE blocker_id = $1 AND blocked_id = ANY($2::text[])"
            " UNION SELECT blocker_id FROM blocks WHERE blocked_id = $1"
            " AND blocker_id = ANY($2::text[])",
            user_id,
            others,
        )
        return {r[0] for r in rows}

    # -- mutes -----------------------------------------------------------------

    async def set_mute(self, user_id: str, channel_id: str, until: int | None) -> None:
        await self._db.execute(
            "INSERT INTO mutes (user_id, channel_id, until) VALUES ($1, $2, $3)"
            " ON CONFLICT (user_id, channel_id) DO UPDATE SET until = excluded.until",
            user_id,
            channel_id,
            until,
        )

    async def clear_mute(self, user_id: str, channel_id: str) -> None:
        await self._db.execute(
            "DELETE FROM mutes WHERE user_id = $1 AND channel_id = $2", user_id, channel_id
        )

    async def mutes_of(self, user_id: str, now: int) -> dict[str, int | None]:
        rows = await self._db.fetch(
            "SELECT channel_id, until FROM mutes WHERE user_id = $1"
            " AND (until IS NULL OR until > $2)",
            user_id,
            now,
        )
        return {r[0]: r[1] for r in rows}

    async def is_muted(self, user_id: str, channel_id: str, now: int) -> bool:
        row = await self._db.fetchrow(
            "SELECT 1 FROM mutes WHERE user_id = $1 AND channel_id = $2"
            " AND (until IS NULL OR until > $3)",
            user_id,
            channel_id,
            now,
        )
        return row is not None

    # -- reports ---------------------------------------------------------------

    async def add_report(self, report: Report) -> None:
        await self._db.execute(
            f"INSERT INTO reports ({_REPORT_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            report.id,
            report.reporter_id,
            report.channel_id,
            report.message_id,
            report.sender_id,
            report.text,
            report.reason,
            report.created_at,
        )

    async def reports(self, limit: int) -> list[Report]:
        rows = await self._db.fetch(
            f"SELECT {_REPORT_COLS} FROM reports ORDER BY created_at DESC, id DESC LIMIT $1",
            limit,
        )
        return [_report(r) for r in rows]

    # -- standing and admins ---------------------------------------------------

    async def standing(self, user_id: str) -> Standing | None:
        row = await self._db.fetchrow(
            "SELECT is_admin, deactivated_at, deleted_at FROM users WHERE id = $1", user_id
        )
        return Standing(row[0], row[1], row[2]) if row else None

    async def set_admin(self, user_id: str, admin: bool) -> None:
        await self._db.execute("UPDATE users SET is_admin = $2 WHERE id = $1", user_id, admin)

    async def set_deactivated(self, user_id: str, at: int | None) -> list[str]:
        async with self._db.transaction() as conn:
            await conn.execute("UPDATE users SET deactivated_at = $2 WHERE id = $1", user_id, at)
            if at is None:
                return []
            rows = await conn.fetch(
                "UPDATE devices SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL"
                " RETURNING id",
                user_id,
                at,
            )
            revoked = [r[0] for r in rows]
            await revocations.note(conn, user_id, revoked, at)
        return revoked

    async def revocation_head(self) -> int:
        return int(await self._db.fetchval("SELECT coalesce(max(seq), 0) FROM revocations"))

    async def revocations_after(self, seq: int, limit: int) -> list[tuple[int, str, str]]:
        rows = await self._db.fetch(
            "SELECT seq, user_id, device_id FROM revocations WHERE seq > $1 ORDER BY seq LIMIT $2",
            seq,
            limit,
        )
        return [(r[0], r[1], r[2]) for r in rows]

    async def find_accounts(self, prefix: str, limit: int) -> list[AdminView]:
        low = prefix.lower()
        rows = await self._db.fetch(
            f"SELECT {_USER_COLS}, is_admin, deactivated_at, deleted_at FROM users"
            # starts_with, not a key range: a range is a prefix only under the C collation.
            " WHERE starts_with(username_key, $1) AND deleted_at IS NULL"
            " ORDER BY username_key LIMIT $2",
            low,
            limit,
        )
        return [AdminView(_user(r), Standing(r[8], r[9], r[10])) for r in rows]

    # -- devices ---------------------------------------------------------------

    async def devices_of(self, user_id: str) -> list[DeviceInfo]:
        rows = await self._db.fetch(
            "SELECT id, name, created_at, last_active_at FROM devices"
            " WHERE user_id = $1 AND revoked_at IS NULL ORDER BY created_at, id",
            user_id,
        )
        return [DeviceInfo(r[0], r[1], r[2], r[3]) for r in rows]

    async def revoke_own_device(self, user_id: str, device_id: str, at: int) -> bool:
        status = await self._db.execute(
            "UPDATE devices SET revoked_at = $3 WHERE id = $1 AND user_id = $2"
            " AND revoked_at IS NULL",
            device_id,
            user_id,
            at,
        )
        return affected(status) > 0

    async def touch_device(self, device_id: str, at: int) -> None:
        await self._db.execute(
            "UPDATE devices SET last_active_at = greatest(last_active_at, $2) WHERE id = $1",
            device_id,
            at,
        )

    # -- deletion and export ---------------------------------------------------

    async def username_held(self, username_key: str, now: int) -> bool:
        row = await self._db.fetchrow(
            "SELECT 1 FROM username_holds WHERE username_key = $1 AND until > $2",
            username_key,
            now,
        )
        return row is not None

    async def erase_account(self, user_id: str, at: int, hold_until: int) -> Erased:
        async with self._db.transaction() as conn:
            key = await conn.fetchval(
                "SELECT username_key FROM users WHERE id = $1 FOR UPDATE", user_id
            )
            if key is None:
                return Erased([], [])
            revoked = [
                r[0]
                for r in await conn.fetch(
                    "UPDATE devices SET revoked_at = $2 WHERE user_id = $1"
                    " AND revoked_at IS NULL RETURNING id",
                    user_id,
                    at,
                )
            ]
            await conn.execute(
                "INSERT INTO username_holds (username_key, until) VALUES ($1, $2)"
                " ON CONFLICT (username_key) DO UPDATE SET until = excluded.until",
                key,
                hold_until,
            )
            # '~' is never in a username, so the freed key matches no lookup or signup.
            await conn.execute(
                "UPDATE users SET username = '', username_key = '~' || id, password_hash = '',"
                " display_name = '', avatar_url = '', status_text = '', is_admin = false,"
                " deleted_at = $2 WHERE id = $1",
                user_id,
                at,
            )
            friends = [
                r[0]
                for r in await conn.fetch(
                    "SELECT friend_id FROM friendships WHERE user_id = $1 ORDER BY friend_id",
                    user_id,
                )
            ]
            for friend in friends:
                await _lock_pair(conn, user_id, friend)
                await _end_friendship(conn, user_id, friend)
            await conn.execute(
                "DELETE FROM friend_requests WHERE from_user_id = $1 OR to_user_id = $1", user_id
            )
            await conn.execute(
                "DELETE FROM blocks WHERE blocker_id = $1 OR blocked_id = $1", user_id
            )
            await conn.execute("DELETE FROM mutes WHERE user_id = $1", user_id)
            await conn.execute("DELETE FROM push_subscriptions WHERE user_id = $1", user_id)
        return Erased(revoked, friends)

    async def own_messages(
        self, user_id: str, channel_id: str, after: int, limit: int
    ) -> list[Message]:
        rows = await self._db.fetch(
            "SELECT channel_id, message_id, sender_id, text, created_at, client_msg_id"
            " FROM messages WHERE channel_id = $1 AND message_id > $2 AND sender_id = $3"
            " ORDER BY message_id LIMIT $4",
            channel_id,
            after,
            user_id,
            limit,
        )
        return [Message(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows]
