"""Accounts on SQLite."""

from __future__ import annotations

import sqlite3
from typing import Any

from chinwag.accounts.models import Device, NewUser, ProfileChanges, User
from chinwag.accounts.rules import NOT_AN_AVATAR
from chinwag.errors import conflict, invalid, not_found
from chinwag.store.sqlite.db import Database, WriterState

_USER_COLS = (
    "id, username, display_name, avatar_id, status_text, created_at, last_active_at, group_adds"
)


def user_from_row(row: Any) -> User:
    return User(*row)


def _is_avatar(conn: sqlite3.Connection, attachment_id: str, user_id: str) -> bool:
    """An image (it has a thumbnail) this user uploaded."""
    return (
        conn.execute(
            "SELECT 1 FROM attachments WHERE id = ? AND owner_id = ? AND thumbnail = 1",
            (attachment_id, user_id),
        ).fetchone()
        is not None
    )


class SqliteAccounts:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create_user(self, user: NewUser) -> User:
        def job(conn: sqlite3.Connection, _: WriterState) -> User:
            try:
                conn.execute(
                    "INSERT INTO users (id, username, username_key, password_hash, display_name,"
                    " created_at) VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        user.id,
                        user.username,
                        user.username.lower(),
                        user.password_hash,
                        user.display_name,
                        user.created_at,
                    ),
                )
            except sqlite3.IntegrityError:
                raise conflict("username is taken") from None
            return User(user.id, user.username, user.display_name, None, "", user.created_at)

        result: User = await self._db.write(job)
        return result

    async def get_user(self, user_id: str) -> User | None:
        def q(conn: sqlite3.Connection) -> User | None:
            row = conn.execute(
                f"SELECT {_USER_COLS} FROM users WHERE id = ?", (user_id,)
            ).fetchone()
            return user_from_row(row) if row else None

        return await self._db.read(q)

    async def get_users(self, user_ids: list[str]) -> list[User]:
        if not user_ids:
            return []

        def q(conn: sqlite3.Connection) -> list[User]:
            out: list[User] = []
            for i in range(0, len(user_ids), 500):
                chunk = user_ids[i : i + 500]
                marks = ",".join("?" * len(chunk))
                rows = conn.execute(
                    f"SELECT {_USER_COLS} FROM users WHERE id IN ({marks})", chunk
                ).fetchall()
                out.extend(user_from_row(r) for r in rows)
            return out

        return await self._db.read(q)

    async def find_user(self, username: str) -> User | None:
        def q(conn: sqlite3.Connection) -> User | None:
            row = conn.execute(
                f"SELECT {_USER_COLS} FROM users WHERE username_key = ?", (username.lower(),)
            ).fetchone()
            return user_from_row(row) if row else None

        return await self._db.read(q)

    async def password_hash(self, username: str) -> tuple[str, str] | None:
        def q(conn: sqlite3.Connection) -> tuple[str, str] | None:
            row = conn.execute(
                "SELECT id, password_hash FROM users WHERE username_key = ?", (username.lower(),)
            ).fetchone()
            return (row[0], row[1]) if row else None

        return await self._db.read(q)

    async def set_password_hash(self, user_id: str, password_hash: str) -> None:
        def job(conn: sqlite3.Connection, _: WriterState) -> None:
            conn.execute(
                "UPDATE users SET password_hash = ? WHERE id = ?", (password_hash, user_id)
            )

        await self._db.write(job)

    async def update_profile(self, user_id: str, changes: ProfileChanges) -> User:
        def job(conn: sqlite3.Connection, _: WriterState) -> User:
            sets: dict[str, str | None] = {
                k: v
                for k, v in (
                    ("display_name", changes.display_name),
                    ("status_text", changes.status_text),
                    ("group_adds", changes.group_adds),
                )
                if v is not None
            }
            if changes.avatar_id is not None:
                # On the writer thread: the sweep of unsent uploads cannot remove it
                # between this check and the update.
                if changes.avatar_id and not _is_avatar(conn, changes.avatar_id, user_id):
                    raise invalid(NOT_AN_AVATAR)
                sets["avatar_id"] = changes.avatar_id or None
            if sets:
                assignments = ", ".join(f"{k} = ?" for k in sets)
                conn.execute(
                    f"UPDATE users SET {assignments} WHERE id = ?", (*sets.values(), user_id)
                )
            row = conn.execute(
                f"SELECT {_USER_COLS} FROM users WHERE id = ?", (user_id,)
            ).fetchone()
            if row is None:
                raise not_found("no such user")
            return user_from_row(row)

        result: User = await self._db.write(job)
        return result

    async def create_device(self, device: Device, token_hash: bytes) -> None:
        def job(conn: sqlite3.Connection, _: WriterState) -> None:
            conn.execute(
                "INSERT INTO devices (id, user_id, name, token_hash, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (device.id, device.user_id, device.name, token_hash, device.created_at),
            )

        await self._db.write(job)

    async def device_for_token(self, token_hash: bytes) -> Device | None:
        def q(conn: sqlite3.Connection) -> Device | None:
            row = conn.execute(
                "SELECT id, user_id, name, created_at, revoked_at FROM devices"
                " WHERE token_hash = ? AND revoked_at IS NULL",
                (token_hash,),
            ).fetchone()
            return Device(*row) if row else None

        return await self._db.read(q)

    async def revoke_device(self, device_id: str, at: int) -> None:
        def job(conn: sqlite3.Connection, _: WriterState) -> None:
            conn.execute(
                "UPDATE devices SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                (at, device_id),
            )

        await self._db.write(job)

    async def revoke_user_devices(self, user_id: str, at: int, *, keep: str | None) -> list[str]:
        def job(conn: sqlite3.Connection, _: WriterState) -> list[str]:
            rows = conn.execute(
                "UPDATE devices SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL"
                " AND id IS NOT ? RETURNING id",
                (at, user_id, keep),
            ).fetchall()
            return [r[0] for r in rows]

        result: list[str] = await self._db.write(job)
        return result

    async def touch_last_active(self, user_id: str, at: int) -> None:
        def job(conn: sqlite3.Connection, _: WriterState) -> None:
            conn.execute(
                "UPDATE users SET last_active_at = max(coalesce(last_active_at, 0), ?)"
                " WHERE id = ?",
                (at, user_id),
            )

        await self._db.write(job)
