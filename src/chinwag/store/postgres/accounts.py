"""Accounts and devices on PostgreSQL.

Usernames are unique case-insensitively through the unique `username_key` column (the
username lowercased here, exactly as the SQLite engine does), so two concurrent signups
for one name cannot both succeed: the loser gets `conflict`.
"""

from __future__ import annotations

from typing import Any

import asyncpg

from chinwag.accounts.models import Device, NewUser, ProfileChanges, User
from chinwag.accounts.rules import NOT_AN_AVATAR
from chinwag.errors import conflict, invalid, not_found
from chinwag.store.postgres.db import Database

_USER_COLS = (
    "id, username, display_name, avatar_id, status_text, created_at, last_active_at, group_adds"
)
_DEVICE_COLS = "id, user_id, name, created_at, revoked_at"


def _user(row: Any) -> User:
    return User(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7])


def _device(row: Any) -> Device:
    return Device(row[0], row[1], row[2], row[3], row[4])


class PostgresAccounts:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create_user(self, user: NewUser) -> User:
        try:
            row = await self._db.fetchrow(
                "INSERT INTO users (id, username, username_key, password_hash, display_name,"
                f" created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING {_USER_COLS}",
                user.id,
                user.username,
                user.username.lower(),
                user.password_hash,
                user.display_name,
                user.created_at,
            )
        except asyncpg.UniqueViolationError:
            raise conflict("username is taken") from None
        return _user(row)

    async def get_user(self, user_id: str) -> User | None:
        row = await self._db.fetchrow(f"SELECT {_USER_COLS} FROM users WHERE id = $1", user_id)
        return _user(row) if row else None

    async def get_users(self, user_ids: list[str]) -> list[User]:
        if not user_ids:
            return []
        rows = await self._db.fetch(
            f"SELECT {_USER_COLS} FROM users WHERE id = ANY($1::text[])", user_ids
        )
        return [_user(r) for r in rows]

    async def find_user(self, username: str) -> User | None:
        row = await self._db.fetchrow(
            f"SELECT {_USER_COLS} FROM users WHERE username_key = $1", username.lower()
        )
        return _user(row) if row else None

    async def password_hash(self, username: str) -> tuple[str, str] | None:
        row = await self._db.fetchrow(
            "SELECT id, password_hash FROM users WHERE username_key = $1", username.lower()
        )
        return (row[0], row[1]) if row else None

    async def set_password_hash(self, user_id: str, password_hash: str) -> None:
        await self._db.execute(
            "UPDATE users SET password_hash = $2 WHERE id = $1", user_id, password_hash
        )

    async def update_profile(self, user_id: str, changes: ProfileChanges) -> User:
        # NULL means "leave as is", so one statement serves every combination of fields.
        # An avatar must be an image (it has a thumbnail) the user uploaded; should the
        # sweep of unsent uploads remove it at the same moment, the foreign key fails
        # this update rather than let it point at nothing.
        try:
            row = await self._db.fetchrow(
                "UPDATE users SET display_name = coalesce($2, display_name),"
                " avatar_id = CASE WHEN $3::text IS NULL THEN avatar_id"
                " ELSE nullif($3::text, '') END,"
                " status_text = coalesce($4, status_text), group_adds = coalesce($5, group_adds)"
                " WHERE id = $1 AND ($3::text IS NULL OR $3::text = '' OR EXISTS (SELECT 1"
                " FROM attachments a WHERE a.id = $3::text AND a.owner_id = $1 AND a.thumbnail))"
                f" RETURNING {_USER_COLS}",
                user_id,
                changes.display_name,
                changes.avatar_id,
                changes.status_text,
                changes.group_adds,
            )
        except asyncpg.ForeignKeyViolationError:
            raise invalid(NOT_AN_AVATAR) from None
        if row is None:
            if changes.avatar_id and await self.get_user(user_id) is not None:
                raise invalid(NOT_AN_AVATAR)
            raise not_found("no such user")
        return _user(row)

    async def create_device(self, device: Device, token_hash: bytes) -> None:
        try:
            await self._db.execute(
                "INSERT INTO devices (id, user_id, name, token_hash, created_at)"
                " VALUES ($1, $2, $3, $4, $5)",
                device.id,
                device.user_id,
                device.name,
                token_hash,
                device.created_at,
            )
        except asyncpg.ForeignKeyViolationError:
            raise not_found("no such user") from None
        except asyncpg.UniqueViolationError:
            raise conflict("device already exists") from None

    async def device_for_token(self, token_hash: bytes) -> Device | None:
        row = await self._db.fetchrow(
            f"SELECT {_DEVICE_COLS} FROM devices WHERE token_hash = $1 AND revoked_at IS NULL",
            token_hash,
        )
        return _device(row) if row else None

    async def revoke_device(self, device_id: str, at: int) -> None:
        await self._db.execute(
            "UPDATE devices SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
            device_id,
            at,
        )

    async def revoke_user_devices(self, user_id: str, at: int, *, keep: str | None) -> list[str]:
        rows = await self._db.fetch(
            "UPDATE devices SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL"
            " AND id IS DISTINCT FROM $3 RETURNING id",
            user_id,
            at,
            keep,
        )
        return [r[0] for r in rows]

    async def touch_last_active(self, user_id: str, at: int) -> None:
        # Never moves backwards: concurrent heartbeats may arrive out of order.
        await self._db.execute(
            "UPDATE users SET last_active_at = greatest(last_active_at, $2) WHERE id = $1",
            user_id,
            at,
        )
