"""Blocks, mutes, reports, admins, devices and account erasure on SQLite."""

from __future__ import annotations

import sqlite3
from typing import Any

from chinwag.messaging.models import Message
from chinwag.safety.models import AdminView, DeviceInfo, Erased, Report, Standing
from chinwag.store.sqlite import revocations
from chinwag.store.sqlite.accounts import user_from_row
from chinwag.store.sqlite.db import Database, WriterState
from chinwag.store.sqlite.direct import refresh_direct

_REPORT_COLS = "id, reporter_id, channel_id, message_id, sender_id, text, reason, created_at"
_USER_COLS = (
    "id, username, display_name, avatar_url, status_text, created_at, last_active_at,"
    " group_adds, is_admin, deactivated_at, deleted_at"
)


def _admin_view(row: Any) -> AdminView:
    return AdminView(user_from_row(row[:8]), Standing(bool(row[8]), row[9], row[10]))


def _end_friendship(conn: sqlite3.Connection, state: WriterState, a: str, b: str) -> bool:
    """End the friendship and any pending request between two users; True if they were
    friends. Their direct channel closes in the same transaction."""
    gone = conn.execute(
        "DELETE FROM friendships WHERE (user_id = ? AND friend_id = ?)"
        " OR (user_id = ? AND friend_id = ?)",
        (a, b, b, a),
    ).rowcount
    conn.execute(
        "DELETE FROM friend_requests WHERE (from_user_id = ? AND to_user_id = ?)"
        " OR (from_user_id = ? AND to_user_id = ?)",
        (a, b, b, a),
    )
    refresh_direct(conn, state, a, b)
    return gone > 0


class SqliteSafety:
    def __init__(self, db: Database) -> None:
        self._db = db

    # -- blocks ----------------------------------------------------------------

    async def block(self, blocker_id: str, blocked_id: str, at: int) -> tuple[bool, bool]:
        def job(conn: sqlite3.Connection, state: WriterState) -> tuple[bool, bool]:
            new = conn.execute(
                "INSERT OR IGNORE INTO blocks (blocker_id, blocked_id, created_at)"
                " VALUES (?, ?, ?)",
                (blocker_id, blocked_id, at),
            ).rowcount
            return new > 0, _end_friendship(conn, state, blocker_id, blocked_id)

        result: tuple[bool, bool] = await self._db.write(job)
        return result

    async def unblock(self, blocker_id: str, blocked_id: str) -> bool:
        def job(conn: sqlite3.Connection, _: WriterState) -> bool:
            return (
                conn.execute(
                    "DELETE FROM blocks WHERE blocker_id = ? AND blocked_id = ?",
                    (blocker_id, blocked_id),
                ).rowcount
                > 0
            )

        result: bool = await self._db.write(job)
        return result

    async def blocked_ids(self, blocker_id: str) -> list[str]:
        def q(conn: sqlite3.Connection) -> list[str]:
            rows = conn.execute(
                "SELECT blocked_id FROM blocks WHERE blocker_id = ?"
                " ORDER BY created_at, blocked_id",
                (blocker_id,),
            ).fetchall()
            return [r[0] for r in rows]

        return await self._db.read(q)

    async def blocks_around(self, user_id: str) -> tuple[list[str], list[str]]:
        def q(conn: sqlite3.Connection) -> tuple[list[str], list[str]]:
            rows = conn.execute(
                "SELECT 1, blocked_id FROM blocks WHERE blocker_id = ?"
                " UNION ALL SELECT 0, blocker_id FROM blocks WHERE blocked_id = ?",
                (user_id, user_id),
            ).fetchall()
            return [r[1] for r in rows if r[0]], [r[1] for r in rows if not r[0]]

        return await self._db.read(q)

    async def blocked_either(self, user_id: str, others: list[str]) -> set[str]:
        if not others:
            return set()

        def q(conn: sqlite3.Connection) -> set[str]:
            out: set[str] = set()
            for i in range(0, len(others), 400):
                chunk = others[i : i + 400]
                marks = ",".join("?" * len(chunk))
                rows = conn.execute(
                    "SELECT blocked_id FROM blocks WHERE blocker_id = ?"
                    f" AND blocked_id IN ({marks}) UNION"
                    " SELECT blocker_id FROM blocks WHERE blocked_id = ?"
                    f" AND blocker_id IN ({marks})",
                    (user_id, *chunk, user_id, *chunk),
                ).fetchall()
                out.update(r[0] for r in rows)
            return out

        return await self._db.read(q)

    # -- mutes -----------------------------------------------------------------

    async def set_mute(self, user_id: str, channel_id: str, until: int | None) -> None:
        def job(conn: sqlite3.Connection, _: WriterState) -> None:
            conn.execute(
                "INSERT INTO mutes (user_id, channel_id, until) VALUES (?, ?, ?)"
                " ON CONFLICT (user_id, channel_id) DO UPDATE SET until = excluded.until",
                (user_id, channel_id, until),
            )

        await self._db.write(job)

    async def clear_mute(self, user_id: str, channel_id: str) -> None:
        def job(conn: sqlite3.Connection, _: WriterState) -> None:
            conn.execute(
                "DELETE FROM mutes WHERE user_id = ? AND channel_id = ?", (user_id, channel_id)
            )

        await self._db.write(job)

    async def mutes_of(self, user_id: str, now: int) -> dict[str, int | None]:
        def q(conn: sqlite3.Connection) -> dict[str, int | None]:
            rows = conn.execute(
                "SELECT channel_id, until FROM mutes WHERE user_id = ?"
                " AND (until IS NULL OR until > ?)",
                (user_id, now),
            ).fetchall()
            return {r[0]: r[1] for r in rows}

        return await self._db.read(q)

    async def is_muted(self, user_id: str, channel_id: str, now: int) -> bool:
        def q(conn: sqlite3.Connection) -> bool:
            row = conn.execute(
                "SELECT 1 FROM mutes WHERE user_id = ? AND channel_id = ?"
                " AND (until IS NULL OR until > ?)",
                (user_id, channel_id, now),
            ).fetchone()
            return row is not None

        return await self._db.read(q)

    # -- reports ---------------------------------------------------------------

    async def add_report(self, report: Report) -> None:
        def job(conn: sqlite3.Connection, _: WriterState) -> None:
            conn.execute(
                f"INSERT INTO reports ({_REPORT_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    report.id,
                    report.reporter_id,
                    report.channel_id,
                    report.message_id,
                    report.sender_id,
                    report.text,
                    report.reason,
                    report.created_at,
                ),
            )

        await self._db.write(job)

    async def reports(self, limit: int) -> list[Report]:
        def q(conn: sqlite3.Connection) -> list[Report]:
            rows = conn.execute(
                f"SELECT {_REPORT_COLS} FROM reports ORDER BY created_at DESC, id DESC LIMIT ?",
                (limit,),
            ).fetchall()
            return [Report(*r) for r in rows]

        return await self._db.read(q)

    # -- standing and admins ---------------------------------------------------

    async def standing(self, user_id: str) -> Standing | None:
        def q(conn: sqlite3.Connection) -> Standing | None:
            row = conn.execute(
                "SELECT is_admin, deactivated_at, deleted_at FROM users WHERE id = ?", (user_id,)
            ).fetchone()
            return Standing(bool(row[0]), row[1], row[2]) if row else None

        return await self._db.read(q)

    async def set_admin(self, user_id: str, admin: bool) -> None:
        def job(conn: sqlite3.Connection, _: WriterState) -> None:
            conn.execute("UPDATE users SET is_admin = ? WHERE id = ?", (int(admin), user_id))

        await self._db.write(job)

    async def set_deactivated(self, user_id: str, at: int | None) -> list[str]:
        def job(conn: sqlite3.Connection, _: WriterState) -> list[str]:
            conn.execute("UPDATE users SET deactivated_at = ? WHERE id = ?", (at, user_id))
            if at is None:
                return []
            rows = conn.execute(
                "UPDATE devices SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL"
                " RETURNING id",
                (at, user_id),
            ).fetchall()
            revoked = [r[0] for r in rows]
            revocations.note(conn, user_id, revoked, at)
            return revoked

        result: list[str] = await self._db.write(job)
        return result

    async def revocation_head(self) -> int:
        return await self._db.read(revocations.head)

    async def revocations_after(self, seq: int, limit: int) -> list[tuple[int, str, str]]:
        return await self._db.read(lambda conn: revocations.after(conn, seq, limit))

    async def find_accounts(self, prefix: str, limit: int) -> list[AdminView]:
        low = prefix.lower()

        # The key range [low, low + U+10FFFF) holds exactly the keys starting with low.
        def q(conn: sqlite3.Connection) -> list[AdminView]:
            rows = conn.execute(
                f"SELECT {_USER_COLS} FROM users WHERE username_key >= ?"
                " AND username_key < ? AND deleted_at IS NULL ORDER BY username_key LIMIT ?",
                (low, low + "\U0010ffff", limit),
            ).fetchall()
            return [_admin_view(r) for r in rows]

        return await self._db.read(q)

    # -- devices ---------------------------------------------------------------

    async def devices_of(self, user_id: str) -> list[DeviceInfo]:
        def q(conn: sqlite3.Connection) -> list[DeviceInfo]:
            rows = conn.execute(
                "SELECT id, name, created_at, last_active_at FROM devices"
                " WHERE user_id = ? AND revoked_at IS NULL ORDER BY created_at, id",
                (user_id,),
            ).fetchall()
            return [DeviceInfo(*r) for r in rows]

        return await self._db.read(q)

    async def revoke_own_device(self, user_id: str, device_id: str, at: int) -> bool:
        def job(conn: sqlite3.Connection, _: WriterState) -> bool:
            return (
                conn.execute(
                    "UPDATE devices SET revoked_at = ? WHERE id = ? AND user_id = ?"
                    " AND revoked_at IS NULL",
                    (at, device_id, user_id),
                ).rowcount
                > 0
            )

        result: bool = await self._db.write(job)
        return result

    async def touch_device(self, device_id: str, at: int) -> None:
        def job(conn: sqlite3.Connection, _: WriterState) -> None:
            conn.execute(
                "UPDATE devices SET last_active_at = max(coalesce(last_active_at, 0), ?)"
                " WHERE id = ?",
                (at, device_id),
            )

        await self._db.write(job)

    # -- deletion and export ---------------------------------------------------

    async def username_held(self, username_key: str, now: int) -> bool:
        def q(conn: sqlite3.Connection) -> bool:
            row = conn.execute(
                "SELECT 1 FROM username_holds WHERE username_key = ? AND until > ?",
                (username_key, now),
            ).fetchone()
            return row is not None

        return await self._db.read(q)

    async def erase_account(self, user_id: str, at: int, hold_until: int) -> Erased:
        def job(conn: sqlite3.Connection, state: WriterState) -> Erased:
            row = conn.execute("SELECT username_key FROM users WHERE id = ?", (user_id,)).fetchone()
            if row is None:
                return Erased([], [])
            revoked = [
                r[0]
                for r in conn.execute(
                    "UPDATE devices SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL"
                    " RETURNING id",
                    (at, user_id),
                ).fetchall()
            ]
            conn.execute(
                "INSERT INTO username_holds (username_key, until) VALUES (?, ?)"
                " ON CONFLICT (username_key) DO UPDATE SET until = excluded.until",
                (row[0], hold_until),
            )
            # '~' is never in a username, so the freed key matches no lookup or signup.
            conn.execute(
                "UPDATE users SET username = '', username_key = '~' || id, password_hash = '',"
                " display_name = '', avatar_url = '', status_text = '', is_admin = 0,"
                " deleted_at = ? WHERE id = ?",
                (at, user_id),
            )
            friends = [
                r[0]
                for r in conn.execute(
                    "SELECT friend_id FROM friendships WHERE user_id = ?", (user_id,)
                ).fetchall()
            ]
            for friend in friends:
                _end_friendship(conn, state, user_id, friend)
            conn.execute(
                "DELETE FROM friend_requests WHERE from_user_id = ? OR to_user_id = ?",
                (user_id, user_id),
            )
            conn.execute(
                "DELETE FROM blocks WHERE blocker_id = ? OR blocked_id = ?", (user_id, user_id)
            )
            conn.execute("DELETE FROM mutes WHERE user_id = ?", (user_id,))
            conn.execute("DELETE FROM push_subscriptions WHERE user_id = ?", (user_id,))
            return Erased(revoked, friends)

        result: Erased = await self._db.write(job)
        return result

    async def own_messages(
        self, user_id: str, channel_id: str, after: int, limit: int
    ) -> list[Message]:
        def q(conn: sqlite3.Connection) -> list[Message]:
            rows = conn.execute(
                "SELECT channel_id, message_id, sender_id, text, created_at, client_msg_id"
                " FROM messages WHERE channel_id = ? AND message_id > ? AND sender_id = ?"
                " ORDER BY message_id LIMIT ?",
                (channel_id, after, user_id, limit),
            ).fetchall()
            return [Message(*r) for r in rows]

        return await self._db.read(q)
